// The training loss: softmax cross-entropy, optionally with label smoothing (fast.ai's
// LabelSmoothingCrossEntropy, Szegedy et al. 2016): the target is 1 − ε + ε/C on the true class and
// ε/C on every other, so loss = −(1 − ε)·log p_y − (ε/C)·Σ_c log p_c, averaged over the batch. With
// mixup the target is the mixed one (mixup.ts), and smoothing applies to it.
import * as tf from '@tensorflow/tfjs';
import { targetMatrix, type Targets } from './mixup';

export function crossEntropy(targets: Targets | number[], logits: tf.Tensor2D, smoothing = 0): tf.Scalar {
  return tf.tidy(() => {
    const target = targetMatrix(Array.isArray(targets) ? { labels: targets } : targets, logits.shape[1]);
    return tf.losses.softmaxCrossEntropy(target, logits, undefined, smoothing) as tf.Scalar;
  });
}
