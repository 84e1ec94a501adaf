// Gradients summed over passes equal the whole batch's (what lets a batch exceed a pass's memory).
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { sumPasses } from '../src/worker/train/passes';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('sumPasses', () => {
  it('weights each pass by its share: the sum equals one pass over the batch, and nothing leaks', () => {
    const w = tf.variable(tf.tensor2d([0.5, -1, 2, 0.25, 1, -0.5], [3, 2]), true, 'w');
    const x = tf.tensor2d(
      Array.from({ length: 15 }, (_, i) => Math.sin(i)),
      [5, 3],
    );
    const meanLoss = (rows: tf.Tensor2D) => tf.mean(tf.square(tf.matMul(rows, w))) as tf.Scalar;
    const before = tf.memory().numTensors;
    const whole = tf.variableGrads(() => meanLoss(x), [w]);
    for (const imagesPerPass of [1, 2, 5]) {
      const { grads, losses } = sumPasses(5, imagesPerPass, (start, size) =>
        tf.variableGrads(() => meanLoss(tf.slice(x, start, size)), [w]),
      );
      const loss = losses.reduce((sum, l) => sum + l.value.dataSync()[0] * l.weight, 0);
      expect(loss).toBeCloseTo(whole.value.dataSync()[0], 5);
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(grads.w, whole.grads.w))).dataSync()[0]);
      expect(diff).toBeLessThan(1e-6);
      tf.dispose([grads, ...losses.map((l) => l.value)]);
    }
    tf.dispose([whole.value, whole.grads]);
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([w, x]);
  });

  it('frees what it holds when a pass fails', () => {
    const w = tf.variable(tf.scalar(2), true, 'w2');
    const before = tf.memory().numTensors;
    let calls = 0;
    expect(() =>
      sumPasses(4, 2, () => {
        if (++calls === 2) throw new Error('out of memory');
        return tf.variableGrads(() => tf.mul(w, w) as tf.Scalar, [w]);
      }),
    ).toThrow('out of memory');
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });
});
