// Mixup (Zhang et al. 2018) as fast.ai v1's MixUpCallback does it: each image of a batch is mixed
// with a partner from the same batch (a random permutation), x' = λ·x + (1 − λ)·x_partner with
// λ ~ Beta(α, α) per image, kept ≥ 0.5 (max(λ, 1 − λ)) so the image's own class dominates; the
// target mixes the same way, λ·onehot(y) + (1 − λ)·onehot(y_partner) (label smoothing, linear in
// the target, then applies to the mixed target). The draws come from a seeded stream (plain numbers,
// tested in Node); the mixing itself is two small tensor functions.
import * as tf from '@tensorflow/tfjs';
import { shuffle } from './random';

/** What a batch trains towards: each image's class, and with mixup its partner and weight. */
export interface Targets {
  labels: number[];
  mix?: Mix;
}

export interface Mix {
  /** The index (in the whole batch) each image is mixed with: used once, to mix the inputs. */
  partners: number[];
  /** The partner's class, per image (what the target mixes in; survives slicing into passes). */
  partnerLabels: number[];
  /** λ per image, in [0.5, 1]: the weight of the image's own pixels and class. */
  weights: number[];
}

/** A standard normal draw (Box–Muller) from a uniform stream. */
function normal(random: () => number): number {
  const u = Math.max(random(), Number.EPSILON);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape, 1) by Marsaglia & Tsang (2000); shape < 1 through Gamma(shape + 1)·U^(1/shape). */
export function gammaDraw(shape: number, random: () => number): number {
  if (shape < 1) return gammaDraw(shape + 1, random) * Math.max(random(), Number.EPSILON) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4 || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/** Beta(α, β) as X / (X + Y) of two Gamma draws. */
export function betaDraw(alpha: number, beta: number, random: () => number): number {
  const x = gammaDraw(alpha, random);
  const y = gammaDraw(beta, random);
  return x / (x + y);
}

/** A batch's targets; with α > 0, mixup's draw (partners and weights) from the given stream. */
export function drawTargets(labels: number[], alpha: number, random: () => number): Targets {
  if (!(alpha > 0) || labels.length < 2) return { labels };
  const weights = labels.map(() => {
    const lambda = betaDraw(alpha, alpha, random);
    return Math.max(lambda, 1 - lambda);
  });
  const partners = shuffle(
    labels.map((_, i) => i),
    random,
  );
  return { labels, mix: { partners, partnerLabels: partners.map((p) => labels[p]), weights } };
}

/** The targets of rows [start, start + size) of a batch (one pass of it). */
export function sliceTargets(targets: Targets, start: number, size: number): Targets {
  const end = start + size;
  const labels = targets.labels.slice(start, end);
  const mix = targets.mix;
  if (!mix) return { labels };
  return {
    labels,
    mix: {
      partners: mix.partners.slice(start, end),
      partnerLabels: mix.partnerLabels.slice(start, end),
      weights: mix.weights.slice(start, end),
    },
  };
}

/** The batch's inputs (pixels or features, any rank) mixed with their partners; a new tensor. */
export function mixInputs<T extends tf.Tensor>(x: T, mix: Mix): T {
  return tf.tidy(() => {
    const shape = [mix.weights.length, ...x.shape.slice(1).map(() => 1)];
    const w = tf.tensor(mix.weights, shape);
    const partner = tf.gather(x, tf.tensor1d(mix.partners, 'int32'));
    return tf.add(tf.mul(x, w), tf.mul(partner, tf.sub(1, w))) as T;
  });
}

/** [n, classes] target probabilities: one-hot, or mixed with each partner's class. */
export function targetMatrix(targets: Targets, classes: number): tf.Tensor2D {
  return tf.tidy(() => {
    const own = tf.oneHot(tf.tensor1d(targets.labels, 'int32'), classes).toFloat();
    const mix = targets.mix;
    if (!mix) return own as tf.Tensor2D;
    const w = tf.tensor2d(mix.weights, [mix.weights.length, 1]);
    const partner = tf.oneHot(tf.tensor1d(mix.partnerLabels, 'int32'), classes).toFloat();
    return tf.add(tf.mul(own, w), tf.mul(partner, tf.sub(1, w))) as tf.Tensor2D;
  });
}
