// The fast frozen stage's feature cache with BatchNorm on batch statistics: each training image's
// features are computed inside a shuffled batch of the batch size (the stored order is by class, so
// a batch in that order would hold one class), never in a batch of one, and stored at that image's
// row; the same seed gives the same features; validation stays in inference mode; nothing leaks.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig } from '../src/protocol';
import { computeFeatures, type Features } from '../src/worker/train/features';
import { colourDataset, decodeColour } from './support/colour-dataset';

const CONFIG: TrainConfig = { size: 8, batchSize: 6, seed: 42, frozenMode: 'fast', variants: 2 };

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Fake bodies: columns are the image's mean R, G, B, the batch's size, and 1 for batch statistics. */
function sources(config: TrainConfig, batchesSeen: number[][]) {
  const perImage = (x: tf.Tensor4D, batchStats: boolean) =>
    tf.tidy(() => {
      const n = x.shape[0];
      const means = tf.mean(x, [1, 2]) as tf.Tensor2D;
      return tf.concat([means, tf.fill([n, 1], batchStats ? n : 0), tf.fill([n, 1], batchStats ? 1 : 0)], 1);
    }) as tf.Tensor2D;
  return {
    data: colourDataset(7),
    config,
    decode: decodeColour,
    pooled: (x: tf.Tensor4D) => perImage(x, false),
    pooledBatchStats: (x: tf.Tensor4D) => {
      const out = perImage(x, true);
      const colours = tf.tidy(() => tf.argMax(tf.slice(out, [0, 0], [-1, 3]), 1));
      batchesSeen.push(Array.from(colours.dataSync()));
      colours.dispose();
      return out;
    },
    report: () => undefined,
    stopIfCancelled: async () => undefined,
  };
}

async function rows(features: Features): Promise<number[][][]> {
  const all = [...features.train, features.valid];
  return Promise.all(
    all.map(async (m) => {
      const t = m.slice(0, m.rows);
      const values = (await t.array()) as number[][];
      t.dispose();
      return values;
    }),
  );
}

const colourOf = (row: number[]) => row.slice(0, 3).indexOf(Math.max(...row.slice(0, 3)));

describe('computeFeatures with batch statistics', () => {
  it('computes each image in a shuffled batch and stores it at its own row, deterministically', async () => {
    const before = tf.memory().numTensors;
    const seen: number[][] = [];
    const s = sources({ ...CONFIG, featureStatistics: 'batch' }, seen);
    const [first, second, valid] = await rows(await computeFeatures(s));
    expect(tf.memory().numTensors).toBe(before);

    for (const variant of [first, second])
      variant.forEach((row, i) => {
        expect(colourOf(row), `row ${i}`).toBe(s.data.train[i].label); // its own image, at its own row
        expect(row[4]).toBe(1);
      });
    // 21 images in batches of ≤ 6: 6, 5, 5, 5 — no batch of one; each variant's batches hold all.
    expect(seen.map((b) => b.length)).toEqual([6, 5, 5, 5, 6, 5, 5, 5]);
    expect(first.map((r) => r[3]).sort()).toEqual([...Array(6).fill(6), ...Array(15).fill(5)].sort());
    // Shuffled: batches mix classes, and the two variants' batches differ.
    expect(seen.some((b) => new Set(b).size > 1)).toBe(true);
    expect(seen.slice(0, 4)).not.toEqual(seen.slice(4));
    // Validation: inference mode, stored order.
    valid.forEach((row, i) => {
      expect(row[4]).toBe(0);
      expect(colourOf(row)).toBe(s.data.valid[i].label);
    });

    const again = await rows(await computeFeatures(sources({ ...CONFIG, featureStatistics: 'batch' }, [])));
    expect(again).toEqual([first, second, valid]);
  });

  it('running statistics (the default): inference mode for the training images too', async () => {
    const seen: number[][] = [];
    const [first] = await rows(await computeFeatures(sources(CONFIG, seen)));
    expect(seen).toEqual([]);
    expect(first.every((r) => r[4] === 0)).toBe(true);
  });
});
