// fast.ai's test-time augmentation for one image, as plain tensor functions (tested in Node): the
// views of a 10% larger resize (centre, its mirror, four corners), and the average of the views'
// class probabilities (of the probabilities, not of the logits, as learn.TTA does).
import * as tf from '@tensorflow/tfjs';

/** Views per image: centre, mirror, four corners. */
export const TTA_VIEWS = 6;

/** The size one image is decoded at for TTA. */
export const ttaSize = (size: number): number => Math.round(size * 1.1);

/** [1, big, big, 3] → [6, size, size, 3]: centre (resized), its mirror, top-left, top-right, bottom-left, bottom-right. */
export function ttaViews(image: tf.Tensor4D, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const big = image.shape[1];
    const centre = tf.image.resizeBilinear(image, [size, size]);
    const corners = [
      [0, 0],
      [0, big - size],
      [big - size, 0],
      [big - size, big - size],
    ].map(([y, x]) => tf.slice(image, [0, y, x, 0], [1, size, size, 3]));
    return tf.concat([centre, tf.reverse(centre, 2), ...corners]) as tf.Tensor4D;
  });
}

/** [views, classes] logits → [classes]: the mean of each view's softmax. */
export function averageProbabilities(logits: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.mean(tf.softmax(logits), 0) as tf.Tensor1D);
}
