// The training batch as the body sees it: every image of an augmented batch is warped from its own
// pixels (tfjs-cpu 4.22's Transform kernel warps only the first image of a batch and leaves the rest
// black; cpu-transform.ts registers a kernel that warps one image per call there), on cpu and on wasm.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/ml/random';
import { batchTensor, decodeBatch } from '../src/worker/train/data';
import { colourDataset, decodeColour } from './support/colour-dataset';

async function augmentedMeans(backend: string): Promise<number[][]> {
  await tf.setBackend(backend);
  const examples = colourDataset(2).train; // red, red, green, green, blue, blue
  const raw = await decodeBatch(examples, 12, seededRandom(7), decodeColour);
  const before = tf.memory().numTensors;
  const x = batchTensor(raw, 12);
  const means = tf.mean(x, [1, 2]);
  const values = (await means.array()) as number[][];
  tf.dispose([x, means]);
  expect(tf.memory().numTensors).toBe(before);
  return values;
}

describe('batchTensor', () => {
  for (const backend of ['cpu', 'wasm'])
    it(`warps every image of the batch from its own pixels (${backend})`, async () => {
      const means = await augmentedMeans(backend);
      const labels = colourDataset(2).train.map((e) => e.label);
      means.forEach((rgb, i) => {
        expect(Math.max(...rgb), `image ${i}`).toBeGreaterThan(100); // not black
        expect(rgb.indexOf(Math.max(...rgb)), `image ${i}`).toBe(labels[i]); // its own colour
      });
    });
});
