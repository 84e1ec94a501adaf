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
