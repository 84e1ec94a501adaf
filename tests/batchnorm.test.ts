// Our fused training BatchNorm(+ReLU) against tfjs autodiff of the textbook formula.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { BN_MOMENTUM, channelSum, passMomentum, updateRunningAverages } from '../src/worker/ml/batchnorm';
import { expectBatchNormTrainMatchesFormula, maxRelError } from './support/batchnorm-reference';

for (const backend of ['cpu', 'wasm']) {
  describe(`batchNormTrain on ${backend}`, () => {
    for (const relu of [false, true]) {
      it(`matches autodiff of the formula (relu=${relu}) in value and gradients`, async () => {
        await tf.setBackend(backend);
        await expectBatchNormTrainMatchesFormula([3, 5, 4, 6], relu);
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

    it('the running averages move in place of the variables, never in a copy that shares their data', async () => {
      await tf.setBackend(backend);
      const before = tf.memory().numTensors;
      const [mean, variance] = tf.tidy(() => [
        tf.variable(tf.tensor1d([10, 1])),
        tf.variable(tf.tensor1d([4, 2])),
      ]);
      // lr_find's bookmark: clones (the cpu backend shares the data of a clone until one is written).
      const [keptMean, keptVariance] = [tf.clone(mean), tf.clone(variance)];
      const [m, v] = [tf.tensor1d([2, 3]), tf.tensor1d([1, 1])];
      updateRunningAverages(mean, variance, m, v, 4, 0.1);
      expect(Array.from(keptMean.dataSync())).toEqual([10, 1]);
      expect(Array.from(keptVariance.dataSync())).toEqual([4, 2]);
      // 0.9·10 + 0.1·2, and the unbiased variance 0.9·4 + 0.1·(1·4/3), in float32
      expect(mean.dataSync()[0]).toBeCloseTo(9.2, 5);
      expect(variance.dataSync()[0]).toBeCloseTo(3.6 + 0.4 / 3, 5);
      tf.dispose([mean, variance, keptMean, keptVariance, m, v]);
      expect(tf.memory().numTensors).toBe(before);
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
