// Image preprocessing exactly as the Keras ResNet50 weights expect ("caffe" mode):
// RGB → BGR, subtract the ImageNet channel means, no scaling.
import * as tf from '@tensorflow/tfjs';

/** ImageNet channel means in BGR order, as in keras.applications.imagenet_utils. */
export const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68] as const;

/** NHWC RGB pixels in 0–255 → NHWC BGR minus the channel means. */
export function caffePreprocess(rgb: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.sub(tf.reverse(rgb, -1), tf.tensor1d([...CAFFE_MEAN_BGR])));
}

/** Inverse of caffePreprocess, for showing model inputs as pictures. */
export function caffeUnprocess(bgr: tf.Tensor4D): tf.Tensor4D {
  return tf.tidy(() => tf.reverse(tf.add(bgr, tf.tensor1d([...CAFFE_MEAN_BGR])), -1) as tf.Tensor4D);
}

export interface CropRect {
  sx: number;
  sy: number;
  side: number;
}

/**
 * "Resize the shorter side to S, then centre-crop S×S" is the same as cropping the centred square of
 * side min(w, h) and scaling it to S. Returns that square in source pixels.
 */
export function centerSquare(width: number, height: number): CropRect {
  if (!(width > 0 && height > 0)) throw new Error(`invalid image size ${width}×${height}`);
  const side = Math.min(width, height);
  return { sx: (width - side) / 2, sy: (height - side) / 2, side };
}
