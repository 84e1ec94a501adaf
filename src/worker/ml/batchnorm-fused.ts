// Training BatchNorm on our fused wasm kernels (kernels/batchnorm-ops.ts): the full-size passes are
// the kernels', the per-channel arithmetic between them plain float32 math on their read-back sums
// (ml/batchnorm-factors.ts: the same bits as the tfjs ops of batchnorm.ts's general path, without
// ~25 kernel calls per layer and pass). Both directions read x itself: x̂ is never materialised.
import * as tf from '@tensorflow/tfjs';
import { affineFactors, gradientFactors, momentsFromSums } from '../../ml/batchnorm-factors';
import type { FusedBatchNormOps } from '../kernels/batchnorm-ops';
import type { BatchStats } from './batchnorm';

/** One training-mode BatchNorm pass: its output, statistics, what to save and its gradient. */
export interface BatchNormPass {
  y: tf.Tensor;
  stats: BatchStats;
  saved: tf.Tensor[];
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];
}

/** What one training-mode pass takes, whichever path computes it (fused kernels or tfjs ops). */
export interface BatchNormPassArgs {
  input: tf.Tensor;
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  epsilon: number;
  /** ReLU after the affine step. */
  relu: boolean;
  /** Values per channel in the pass. */
  count: number;
  /** A larger batch's statistics to normalise with instead of the pass's own (whole-batch.ts). */
  given?: BatchStats;
}

const vector = (values: Float32Array) => tf.tensor1d(values, 'float32');

export function fusedBatchNormPass(
  ops: FusedBatchNormOps,
  { input, gamma: g, beta: b, epsilon, relu, count, given }: BatchNormPassArgs,
): BatchNormPass {
  const gamma = g.dataSync() as Float32Array;
  const { mean, variance } = given
    ? { mean: given.mean.dataSync() as Float32Array, variance: given.variance.dataSync() as Float32Array }
    : momentsFromSums(...ops.moments(input), count);
  const { invStd, scale, shift } = affineFactors(
    mean,
    variance,
    gamma,
    b.dataSync() as Float32Array,
    epsilon,
  );
  const [scaleT, shiftT] = [vector(scale), vector(shift)];
  const y = ops.affine(input, scaleT, shiftT, relu);
  tf.dispose([scaleT, shiftT]);
  return {
    y,
    stats: { mean: tf.keep(vector(mean)), variance: tf.keep(vector(variance)), count },
    saved: [input, y],
    gradFunc: (dy, [xs, out]) => {
      const [sum, sumTimesX] = ops.gradSums(dy, xs, out, relu);
      const { dGamma, k, k2, k3 } = gradientFactors(sum, sumTimesX, mean, invStd, gamma, count);
      const factors = [k, k2, k3].map(vector) as [tf.Tensor1D, tf.Tensor1D, tf.Tensor1D];
      const dx = ops.gradInput(dy, xs, out, ...factors, relu);
      tf.dispose(factors);
      return [dx, vector(dGamma), vector(sum)];
    },
  };
}
