// Test-time augmentation's pieces against hand-computed values: the six views of a larger image
// (centre resize, its mirror, four exact corner crops) and the average of the views' probabilities.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { averageProbabilities, ttaSize, ttaViews } from '../src/worker/train/tta';

describe('test-time augmentation', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('cuts the centre, its mirror and the four corners', async () => {
    expect(ttaSize(128)).toBe(141);
    // A 4×4 image whose pixel (y, x) holds 10y + x in every channel; views of 3×3.
    const image = tf.tensor4d(
      Array.from({ length: 16 }, (_, p) => [0, 0, 0].map(() => 10 * Math.floor(p / 4) + (p % 4))).flat(),
      [1, 4, 4, 3],
    );
    const before = tf.memory().numTensors;
    const views = ttaViews(image, 3);
    expect(tf.memory().numTensors - before).toBe(1);
    expect(views.shape).toEqual([6, 3, 3, 3]);
    const channel = (await views.array()).map((v) => v.map((row) => row.map((px) => px[0])));
    expect(channel[2]).toEqual([
      [0, 1, 2],
      [10, 11, 12],
      [20, 21, 22],
    ]); // top-left
    expect(channel[3]).toEqual([
      [1, 2, 3],
      [11, 12, 13],
      [21, 22, 23],
    ]); // top-right
    expect(channel[4]).toEqual([
      [10, 11, 12],
      [20, 21, 22],
      [30, 31, 32],
    ]); // bottom-left
    expect(channel[5]).toEqual([
      [11, 12, 13],
      [21, 22, 23],
      [31, 32, 33],
    ]); // bottom-right
    expect(channel[1]).toEqual(channel[0].map((row) => [...row].reverse())); // the mirror
    tf.dispose([image, views]);
  });

  it('averages the views’ probabilities, not their logits', async () => {
    const logits = tf.tensor2d([
      [0, Math.log(3)], // p = [1/4, 3/4]
      [Math.log(3), 0], // p = [3/4, 1/4]
      [0, 0], // p = [1/2, 1/2]
      [100, 0], // p ≈ [1, 0]
    ]);
    const p = averageProbabilities(logits);
    const values = await p.data();
    expect(values[0]).toBeCloseTo((0.25 + 0.75 + 0.5 + 1) / 4, 6);
    expect(values[1]).toBeCloseTo((0.75 + 0.25 + 0.5 + 0) / 4, 6);
    tf.dispose([logits, p]);
  });
});
