// AdamW exactly as fast.ai v1 runs it (OptimWrapper with true_wd=True, bn_wd=True over torch Adam):
// decoupled weight decay p ← p·(1 − lr·wd) first, then torch's Adam step with bias correction,
// per layer group learning rates, β1 set by the one-cycle schedule each step.
import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta2: 0.99, epsilon: 1e-8, weightDecay: 1e-2 };

/** One update's scalars, as AdamW.apply computes them (float32 where a kernel takes them). */
export interface AdamWScalars {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  /** 1 − lr·wd: decoupled weight decay. */
  decay: number;
  /** √(1 − β2^t). */
  sqrtBiasCorrection2: number;
  epsilon: number;
  /** lr / (1 − β1^t). */
  stepSize: number;
}

/**
 * One variable's whole update as a single fused op (the wasm backend's: one pass instead of ~14),
 * giving what apply's ops give: [p', m', v']; null where it does not apply (then apply's ops run).
 */
export type FusedAdamWUpdate = (
  p: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  scalars: AdamWScalars,
) => [tf.Tensor, tf.Tensor, tf.Tensor] | null;

interface Slot {
  m: tf.Variable;
  v: tf.Variable;
}

/** An optimizer's state by variable: its step count and the moments of each variable it has seen. */
export interface AdamWState<Moment> {
  step: number;
  moments: Map<tf.Variable, { m: Moment; v: Moment }>;
}

export class AdamW {
  private readonly slots = new Map<tf.Variable, Slot>();
  private stepCount = 0;

  constructor(
    readonly options: AdamWOptions = ADAMW_DEFAULTS,
    private readonly fused: FusedAdamWUpdate | null = null,
  ) {}

  /**
   * One update. `groups[i]` lists the variables trained with `lrs[i]`; grads are keyed by variable
   * name. Variables without a gradient are left alone (frozen).
   */
  apply(groups: tf.Variable[][], lrs: number[], beta1: number, grads: tf.NamedTensorMap): void {
    this.stepCount++;
    const { beta2, epsilon, weightDecay } = this.options;
    const bc1 = 1 - beta1 ** this.stepCount;
    const bc2 = 1 - beta2 ** this.stepCount;
    tf.tidy(() => {
      groups.forEach((variables, g) => {
        const lr = lrs[g];
        for (const p of variables) {
          const grad = grads[p.name];
          if (!grad) continue;
          const slot = this.slot(p);
          const fused = this.fused?.(p, grad, slot.m, slot.v, {
            beta1,
            oneMinusBeta1: 1 - beta1,
            beta2,
            oneMinusBeta2: 1 - beta2,
            decay: 1 - lr * weightDecay,
            sqrtBiasCorrection2: Math.sqrt(bc2),
            epsilon,
            stepSize: lr / bc1,
          });
          if (fused) {
            const [updated, m, v] = fused;
            slot.m.assign(m);
            slot.v.assign(v);
            p.assign(updated);
            continue;
          }
          slot.m.assign(tf.add(tf.mul(slot.m, beta1), tf.mul(grad, 1 - beta1)));
          slot.v.assign(tf.add(tf.mul(slot.v, beta2), tf.mul(tf.square(grad), 1 - beta2)));
          const decayed = tf.mul(p, 1 - lr * weightDecay);
          const denom = tf.add(tf.div(tf.sqrt(slot.v), Math.sqrt(bc2)), epsilon);
          p.assign(tf.sub(decayed, tf.mul(tf.div(slot.m, denom), lr / bc1)));
        }
      });
    });
  }

  private slot(p: tf.Variable): Slot {
    let slot = this.slots.get(p);
    if (!slot) {
      slot = { m: tf.variable(tf.zerosLike(p), false), v: tf.variable(tf.zerosLike(p), false) };
      this.slots.set(p, slot);
    }
    return slot;
  }

  get step(): number {
    return this.stepCount;
  }

  /** The state as values (checkpoints): the moments are read, not handed out. */
  async exportState(): Promise<AdamWState<Float32Array>> {
    const moments = new Map<tf.Variable, { m: Float32Array; v: Float32Array }>();
    for (const [p, { m, v }] of this.slots)
      moments.set(p, { m: (await m.data()) as Float32Array, v: (await v.data()) as Float32Array });
    return { step: this.stepCount, moments };
  }

  /** Replaces the whole state (a checkpoint's); moments of variables not listed start at zero. */
  restore(state: AdamWState<Float32Array>): void {
    this.dispose();
    for (const [p, { m, v }] of state.moments)
      this.slots.set(
        p,
        tf.tidy(() => ({
          m: tf.variable(tf.tensor(m, p.shape), false),
          v: tf.variable(tf.tensor(v, p.shape), false),
        })),
      );
    this.stepCount = state.step;
  }

  dispose(): void {
    for (const { m, v } of this.slots.values()) tf.dispose([m, v]);
    this.slots.clear();
  }
}
