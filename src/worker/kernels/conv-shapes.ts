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
