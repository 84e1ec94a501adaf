// The fast frozen stage's feature cache, kept in JavaScript memory: rows read back exactly as the
// tensors they came from, and no tensor held between reads.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FeatureMatrix } from '../src/worker/train/feature-matrix';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('FeatureMatrix', () => {
  it('gathers and slices the rows of its batches exactly, holding no tensor', async () => {
    const parts = [tf.randomNormal([4, 6], 0, 1, 'float32', 1), tf.randomNormal([3, 6], 0, 1, 'float32', 2)];
    const all = tf.concat(parts) as tf.Tensor2D;
    const before = tf.memory().numTensors;
    const matrix = new FeatureMatrix(7);
    for (const part of parts) await matrix.append(part as tf.Tensor2D);
    expect(tf.memory().numTensors).toBe(before);
    expect([matrix.length, matrix.width]).toEqual([7, 6]);

    const rows = [5, 0, 5, 2];
    const gathered = matrix.gather(rows);
    const expected = tf.gather(all, rows);
    expect(Array.from(await gathered.data())).toEqual(Array.from(await expected.data()));
    const slice = matrix.slice(2, 4);
    expect(Array.from(await slice.data())).toEqual(Array.from(await tf.slice(all, 2, 4).data()));
    tf.dispose([gathered, expected, slice, all, ...parts]);
  });

  it('refuses rows it does not have', async () => {
    const matrix = new FeatureMatrix(2);
    const batch = tf.ones([2, 3]) as tf.Tensor2D;
    await matrix.append(batch);
    await expect(matrix.append(batch)).rejects.toThrow(RangeError);
    expect(() => matrix.gather([2])).toThrow(RangeError);
    expect(() => matrix.slice(1, 2)).toThrow(RangeError);
    batch.dispose();
  });

  it('puts rows where they belong, in any order, each once', async () => {
    const matrix = new FeatureMatrix(5);
    const a = tf.tensor2d([
      [3, 3],
      [0, 0],
    ]);
    const b = tf.tensor2d([
      [4, 4],
      [1, 1],
      [2, 2],
    ]);
    await matrix.put([3, 0], a);
    expect(() => matrix.gather([1])).toThrow(RangeError);
    expect(() => matrix.slice(0, 2)).toThrow(RangeError);
    await matrix.put([4, 1, 2], b);
    expect(matrix.length).toBe(5);
    const all = matrix.slice(0, 5);
    expect(Array.from(await all.data())).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
    const again = tf.ones([1, 2]) as tf.Tensor2D;
    await expect(matrix.put([2], again)).rejects.toThrow(/twice/);
    tf.dispose([a, b, all, again]);
  });
});
