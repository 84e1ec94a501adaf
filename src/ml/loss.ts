// The training loss: softmax cross-entropy, optionally with label smoothing (fast.ai's
// LabelSmoothingCrossEntropy, Szegedy et al. 2016): the target is 1 − ε + ε/C on the true class and
// ε/C on every other, so loss = −(1 − ε)·log p_y − (ε/C)·Σ_c log p_c, averaged over the batch.
import * as tf from '@tensorflow/tfjs';

export function crossEntropy(labels: number[], logits: tf.Tensor2D, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const target = tf.oneHot(tf.tensor1d(labels, 'int32'), logits.shape[1]);
    return tf.losses.softmaxCrossEntropy(target, logits, undefined, smoothing) as tf.Scalar;
  });
}
