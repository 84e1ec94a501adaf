// fast.ai's head for cnn_learner: concat(max-pool, avg-pool) → BN(4096) → Dropout(0.25) →
// Linear(512) → ReLU → BN(512) → Dropout(0.5) → Linear(classes). Kaiming-normal weights, zero biases.
import * as tf from '@tensorflow/tfjs';
import { batchNormInfer, batchNormTrain, type BnParams, type LayerStats } from '../ml/batchnorm';

/** PyTorch's BatchNorm1d default, as in fast.ai's head. */
export const HEAD_EPSILON = 1e-5;
/** fast.ai's head: dropout after the first BatchNorm, then after the second. */
export const HEAD_DROPOUT = [0.25, 0.5] as const;
/** Width of the head's hidden layer. */
export const HEAD_HIDDEN = 512;
const EPS = HEAD_EPSILON;

/**
 * A variable from an initial value made here. In tidy: a variable shares its initial tensor's data,
 * so an undisposed initial tensor would keep that memory alive after the variable is freed.
 */
function variable(init: () => tf.Tensor, trainable: boolean, name: string): tf.Variable {
  return tf.tidy(() => tf.variable(init(), trainable, name));
}

function bn(size: number, name: string): BnParams {
  return {
    gamma: variable(() => tf.ones([size]), true, `${name}/gamma`),
    beta: variable(() => tf.zeros([size]), true, `${name}/beta`),
    movingMean: variable(() => tf.zeros([size]), false, `${name}/moving_mean`),
    movingVariance: variable(() => tf.ones([size]), false, `${name}/moving_variance`),
  };
}

function kaiming(fanIn: number, fanOut: number, name: string, seed: number): tf.Variable {
  return variable(
    () => tf.randomNormal([fanIn, fanOut], 0, Math.sqrt(2 / fanIn), 'float32', seed),
    true,
    name,
  );
}

let headCount = 0;

/** Pools body features [B, h, w, 2048] into fast.ai's [B, 4096] (max first, then average). */
export function concatPool(features: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.concat([tf.max(features, [1, 2]), tf.mean(features, [1, 2])], 1) as tf.Tensor2D);
}

export class FastaiHead {
  readonly bn1: BnParams;
  readonly bn2: BnParams;
  readonly dense1: { kernel: tf.Variable; bias: tf.Variable };
  readonly dense2: { kernel: tf.Variable; bias: tf.Variable };

  constructor(
    readonly inFeatures: number,
    readonly classes: number,
    private readonly seed = 42,
    /** Dropout rates after the first and second BatchNorm (tests compare steps without it). */
    private readonly dropout: readonly [number, number] = HEAD_DROPOUT,
  ) {
    const p = `head${++headCount}`;
    this.bn1 = bn(inFeatures, `${p}/bn1`);
    this.dense1 = {
      kernel: kaiming(inFeatures, HEAD_HIDDEN, `${p}/dense1/kernel`, seed),
      bias: variable(() => tf.zeros([HEAD_HIDDEN]), true, `${p}/dense1/bias`),
    };
    this.bn2 = bn(HEAD_HIDDEN, `${p}/bn2`);
    this.dense2 = {
      kernel: kaiming(HEAD_HIDDEN, classes, `${p}/dense2/kernel`, seed + 1),
      bias: variable(() => tf.zeros([classes]), true, `${p}/dense2/bias`),
    };
  }

  /** Back to the initial weights (the same seed's Kaiming draws) and fresh running statistics. */
  reset(): void {
    const fresh = new FastaiHead(this.inFeatures, this.classes, this.seed, this.dropout);
    const from = fresh.namedVariables();
    for (const [name, v] of this.namedVariables()) v.assign(from.get(name)!);
    fresh.dispose();
  }

  /** Pooled features [B, 4096] → logits. In training, also the BN batch statistics. */
  /**
   * `dropoutSeed`: the dropout masks of this pass (drawn from the learner's seeded stream, so two
   * runs with one split seed train identically); absent, they are random.
   */
  forward(
    pooled: tf.Tensor2D,
    training: boolean,
    dropoutSeed?: number,
  ): { logits: tf.Tensor2D; stats: LayerStats } {
    const stats: LayerStats = new Map();
    const norm = (x: tf.Tensor, b: BnParams, relu: boolean) => {
      if (!training)
        return batchNormInfer(
          x,
          b.gamma as tf.Tensor1D,
          b.beta as tf.Tensor1D,
          b.movingMean as tf.Tensor1D,
          b.movingVariance as tf.Tensor1D,
          EPS,
          relu,
        );
      const r = batchNormTrain(x, b.gamma as tf.Tensor1D, b.beta as tf.Tensor1D, EPS, relu);
      stats.set(b, r.stats);
      return r.y;
    };
    const drop = (x: tf.Tensor, rate: number, layer: number) =>
      training && rate > 0
        ? tf.dropout(x, rate, undefined, dropoutSeed === undefined ? undefined : dropoutSeed + layer)
        : x;
    let x: tf.Tensor = drop(norm(pooled, this.bn1, false), this.dropout[0], 0);
    x = tf.relu(tf.add(tf.matMul(x as tf.Tensor2D, this.dense1.kernel as tf.Tensor2D), this.dense1.bias));
    x = drop(norm(x, this.bn2, false), this.dropout[1], 1);
    const logits = tf.add(
      tf.matMul(x as tf.Tensor2D, this.dense2.kernel as tf.Tensor2D),
      this.dense2.bias,
    ) as tf.Tensor2D;
    return { logits, stats };
  }

  /** Stable names (for checkpoints) → variables, trainable and running statistics alike. */
  namedVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [key, b] of [
      ['bn1', this.bn1],
      ['bn2', this.bn2],
    ] as const) {
      out
        .set(`head/${key}/gamma`, b.gamma)
        .set(`head/${key}/beta`, b.beta)
        .set(`head/${key}/moving_mean`, b.movingMean)
        .set(`head/${key}/moving_variance`, b.movingVariance);
    }
    for (const [key, d] of [
      ['dense1', this.dense1],
      ['dense2', this.dense2],
    ] as const) {
      out.set(`head/${key}/kernel`, d.kernel).set(`head/${key}/bias`, d.bias);
    }
    return out;
  }

  trainableVariables(): tf.Variable[] {
    return [
      this.bn1.gamma,
      this.bn1.beta,
      this.dense1.kernel,
      this.dense1.bias,
      this.bn2.gamma,
      this.bn2.beta,
      this.dense2.kernel,
      this.dense2.bias,
    ];
  }

  dispose(): void {
    tf.dispose([...this.namedVariables().values()]);
  }
}
