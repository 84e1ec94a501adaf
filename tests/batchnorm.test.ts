// Our fused training BatchNorm(+ReLU) against tfjs autodiff of the textbook formula.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import {
  BN_MOMENTUM,
  batchNormTrain,
  channelSum,
  passMomentum,
  updateRunningAverages,
} from '../src/worker/ml/batchnorm';

function naive(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number, relu: boolean): tf.Tensor {
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  return relu ? tf.relu(y) : y;
}

function maxRelError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(
    () => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-6, tf.max(tf.abs(b)).dataSync()[0]),
  );
}

for (const backend of ['cpu', 'wasm']) {
  describe(`batchNormTrain on ${backend}`, () => {
    for (const relu of [false, true]) {
      it(`matches autodiff of the formula (relu=${relu}) in value and gradients`, async () => {
        await tf.setBackend(backend);
        const before = tf.memory().numTensors;
        const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal([3, 5, 4, 6], 0, 1, 'float32', 1), 2), 0.5));
        const gamma = tf.randomUniform([6], 0.5, 1.5, 'float32', 2) as tf.Tensor1D;
        const beta = tf.randomNormal([6], 0, 1, 'float32', 3) as tf.Tensor1D;
        const probe = tf.randomNormal([3, 5, 4, 6], 0, 1, 'float32', 4);
        const ours = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
          const { y, stats } = batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, relu);
          tf.dispose([stats.mean, stats.variance]);
          return tf.sum(tf.mul(y, probe));
        };
        const reference = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.mul(naive(a, g, b, 1e-3, relu), probe));
        const oursGrads = tf.grads(ours)([x, gamma, beta]);
        const refGrads = tf.grads(reference)([x, gamma, beta]);
        for (let i = 0; i < 3; i++) expect(maxRelError(oursGrads[i], refGrads[i])).toBeLessThan(1e-4);
        const { y, stats } = batchNormTrain(x, gamma, beta, 1e-3, relu);
        const expected = tf.tidy(() => naive(x, gamma, beta, 1e-3, relu));
        expect(maxRelError(y, expected)).toBeLessThan(1e-5);
        const { mean, variance } = tf.moments(x, [0, 1, 2]);
        expect(maxRelError(stats.mean, mean)).toBeLessThan(1e-5);
        expect(maxRelError(stats.variance, variance)).toBeLessThan(1e-4);
        tf.dispose([
          x,
          gamma,
          beta,
          probe,
          ...oursGrads,
          ...refGrads,
          y,
          expected,
          mean,
          variance,
          stats.mean,
          stats.variance,
        ]);
        expect(tf.memory().numTensors).toBe(before);
      });
    }

    it('channelSum sums every axis but the last', async () => {
      await tf.setBackend(backend);
      const t = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
      expect(Array.from(channelSum(t).dataSync())).toEqual([16, 20]);
      t.dispose();
    });

    it('channelSum of an NHWC activation (pooling path on wasm) equals the plain sum', async () => {
      await tf.setBackend(backend);
      const t = tf.randomNormal([3, 7, 5, 11], 0, 1, 'float32', 9);
      const expected = tf.sum(t, [0, 1, 2]);
      expect(maxRelError(channelSum(t), expected)).toBeLessThan(1e-5);
      tf.dispose([t, expected]);
    });
  });
}

describe('running statistics over a batch computed in passes', () => {
  it('decay the old value by exactly (1 − momentum) per batch', () => {
    expect(passMomentum(1)).toBeCloseTo(BN_MOMENTUM, 12);
    const half = passMomentum(0.5);
    expect((1 - half) ** 2).toBeCloseTo(1 - BN_MOMENTUM, 12);
    const quarter = passMomentum(0.25);
    expect((1 - quarter) ** 4).toBeCloseTo(1 - BN_MOMENTUM, 12);
  });

  it('two half-batch updates land next to one whole-batch update', async () => {
    await tf.setBackend('cpu');
    const run = (passes: number[][]) => {
      const mean = tf.variable(tf.tensor1d([10]));
      const variance = tf.variable(tf.tensor1d([4]));
      for (const values of passes) {
        const x = tf.tensor1d(values);
        const m = tf.moments(x);
        updateRunningAverages(
          mean,
          variance,
          m.mean as tf.Tensor1D,
          m.variance as tf.Tensor1D,
          values.length,
          passMomentum(values.length / 4),
        );
        tf.dispose([x, m.mean, m.variance]);
      }
      const out = [mean.dataSync()[0], variance.dataSync()[0]];
      tf.dispose([mean, variance]);
      return out;
    };
    const [wholeMean] = run([[1, 2, 3, 4]]);
    const [splitMean] = run([
      [1, 2],
      [3, 4],
    ]);
    // PyTorch: 0.9·10 + 0.1·2.5 = 9.25; the split keeps the old value's weight at exactly 0.9.
    expect(wholeMean).toBeCloseTo(9.25, 5);
    expect(Math.abs(splitMean - wholeMean)).toBeLessThan(0.01);
  });
});
