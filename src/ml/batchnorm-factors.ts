// BatchNorm's per-channel vectors (mean, variance, the affine factors, the backward pass's factors,
// the running averages) in plain float32 arithmetic, rounded after every operation exactly as the
// tfjs ops they replace round (IEEE single precision: add, sub, mul, div and sqrt correctly rounded),
// so the results are the same bits. On wasm each of these was ~30 tiny tfjs ops per layer and pass
// (~1,700 kernel calls per ResNet50 step, each with the engine's bookkeeping): computed here they
// cost one read of the fused kernels' sums and a few small uploads (worker/ml/batchnorm.ts).
const f = Math.fround;

/** Mean and (biased, clamped) variance from Σx and Σx² over `count` values per channel. */
export function momentsFromSums(
  sum: Float32Array,
  sumOfSquares: Float32Array,
  count: number,
): { mean: Float32Array; variance: Float32Array } {
  const n = f(count);
  const mean = new Float32Array(sum.length);
  const variance = new Float32Array(sum.length);
  for (let c = 0; c < sum.length; c++) {
    const m = f(sum[c] / n);
    mean[c] = m;
    // E[x²] − E[x]², clamped at 0 (as relu(sub(div(Σx², n), square(mean)))).
    variance[c] = Math.max(0, f(f(sumOfSquares[c] / n) - f(m * m)));
  }
  return { mean, variance };
}

/** 1/√(σ² + ε), then the affine pass's scale = γ/√(σ² + ε) and shift = β − μ·scale. */
export function affineFactors(
  mean: Float32Array,
  variance: Float32Array,
  gamma: Float32Array,
  beta: Float32Array,
  epsilon: number,
): { invStd: Float32Array; scale: Float32Array; shift: Float32Array } {
  const eps = f(epsilon);
  const invStd = new Float32Array(mean.length);
  const scale = new Float32Array(mean.length);
  const shift = new Float32Array(mean.length);
  for (let c = 0; c < mean.length; c++) {
    const inv = f(1 / f(Math.sqrt(f(variance[c] + eps))));
    const s = f(gamma[c] * inv);
    invStd[c] = inv;
    scale[c] = s;
    shift[c] = f(beta[c] - f(mean[c] * s));
  }
  return { invStd, scale, shift };
}

/**
 * The backward pass's vectors from Σg and Σg·x (g = dy, masked by the ReLU): dγ = σ⁻¹·(Σg·x − μ·Σg);
 * dx = k·g + k₂·x + k₃ with k = γσ⁻¹, k₂ = −k·σ⁻¹·dγ/M, k₃ = −k·(Σg − μσ⁻¹·dγ)/M (dβ = Σg).
 */
export function gradientFactors(
  sum: Float32Array,
  sumTimesX: Float32Array,
  mean: Float32Array,
  invStd: Float32Array,
  gamma: Float32Array,
  count: number,
): { dGamma: Float32Array; k: Float32Array; k2: Float32Array; k3: Float32Array } {
  const n = f(count);
  const length = sum.length;
  const [dGamma, k, k2, k3] = [0, 1, 2, 3].map(() => new Float32Array(length));
  for (let c = 0; c < length; c++) {
    const inv = invStd[c];
    const dg = f(inv * f(sumTimesX[c] - f(mean[c] * sum[c])));
    const kc = f(gamma[c] * inv);
    dGamma[c] = dg;
    k[c] = kc;
    k2[c] = -f(f(f(kc * inv) * dg) / n);
    k3[c] = -f(f(kc * f(sum[c] - f(f(mean[c] * inv) * dg))) / n);
  }
  return { dGamma, k, k2, k3 };
}

/**
 * Running averages moved towards a pass's statistics, in place (PyTorch's convention: the unbiased
 * variance): m ← m·(1 − momentum) + μ·momentum, v ← v·(1 − momentum) + σ²·n/(n − 1)·momentum.
 */
export function updateRunning(
  movingMean: Float32Array,
  movingVariance: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  count: number,
  momentum: number,
): void {
  const keep = f(1 - momentum);
  const take = f(momentum);
  const bessel = f(count / Math.max(1, count - 1));
  for (let c = 0; c < mean.length; c++) {
    movingMean[c] = f(f(movingMean[c] * keep) + f(mean[c] * take));
    movingVariance[c] = f(f(movingVariance[c] * keep) + f(f(variance[c] * bessel) * take));
  }
}
