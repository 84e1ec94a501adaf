// Convolution geometries as our SIMD engine takes them (ConvShape), from tfjs's Conv2DInfo.
import type * as tf from '@tensorflow/tfjs';
import type { ConvShape } from './simd/filter-gradient-plan';

export type { ConvShape };

/**
 * A stride-1 input gradient as a forward convolution of dy with the flipped filter, padded by
 * k − 1 − pad on each side; null for other geometries (strided ones go through conv2dBackpropInput).
 */
export function inputGradientShape(info: tf.backend_util.Conv2DInfo): ConvShape | null {
  const unit = info.strideHeight === 1 && info.strideWidth === 1;
  if (!unit || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  return {
    batch: info.batchSize,
    inHeight: info.outHeight,
    inWidth: info.outWidth,
    inChannels: info.outChannels,
    outHeight: info.inHeight,
    outWidth: info.inWidth,
    outChannels: info.inChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: info.filterHeight - 1 - info.padInfo.top,
    padLeft: info.filterWidth - 1 - info.padInfo.left,
  };
}

/**
 * A strided, unpadded 1×1 convolution's input gradient before it is spread onto every s-th pixel:
 * a 1×1 stride-1 convolution of dy with the transposed filter on dy's own grid, as one pixel run
 * (see asPixelRun); null for other geometries.
 */
export function stridedPointwiseGradientShape(info: tf.backend_util.Conv2DInfo): ConvShape | null {
  const { top, bottom, left, right } = info.padInfo;
  const pointwise = info.filterHeight === 1 && info.filterWidth === 1;
  const strided = info.strideHeight > 1 || info.strideWidth > 1;
  const dilated = info.dilationHeight !== 1 || info.dilationWidth !== 1;
  if (!pointwise || !strided || dilated || top || bottom || left || right) return null;
  const pixels = info.batchSize * info.outHeight * info.outWidth;
  return {
    batch: 1,
    inHeight: 1,
    inWidth: pixels,
    inChannels: info.outChannels,
    outHeight: 1,
    outWidth: pixels,
    outChannels: info.inChannels,
    filterHeight: 1,
    filterWidth: 1,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: 0,
    padLeft: 0,
  };
}

export function convShape(info: tf.backend_util.Conv2DInfo): ConvShape {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * A 1×1, stride-1, unpadded convolution as one run of all its pixels (batch × height × width in a
 * single row): the same product over the same NHWC data, but the engine rounds only that one row up
 * to whole tiles instead of every image row (at 224 px res4's rows of 14 and res5's of 7 pixels
 * would each compute 1–2 dropped pixels and go through scratch). Other shapes unchanged.
 */
export function asPixelRun(s: ConvShape, padBottom: number, padRight: number): ConvShape {
  const pointwise =
    s.filterHeight === 1 &&
    s.filterWidth === 1 &&
    s.strideHeight === 1 &&
    s.strideWidth === 1 &&
    s.padTop === 0 &&
    s.padLeft === 0 &&
    padBottom === 0 &&
    padRight === 0;
  if (!pointwise) return s;
  const pixels = s.batch * s.outHeight * s.outWidth;
  return { ...s, batch: 1, inHeight: 1, inWidth: pixels, outHeight: 1, outWidth: pixels };
}
