// Mixup as fast.ai's MixUpCallback: the Beta draws (moments against the distribution's), the
// partner permutation, the inputs and targets mixed with hand-computed numbers, the loss of a
// mixed target equal to λ·CE(y) + (1 − λ)·CE(y_partner), slicing into passes; no tensor leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from '../src/ml/loss';
import { betaDraw, drawTargets, mixInputs, sliceTargets, targetMatrix } from '../src/ml/mixup';
import { seededRandom } from '../src/ml/random';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('mixup', () => {
  it('draws Beta(α, α) with the right mean and variance, for α below and above 1', () => {
    for (const alpha of [0.4, 2]) {
      const random = seededRandom(7);
      const xs = Array.from({ length: 20000 }, () => betaDraw(alpha, alpha, random));
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length;
      expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
      expect(mean).toBeCloseTo(0.5, 1);
      // Var Beta(α, α) = 1 / (4(2α + 1)): 0.1389 at α = 0.4, 0.05 at α = 2.
      expect(variance).toBeCloseTo(1 / (4 * (2 * alpha + 1)), 2);
    }
  });

  it('is off at α = 0 and seeded otherwise: weights in [0.5, 1], partners a permutation', () => {
    const labels = [0, 1, 2, 1, 0, 2];
    expect(drawTargets(labels, 0, seededRandom(1))).toEqual({ labels });
    const a = drawTargets(labels, 0.4, seededRandom(3));
    const b = drawTargets(labels, 0.4, seededRandom(3));
    expect(a).toEqual(b);
    expect(a.mix!.weights.every((w) => w >= 0.5 && w <= 1)).toBe(true);
    expect([...a.mix!.partners].sort()).toEqual([0, 1, 2, 3, 4, 5]);
    expect(a.mix!.partnerLabels).toEqual(a.mix!.partners.map((p) => labels[p]));
  });

  it('mixes inputs of any rank and the targets with hand-computed numbers', () => {
    const mix = { partners: [1, 0, 2], partnerLabels: [2, 0, 1], weights: [0.75, 0.6, 1] };
    const features = tf.tensor2d([
      [4, 8],
      [0, 4],
      [1, 1],
    ]);
    const mixed = mixInputs(features, mix);
    // row 0: 0.75·[4, 8] + 0.25·[0, 4] = [3, 7]; row 1: 0.6·[0, 4] + 0.4·[4, 8] = [1.6, 5.6]
    expect(Array.from(mixed.dataSync())).toEqual([
      3,
      7,
      expect.closeTo(1.6, 6),
      expect.closeTo(5.6, 6),
      1,
      1,
    ]);
    const pixels = tf.tensor4d([10, 20, 30, 40, 50, 60], [3, 1, 1, 2]);
    const mixedPixels = mixInputs(pixels, mix);
    // image 0: 0.75·[10, 20] + 0.25·[30, 40] = [15, 25]; image 1: 0.6·[30, 40] + 0.4·[10, 20] = [22, 32]
    expect(Array.from(mixedPixels.dataSync())).toEqual([
      15,
      25,
      expect.closeTo(22, 5),
      expect.closeTo(32, 5),
      50,
      60,
    ]);
    const target = targetMatrix({ labels: [0, 2, 1], mix }, 3);
    // image 0: class 0 at 0.75, its partner's class 2 at 0.25; image 1: class 2 at 0.6, class 0 at 0.4.
    expect(Array.from(target.dataSync())).toEqual([
      0.75,
      0,
      0.25,
      expect.closeTo(0.4, 6),
      0,
      expect.closeTo(0.6, 6),
      0,
      1,
      0,
    ]);
    tf.dispose([features, mixed, pixels, mixedPixels, target]);
  });

  it('a mixed target’s loss is λ·CE(y) + (1 − λ)·CE(y_partner), with label smoothing too', () => {
    const logits = tf.tensor2d([
      [2, 0.5, -1],
      [0.1, 0.2, 3],
    ]);
    const targets = { labels: [0, 1], mix: { partners: [1, 0], partnerLabels: [1, 0], weights: [0.7, 0.9] } };
    for (const eps of [0, 0.1]) {
      const per = (labels: number[]) =>
        [0, 1].map((i) => {
          const row = tf.slice(logits, [i, 0], [1, 3]);
          const value = crossEntropy([labels[i]], row, eps);
          const out = value.dataSync()[0];
          tf.dispose([row, value]);
          return out;
        });
      const own = per([0, 1]);
      const partner = per([1, 0]);
      const expected = (0.7 * own[0] + 0.3 * partner[0] + 0.9 * own[1] + 0.1 * partner[1]) / 2;
      const loss = crossEntropy(targets, logits, eps);
      expect(loss.dataSync()[0]).toBeCloseTo(expected, 5);
      loss.dispose();
    }
    logits.dispose();
  });

  it('slices targets into passes, keeping each image’s partner class and weight', () => {
    const targets = drawTargets([0, 1, 2, 3], 0.4, seededRandom(5));
    const second = sliceTargets(targets, 2, 2);
    expect(second.labels).toEqual([2, 3]);
    expect(second.mix!.partnerLabels).toEqual(targets.mix!.partnerLabels.slice(2));
    expect(second.mix!.weights).toEqual(targets.mix!.weights.slice(2));
    expect(sliceTargets({ labels: [4, 5, 6] }, 1, 1)).toEqual({ labels: [5] });
  });

  it('leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const x = tf.ones([4, 3]);
    const targets = drawTargets([0, 1, 2, 0], 0.4, seededRandom(9));
    const mixed = mixInputs(x, targets.mix!);
    const logits = tf.randomNormal([4, 3]) as tf.Tensor2D;
    const loss = crossEntropy(targets, logits, 0.1);
    tf.dispose([x, mixed, logits, loss]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
