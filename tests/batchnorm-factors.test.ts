// BatchNorm's per-channel arithmetic in plain float32 (src/ml/batchnorm-factors.ts) against the tfjs
// ops it replaces on wasm, bit for bit: the fused training path must give the seeded runs the same
// numbers as before, and the same as the ops path other backends run.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { affineFactors, gradientFactors, momentsFromSums, updateRunning } from '../src/ml/batchnorm-factors';
import { seededRandom } from '../src/ml/random';

const C = 4096;
const EPSILON = 1.001e-5;

function randoms(seed: number, scale: number, offset = 0): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: C }, () => (next() - 0.5) * scale + offset);
}

const bits = (a: Float32Array | ArrayLike<number>) =>
  Array.from(new Uint32Array(Float32Array.from(a).buffer));
const v = (a: Float32Array) => tf.tensor1d(a);

describe('BatchNorm factors in float32 = the tfjs ops, bit for bit (wasm)', () => {
  beforeAll(async () => {
    await tf.setBackend('wasm');
  });

  for (const count of [105, 16 * 64 * 64, 3 * 7 * 7]) {
    it(`moments and affine factors over ${count} values`, () => {
      const before = tf.memory().numTensors;
      const mean0 = randoms(1, 4);
      const sum = mean0.map((m) => m * count);
      // Some variances at and below zero by rounding (E[x²] ≈ E[x]²): the clamp must match.
      const sumOfSquares = sum.map(
        (s, c) => (s * s) / count + (c % 7 === 0 ? 0 : Math.abs(mean0[c]) * count),
      );
      const gamma = randoms(2, 2, 1);
      const beta = randoms(3, 1);
      const ours = momentsFromSums(sum, sumOfSquares, count);
      const factors = affineFactors(ours.mean, ours.variance, gamma, beta, EPSILON);
      const theirs = tf.tidy(() => {
        const mean = tf.div(v(sum), count);
        const variance = tf.relu(tf.sub(tf.div(v(sumOfSquares), count), tf.square(mean)));
        const invStd = tf.rsqrt(tf.add(variance, EPSILON));
        const scale = tf.mul(v(gamma), invStd);
        const shift = tf.sub(v(beta), tf.mul(mean, scale));
        return [mean, variance, invStd, scale, shift].map((t) => t.dataSync() as Float32Array);
      });
      expect(ours.variance.some((x) => x === 0)).toBe(true);
      expect(bits(ours.mean)).toEqual(bits(theirs[0]));
      expect(bits(ours.variance)).toEqual(bits(theirs[1]));
      expect(bits(factors.invStd)).toEqual(bits(theirs[2]));
      expect(bits(factors.scale)).toEqual(bits(theirs[3]));
      expect(bits(factors.shift)).toEqual(bits(theirs[4]));
      expect(tf.memory().numTensors).toBe(before);
    });

    it(`gradient factors over ${count} values`, () => {
      const sum = randoms(4, 50);
      const sumTimesX = randoms(5, 80);
      const mean = randoms(6, 3);
      const invStd = randoms(7, 2, 1.5);
      const gamma = randoms(8, 2, 1);
      const ours = gradientFactors(sum, sumTimesX, mean, invStd, gamma, count);
      const theirs = tf.tidy(() => {
        const [dBeta, mu, inv] = [v(sum), v(mean), v(invStd)];
        const dGamma = tf.mul(inv, tf.sub(v(sumTimesX), tf.mul(mu, dBeta)));
        const k = tf.mul(v(gamma), inv);
        const k2 = tf.neg(tf.div(tf.mul(tf.mul(k, inv), dGamma), count));
        const k3 = tf.neg(tf.div(tf.mul(k, tf.sub(dBeta, tf.mul(tf.mul(mu, inv), dGamma))), count));
        return [dGamma, k, k2, k3].map((t) => t.dataSync() as Float32Array);
      });
      expect(bits(ours.dGamma)).toEqual(bits(theirs[0]));
      expect(bits(ours.k)).toEqual(bits(theirs[1]));
      expect(bits(ours.k2)).toEqual(bits(theirs[2]));
      expect(bits(ours.k3)).toEqual(bits(theirs[3]));
    });
  }

  it('running averages, with the unbiased variance', () => {
    const count = 8 * 16 * 16;
    const momentum = 1 - (1 - 0.1) ** 0.5;
    const [mean, variance] = [randoms(9, 2), randoms(10, 3, 2)];
    const [m, s] = [randoms(11, 2), randoms(12, 3, 2)];
    const theirs = tf.tidy(() => {
      const unbiased = tf.mul(v(variance), count / (count - 1));
      return [
        tf.add(tf.mul(v(m), 1 - momentum), tf.mul(v(mean), momentum)),
        tf.add(tf.mul(v(s), 1 - momentum), tf.mul(unbiased, momentum)),
      ].map((t) => t.dataSync() as Float32Array);
    });
    updateRunning(m, s, mean, variance, count, momentum);
    expect(bits(m)).toEqual(bits(theirs[0]));
    expect(bits(s)).toEqual(bits(theirs[1]));
  });
});
