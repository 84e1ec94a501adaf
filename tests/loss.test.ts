// The training loss against hand-computed values: plain cross-entropy, and label smoothing as
// fast.ai's LabelSmoothingCrossEntropy defines it; no tensor leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from '../src/ml/loss';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** −(1 − ε)·log p_y − (ε/C)·Σ_c log p_c per row, averaged: computed by hand in plain numbers. */
function byHand(labels: number[], logits: number[][], eps: number): number {
  let total = 0;
  labels.forEach((y, i) => {
    const row = logits[i];
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((a, z) => a + Math.exp(z - max), 0));
    const logP = row.map((z) => z - logSum);
    total += -(1 - eps) * logP[y] - (eps / row.length) * logP.reduce((a, b) => a + b, 0);
  });
  return total / labels.length;
}

describe('cross-entropy with label smoothing', () => {
  const logits = [
    [2, 0.5, -1],
    [0.1, 0.2, 3],
    [-2, 4, 1],
  ];
  const labels = [0, 1, 1];

  it('without smoothing: the mean of −log p_y (hand-computed numbers)', () => {
    const x = tf.tensor2d(logits);
    const loss = crossEntropy(labels, x);
    // −log softmax by hand for the first row: log(e² + e^0.5 + e^−1) − 2
    const first = Math.log(Math.exp(2) + Math.exp(0.5) + Math.exp(-1)) - 2;
    expect(first).toBeCloseTo(0.241, 3);
    expect(loss.dataSync()[0]).toBeCloseTo(byHand(labels, logits, 0), 5);
    tf.dispose([x, loss]);
  });

  it('ε = 0.1 moves ε/C of the target onto every class', () => {
    const x = tf.tensor2d(logits);
    const loss = crossEntropy(labels, x, 0.1);
    expect(loss.dataSync()[0]).toBeCloseTo(byHand(labels, logits, 0.1), 5);
    // A confident right answer now costs more than without smoothing, a wrong one slightly less.
    const right = tf.tensor2d([[10, 0, 0]]);
    const a = crossEntropy([0], right, 0.1);
    const b = crossEntropy([0], right);
    expect(a.dataSync()[0]).toBeGreaterThan(b.dataSync()[0] + 0.5);
    tf.dispose([x, loss, right, a, b]);
  });

  it('its gradient is softmax − smoothed target (per row, / batch)', () => {
    const x = tf.tensor2d(logits);
    const grad = tf.grad((z: tf.Tensor) => crossEntropy(labels, z as tf.Tensor2D, 0.2))(x);
    const g = grad.arraySync() as number[][];
    labels.forEach((y, i) => {
      const row = logits[i];
      const sum = row.reduce((a, z) => a + Math.exp(z), 0);
      row.forEach((z, c) => {
        const target = (c === y ? 0.8 : 0) + 0.2 / 3;
        expect(g[i][c]).toBeCloseTo((Math.exp(z) / sum - target) / labels.length, 5);
      });
    });
    tf.dispose([x, grad]);
  });

  it('leaks no tensor', () => {
    const x = tf.tensor2d(logits);
    const before = tf.memory().numTensors;
    crossEntropy(labels, x, 0.1).dispose();
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
  });
});
