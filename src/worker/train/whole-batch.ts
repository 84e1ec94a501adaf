// One training step of a batch that only fits the device in passes, computing exactly what the whole
// batch in one pass computes (PyTorch's batch of 16), BatchNorm included — in the body and the head:
//   1. a statistics pass over the whole batch (no tape, inference memory): every body BatchNorm's
//      statistics, and the body's output;
//   2. the head forward and backward on the whole batch's pooled features (its BatchNorm sees all
//      16 images): the head's gradients and the loss's gradient with respect to the pooled features;
//   3. per pass, the body forward normalised with the whole batch's statistics (so it reproduces
//      step 1's features) and backward from that pass's slice of the pooled-feature gradient.
// Running averages move once per batch. Without step 2, a head trained on cached features of whole
// batches (the fast frozen mode) would meet BatchNorm over 8 images when the body is unfrozen.
import * as tf from '@tensorflow/tfjs';
import { splitIntoPasses } from '../../ml/batching';
import { crossEntropy } from '../../ml/loss';
import type { Targets } from '../../ml/mixup';
import { caffePreprocess } from '../../ml/preprocess';
import { disposeStats, updateRunningStats, type LayerStats } from '../ml/batchnorm';
import type { ResNetGraph } from '../ml/resnet-graph';
import { concatPool, type FastaiHead } from './head';

export interface WholeBatchStep {
  body: ResNetGraph;
  head: FastaiHead;
  /** RGB pixels, 0–255, [n, size, size, 3]. */
  input: tf.Tensor4D;
  /** Each image's class (and mixup's partner classes and weights: the input is already mixed). */
  targets: Targets;
  imagesPerPass: number;
  /** Trainable body variables (convs when unfrozen, BatchNorm γ/β) and head variables. */
  bodyVars: tf.Variable[];
  headVars: tf.Variable[];
  dropoutSeed: number;
  /** Label smoothing ε of the loss (0: plain cross-entropy). */
  labelSmoothing?: number;
}

/** Gradients by variable name (summed over passes) and the batch's mean loss; the caller frees them. */
export function wholeBatchStep(s: WholeBatchStep): { grads: tf.NamedTensorMap; loss: tf.Scalar } {
  const x = tf.tidy(() => caffePreprocess(s.input));
  let bodyStats: LayerStats = new Map();
  let headStats: LayerStats = new Map();
  const grads: tf.NamedTensorMap = {};
  let loss: tf.Scalar | null = null;
  let pooledGrad: tf.Tensor2D | null = null;
  try {
    const statsPass = s.body.batchStatisticsAndOutput(x);
    bodyStats = statsPass.stats;
    const pooled = tf.tidy(() => concatPool(statsPass.output as tf.Tensor4D));
    statsPass.output.dispose();
    // The head on the whole batch: its gradients, and d loss / d pooled for the body's passes.
    const head = tf.engine().gradients(() => {
      const h = s.head.forward(pooled, true, s.dropoutSeed);
      headStats = h.stats;
      return crossEntropy(s.targets, h.logits, s.labelSmoothing);
    }, [pooled, ...s.headVars]);
    pooled.dispose();
    loss = head.value as tf.Scalar;
    pooledGrad = head.grads[0] as tf.Tensor2D;
    s.headVars.forEach((v, i) => (grads[v.name] = head.grads[i + 1]));
    let start = 0;
    for (const size of splitIntoPasses(s.targets.labels.length, s.imagesPerPass)) {
      const upstream = pooledGrad;
      let passStats: LayerStats = new Map();
      const pass = tf.engine().gradients(
        () => {
          const part = size === s.targets.labels.length ? x : tf.slice(x, start, size);
          const f = s.body.forward(part, { training: true, until: s.body.bodyOutput, bnStats: bodyStats });
          passStats = f.batchStats; // copies of the whole batch's, for the backward pass
          // Σ pooled · upstream: its gradient with respect to the body is the vector-Jacobian product.
          return tf.sum(tf.mul(concatPool(f.output as tf.Tensor4D), tf.slice(upstream, start, size)));
        },
        s.bodyVars,
        undefined,
        true,
      );
      pass.value.dispose();
      disposeStats(passStats);
      s.bodyVars.forEach((v, i) => {
        const g = pass.grads[i];
        if (!g) return;
        const old = grads[v.name];
        grads[v.name] = old ? tf.add(old, g) : g;
        if (old) tf.dispose([old, g]);
      });
      start += size;
    }
    updateRunningStats(bodyStats);
    updateRunningStats(headStats);
    return { grads, loss };
  } catch (error) {
    tf.dispose(Object.values(grads));
    if (loss) loss.dispose();
    throw error;
  } finally {
    x.dispose();
    if (pooledGrad) pooledGrad.dispose();
    disposeStats(bodyStats);
    disposeStats(headStats);
  }
}
