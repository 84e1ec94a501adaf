// Batch normalisation for training, with a hand-written backward pass.
// tfjs's own BatchNorm gradient tiles per-channel vectors to the full activation size and its
// moments gradient builds full-size ones-tensors; on wasm those dominated a ResNet50 step.
import * as tf from '@tensorflow/tfjs';
import { updateRunning } from '../../ml/batchnorm-factors';
import { fusedBatchNormOps, hostMemoryBackend } from '../kernels/batchnorm-ops';
import { fusedBatchNormPass, type BatchNormPass, type BatchNormPassArgs } from './batchnorm-fused';

/**
 * Σ over every axis but the last (channels). On wasm, Sum over leading axes transposes the whole
 * tensor first, and a product with a row of ones makes XNNPACK pack the activation as a weight
 * matrix (≈ 9 ns per element, measured in Chromium: 21 ms for 8×32×32×256). For NHWC activations a
 * global average pool runs on XNNPACK's pooling kernel instead (1.2 ms for the same tensor).
 */
export function channelSum(t: tf.Tensor): tf.Tensor1D {
  const channels = t.shape[t.rank - 1];
  const rows = t.size / channels;
  if (tf.getBackend() === 'wasm' && t.rank === 4) {
    const [batch, height, width] = t.shape;
    return tf.tidy(() => {
      const means = tf.avgPool(t as tf.Tensor4D, [height, width], [height, width], 'valid');
      return tf.mul(tf.sum(tf.reshape(means, [batch, channels]), 0), height * width) as tf.Tensor1D;
    });
  }
  if (tf.getBackend() === 'wasm') {
    return tf.tidy(() =>
      tf.reshape(tf.matMul(tf.ones([1, rows]), tf.reshape(t, [rows, channels])), [channels]),
    );
  }
  return tf.tidy(() => tf.sum(tf.reshape(t, [rows, channels]), 0));
}

/** PyTorch/fast.ai running-average momentum (Keras's 0.99 is the same thing seen from the other side). */
export const BN_MOMENTUM = 0.1;

/**
 * Momentum for a pass holding `fraction` of a batch. A batch computed in passes updates the running
 * statistics once per pass; with 1 − (1 − m)^fraction per pass the old value decays by exactly
 * (1 − m) per batch, as in PyTorch where the whole batch is one update (else passes of 8 in a batch
 * of 16 would average over half as many images).
 */
export function passMomentum(fraction: number): number {
  return 1 - (1 - BN_MOMENTUM) ** Math.min(1, Math.max(0, fraction));
}

/** Moves running statistics towards a batch's (PyTorch convention: unbiased variance). */
export function updateRunningAverages(
  movingMean: tf.Variable,
  movingVariance: tf.Variable,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  count: number,
  momentum = BN_MOMENTUM,
): void {
  if (hostMemoryBackend()) {
    // Data in the CPU's own memory: the same float32 arithmetic in plain loops, one upload per vector
    // instead of seven kernel calls per layer and pass.
    // Copies: the cpu backend's dataSync hands out the tensor's own array (shared with its clones).
    const [m, v] = [movingMean.dataSync().slice(), movingVariance.dataSync().slice()] as Float32Array[];
    updateRunning(
      m,
      v,
      mean.dataSync() as Float32Array,
      variance.dataSync() as Float32Array,
      count,
      momentum,
    );
    tf.tidy(() => {
      movingMean.assign(tf.tensor1d(m));
      movingVariance.assign(tf.tensor1d(v));
    });
    return;
  }
  tf.tidy(() => {
    const unbiased = tf.mul(variance, count / Math.max(1, count - 1));
    movingMean.assign(tf.add(tf.mul(movingMean, 1 - momentum), tf.mul(mean, momentum)));
    movingVariance.assign(tf.add(tf.mul(movingVariance, 1 - momentum), tf.mul(unbiased, momentum)));
  });
}

/** One BatchNorm layer's parameters, in the body and in the head alike. */
export interface BnParams {
  gamma: tf.Variable;
  beta: tf.Variable;
  movingMean: tf.Variable;
  movingVariance: tf.Variable;
}

/** One pass's statistics of one BatchNorm layer. */
export interface BatchStats {
  mean: tf.Tensor1D;
  /** Biased variance (what normalises the batch). */
  variance: tf.Tensor1D;
  /** Values per channel the statistics were taken over (for the unbiased running variance). */
  count: number;
}

/**
 * A pass's statistics of every BatchNorm layer it ran in training mode. The caller owns them: it
 * updates the running averages (updateRunningStats), then frees them (disposeStats).
 */
export type LayerStats = Map<BnParams, BatchStats>;

export function updateRunningStats(stats: LayerStats, momentum = BN_MOMENTUM): void {
  for (const [p, { mean, variance, count }] of stats)
    updateRunningAverages(p.movingMean, p.movingVariance, mean, variance, count, momentum);
}

export function disposeStats(stats: LayerStats): void {
  for (const { mean, variance } of stats.values()) tf.dispose([mean, variance]);
}

/**
 * Training-mode batch norm (batch statistics), optionally followed by ReLU, as one differentiable op.
 * Returns the output and the batch statistics (for the running averages; not differentiated).
 *
 * `given`: a pass of a larger batch, normalised with that batch's statistics (see whole-batch.ts).
 * The backward pass then estimates the batch's terms Σdy/M and Σdy·x̂/M from this pass's images —
 * the exact ones would need every pass's gradient at once — instead of dropping them, as treating
 * the statistics as constants would.
 */
export function batchNormTrain(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
  given?: BatchStats,
): { y: tf.Tensor; stats: BatchStats } {
  let stats: BatchStats | null = null;
  const op = tf.customGrad((...args: unknown[]) => {
    const [input, g, b] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const count = input.size / input.shape[input.rank - 1];
    const passArgs: BatchNormPassArgs = { input, gamma: g, beta: b, epsilon, relu, count, given };
    // Our fused SIMD passes on wasm, else tfjs ops.
    const fused = fusedBatchNormOps(input);
    const pass = fused ? fusedBatchNormPass(fused, passArgs) : batchNormOpsPass(passArgs);
    stats = pass.stats;
    save(pass.saved);
    return { value: pass.y, gradFunc: pass.gradFunc };
  });
  const y = op(x, gamma, beta);
  return { y, stats: stats! };
}

/**
 * batchNormTrain as tfjs ops (every backend but wasm's fused kernels). Full-size passes are what
 * cost, so both directions work on x itself and fold every per-channel factor into vectors: x̂ is
 * never materialised (forward 4 passes, backward 7).
 */
function batchNormOpsPass({
  input,
  gamma: g,
  beta: b,
  epsilon,
  relu,
  count,
  given,
}: BatchNormPassArgs): BatchNormPass {
  const { mean, variance } = given
    ? { mean: given.mean.clone(), variance: given.variance.clone() }
    : batchMoments(input, count);
  const invStd = tf.rsqrt(tf.add(variance, epsilon)) as tf.Tensor1D;
  const scale = tf.mul(g, invStd) as tf.Tensor1D;
  const shift = tf.sub(b, tf.mul(mean, scale)) as tf.Tensor1D;
  const y = affineRelu(input, scale, shift, relu);
  return {
    y,
    stats: { mean: tf.keep(mean), variance: tf.keep(variance), count },
    saved: [input, mean, invStd, g, y],
    gradFunc: (dy, [xs, mu, inv, gam, out]) => {
      // g = dy, masked where the ReLU was off; Σg and Σg·x per channel.
      const grad = relu ? tf.mul(dy, tf.step(out)) : dy;
      const dBeta = channelSum(grad);
      // Σ dy·x̂ = σ⁻¹·(Σ dy·x − μ·Σ dy)
      const dGamma = tf.mul(inv, tf.sub(channelSum(tf.mul(grad, xs)), tf.mul(mu, dBeta)));
      // dx = k·dy + x·k₂ + k₃ with k = γσ⁻¹, k₂ = −k·σ⁻¹·dγ/M, k₃ = −k·(dβ − μσ⁻¹·dγ)/M
      const k = tf.mul(gam, inv) as tf.Tensor1D;
      const k2 = tf.neg(tf.div(tf.mul(tf.mul(k, inv), dGamma), count)) as tf.Tensor1D;
      const k3 = tf.neg(
        tf.div(tf.mul(k, tf.sub(dBeta, tf.mul(tf.mul(mu, inv), dGamma))), count),
      ) as tf.Tensor1D;
      const dx = tf.add(tf.add(tf.mul(grad, k), tf.mul(xs, k2)), k3);
      return [dx, dGamma, dBeta];
    },
  };
}

/** A pass's mean and (biased) variance per channel. */
function batchMoments(x: tf.Tensor, count: number): { mean: tf.Tensor1D; variance: tf.Tensor1D } {
  const [sum, sumOfSquares] = [channelSum(x), channelSum(tf.square(x))];
  const mean = tf.div(sum, count) as tf.Tensor1D;
  // E[x²] − E[x]², clamped: one pass fewer than Σ(x − μ)², accurate enough for activations.
  const variance = tf.relu(tf.sub(tf.div(sumOfSquares, count), tf.square(mean))) as tf.Tensor1D;
  return { mean, variance };
}

/** Inference-mode batch norm with the running statistics (plus optional ReLU). */
export function batchNormInfer(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  movingMean: tf.Tensor1D,
  movingVariance: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
): tf.Tensor {
  return tf.tidy(() => {
    const scale = tf.mul(gamma, tf.rsqrt(tf.add(movingVariance, epsilon))) as tf.Tensor1D;
    const shift = tf.sub(beta, tf.mul(movingMean, scale)) as tf.Tensor1D;
    const fused = fusedBatchNormOps(x);
    return fused ? fused.affine(x, scale, shift, relu) : affineRelu(x, scale, shift, relu);
  });
}

/** x·scale + shift per channel, then ReLU if asked (tfjs ops). */
function affineRelu(x: tf.Tensor, scale: tf.Tensor1D, shift: tf.Tensor1D, relu: boolean): tf.Tensor {
  const y = tf.add(tf.mul(x, scale), shift);
  return relu ? tf.relu(y) : y;
}
