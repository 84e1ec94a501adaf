// Gradient kernels for 2-D convolutions, written with the active backend's own fast kernels
// (forward convolutions, plain matrix products, contiguous slices, transposes — all XNNPACK or
// memcpy-speed on wasm). tfjs-backend-wasm ships no Conv2DBackpropFilter at all, and its
// Conv2DBackpropInput is a scalar loop. Each strategy below was picked by measurement on wasm
// (Node, one thread, ResNet50 res2 3×3 at batch 8): transpose trick 77 ms vs im2col-by-slices 125 ms
// for k×k; StridedSlice 143 ms vs reshaped 2-D slices 15 ms for stride-2 subsampling; tf.reverse
// 167 ms vs a 9×9 permutation matmul for flipping a 3×3×512×512 filter.
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

export function convInfo(
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

/** x[:, ::s, ::s, :] from contiguous 2-D slices of reshaped views (wasm's StridedSlice is scalar). */
export function subsample(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  if (sh === 1 && sw === 1) return x;
  return tf.tidy(() => {
    const [b, h, w, c] = x.shape;
    const hp = Math.ceil(h / sh) * sh;
    const wp = Math.ceil(w / sw) * sw;
    const padded =
      hp === h && wp === w
        ? x
        : tf.pad(x, [
            [0, 0],
            [0, hp - h],
            [0, wp - w],
            [0, 0],
          ]);
    const rows = tf.slice(tf.reshape(padded, [(b * hp) / sh, sh * wp * c]), [0, 0], [(b * hp) / sh, wp * c]);
    const cols = tf.slice(
      tf.reshape(rows, [(b * hp * wp) / (sh * sw), sw * c]),
      [0, 0],
      [(b * hp * wp) / (sh * sw), c],
    );
    return tf.reshape(cols, [b, hp / sh, wp / sw, c]) as tf.Tensor4D;
  });
}

function padInput(x: tf.Tensor4D, info: tf.backend_util.Conv2DInfo): tf.Tensor4D {
  const { top, bottom, left, right } = info.padInfo;
  if (!(top || bottom || left || right)) return x;
  // A negative pad would be a crop; computeConv2DInfo never produces one for valid/same/explicit ≥ 0.
  return tf.pad(x, [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ]);
}

/**
 * dW[kh, kw, ci, co] = Σ_{b, y, x} xpad[b, y·s + i, x·s + j, ci] · dy[b, y, x, co].
 * 1×1: one matrix product (after subsampling when strided).
 * k×k: the transpose trick — convolve the padded input with batch and channels swapped
 * ([ci, H, W, B]) by dy as the filter ([Ho, Wo, B, co]), stride as dilation → [ci, kh, kw, co].
 */
export function conv2dBackpropFilter(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  geometry: ConvGeometry,
): tf.Tensor4D {
  const info = convInfo(x.shape, filterShape, geometry);
  const [kh, kw, ci, co] = filterShape;
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo, batchSize: b } = info;
  if (dy.shape[1] !== ho || dy.shape[2] !== wo || dy.shape[3] !== co) {
    throw new Error(`conv gradient: dy shape ${dy.shape} does not match output ${[b, ho, wo, co]}`);
  }
  return tf.tidy((): tf.Tensor4D => {
    const xPadded = padInput(x, info);
    if (kh === 1 && kw === 1) {
      const n = b * ho * wo;
      // (A slice of the whole tensor shares its data on wasm: see viewSlice in heap-kernels.ts.)
      const taps = tf.slice(subsample(xPadded, sh, sw), [0, 0, 0, 0], [b, ho, wo, ci]);
      // Transpose the operand with fewer channels (a transposed operand is slow in wasm's matmul).
      if (ci <= co)
        return tf.reshape(
          tf.matMul(tf.transpose(tf.reshape(taps, [n, ci])), tf.reshape(dy, [n, co])),
          filterShape,
        );
      const coByCi = tf.matMul(tf.transpose(tf.reshape(dy, [n, co])), tf.reshape(taps, [n, ci]));
      return tf.reshape(tf.transpose(coByCi), filterShape);
    }
    const xT = tf.transpose(xPadded, [3, 1, 2, 0]) as tf.Tensor4D; // [ci, Hp, Wp, B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) as tf.Tensor4D; // [Ho, Wo, B, co]
    const full = tf.conv2d(xT, dyT, 1, 'valid', 'NHWC', [sh, sw]); // [ci, ≥kh, ≥kw, co]
    const cropped = tf.slice(full, [0, 0, 0, 0], [ci, kh, kw, co]);
    return tf.transpose(cropped, [1, 2, 0, 3]);
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

/** W[kh, kw, ci, co] → W'[a, b, co, ci] = W[kh−1−a, kw−1−b, ci, co]. */
export function flipFilter(filter: tf.Tensor4D): tf.Tensor4D {
  const [kh, kw, ci, co] = filter.shape;
  return tf.tidy(() => {
    if (kh * kw === 1) return tf.transpose(filter, [0, 1, 3, 2]);
    // Reversing the kh·kw taps is a product with the anti-identity: exact, and on XNNPACK.
    const taps = kh * kw;
    const antiIdentity = tf.reverse(tf.eye(taps), 1);
    const reversed = tf.matMul(antiIdentity, tf.reshape(filter, [taps, ci * co]));
    return tf.transpose(tf.reshape(reversed, [kh, kw, ci, co]), [0, 1, 3, 2]);
  });
}

/**
 * dx for stride 1: a forward convolution of dy with the flipped filter, padded by (k − 1 − pad).
 * For strided 1×1 convolutions: a 1×1 convolution, then the result spread onto every s-th pixel.
 */
export function conv2dBackpropInput(
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  inputShape: [number, number, number, number],
  geometry: ConvGeometry,
  flip: (filter: tf.Tensor4D) => tf.Tensor4D = flipFilter,
): tf.Tensor4D {
  const info = convInfo(inputShape, filter.shape, geometry);
  const [kh, kw] = filter.shape;
  const { top, bottom, left, right } = info.padInfo;
  const { strideHeight: sh, strideWidth: sw } = info;
  const [b, h, w, ci] = inputShape;
  return tf.tidy((): tf.Tensor4D => {
    const flipped = flip(filter);
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
    // Input rows/columns that no output reads get zero gradient.
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
