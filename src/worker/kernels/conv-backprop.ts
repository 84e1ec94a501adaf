// Gradient kernels for 2-D convolutions, written with the active backend's own fast kernels
// (strided slices, transposes, plain matrix products and forward convolutions, which XNNPACK
// accelerates on wasm). tfjs-backend-wasm ships no Conv2DBackpropFilter at all, and its
// Conv2DBackpropInput is a scalar loop; these replace both for the shapes ResNet50 uses.
import * as tf from '@tensorflow/tfjs';

export type ConvPad = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

export interface ConvGeometry {
  strides: [number, number];
  pad: ConvPad;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

function pair(value: number | [number, number]): [number, number] {
  return typeof value === 'number' ? [value, value] : value;
}

function convInfo(
  xShape: number[],
  filterShape: number[],
  geometry: ConvGeometry,
): tf.backend_util.Conv2DInfo {
  if (geometry.dataFormat && geometry.dataFormat !== 'NHWC') {
    throw new Error(`conv gradient: only NHWC is supported, got ${geometry.dataFormat}`);
  }
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    pair(geometry.strides),
    1,
    geometry.pad,
    geometry.dimRoundingMode,
    false,
    'channelsLast',
  );
}

/**
 * dW[kh, kw, ci, co] = Σ_{b, y, x} xpad[b, y·s + i, x·s + j, ci] · dy[b, y, x, co].
 * im2col by slices: for each kernel tap (i, j) one strided slice of the padded input, already laid
 * out as [N, ci], and one matrix product with dyᵀ [co, N], which is transposed once for all taps
 * (a transposed operand sends wasm's BatchMatMul down a slow scalar path).
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  geometry: ConvGeometry,
): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, geometry);
  const [kh, kw, ci, co] = filterShape;
  const { top, bottom, left, right } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, batchSize: b } = info;
  if (dy.shape[1] !== ho || dy.shape[2] !== wo || dy.shape[3] !== co) {
    throw new Error(`conv gradient: dy shape ${dy.shape} does not match output ${[b, ho, wo, co]}`);
  }
  return tf.tidy(() => {
    const n = b * ho * wo;
    const xPadded =
      top || bottom || left || right
        ? tf.pad(x, [
            [0, 0],
            [top, bottom],
            [left, right],
            [0, 0],
          ])
        : x;
    const dyT = tf.transpose(tf.reshape(dy, [n, co])); // [co, N]
    const taps: tf.Tensor2D[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const patch =
          sh === 1 && sw === 1
            ? tf.slice(xPadded, [0, i, j, 0], [b, ho, wo, ci])
            : tf.stridedSlice(
                xPadded,
                [0, i, j, 0],
                [b, i + (ho - 1) * sh + 1, j + (wo - 1) * sw + 1, ci],
                [1, sh, sw, 1],
              );
        taps.push(tf.matMul(dyT, tf.reshape(patch, [n, ci]))); // [co, ci]
      }
    }
    const stacked = tf.reshape(tf.stack(taps), [kh, kw, co, ci]);
    return tf.transpose(stacked, [0, 1, 3, 2]) as tf.Tensor4D;
  });
}

/** Whether conv2dBackpropInput below handles this geometry (else callers use the stock kernel). */
export function backpropInputSupported(
  inputShape: number[],
  filterShape: number[],
  geometry: ConvGeometry,
): boolean {
  const info = convInfo(inputShape, filterShape, geometry);
  const { top, bottom, left, right } = info.padInfo;
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  if (!strided) return true;
  return filterShape[0] === 1 && filterShape[1] === 1 && top + bottom + left + right === 0;
}

/**
 * dx for stride 1: a forward convolution of dy with the filter rotated 180° and its channel axes
 * swapped, padded by (k − 1 − pad). For strided 1×1 convolutions: a 1×1 convolution, then the
 * result spread onto every s-th pixel of a zero image.
 */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  geometry: ConvGeometry,
): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, geometry);
  const [kh, kw] = filter.shape;
  const { top, bottom, left, right } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw } = info;
  const [b, h, w, ci] = inputShape;
  return tf.tidy((): tf.Tensor4D => {
    const flipped = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
    if (sh === 1 && sw === 1) {
      return tf.conv2d(dy, flipped, 1, [
        [0, 0],
        [kh - 1 - top, kh - 1 - bottom],
        [kw - 1 - left, kw - 1 - right],
        [0, 0],
      ]);
    }
    if (!backpropInputSupported(inputShape, filter.shape, geometry)) {
      throw new Error(`conv input gradient: unsupported ${kh}×${kw} stride ${sh}×${sw} with padding`);
    }
    const [, ho, wo] = dy.shape;
    const g = tf.conv2d(dy, flipped, 1, 'valid'); // [b, ho, wo, ci]
    const spread = tf.pad(tf.reshape(g, [b, ho, 1, wo, 1, ci]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    const grid = tf.reshape(spread, [b, ho * sh, wo * sw, ci]) as tf.Tensor4D;
    // The last input rows/columns that no output reads get zero gradient.
    const fitted =
      ho * sh >= h && wo * sw >= w
        ? grid
        : tf.pad(grid, [
            [0, 0],
            [0, Math.max(0, h - ho * sh)],
            [0, Math.max(0, w - wo * sw)],
            [0, 0],
          ]);
    return tf.slice(fitted, [0, 0, 0, 0], [b, h, w, ci]);
  });
}
