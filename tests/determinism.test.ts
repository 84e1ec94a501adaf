// A seeded unfrozen fit on the real ResNet50 (wasm, our kernels) is bit-identical whatever the heap
// and our engine's memory held before it: a kernel that read memory it never wrote (a padded tile,
// an unzeroed sum) would make two runs of one seed differ. Garbage: huge values, then NaN, left in
// tfjs's heap and pushed through our convolution gradients (whose buffers the engine reuses).
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import type { TrainConfig } from '../src/protocol';
import { Learner } from '../src/worker/train/learner';
import { colourDataset, decodeColour } from './support/colour-dataset';
import { resNet50OnWasm } from './support/resnet50';

const CONFIG: TrainConfig = { size: 32, batchSize: 8, seed: 43, frozenMode: 'faithful', variants: 1 };
const body = resNet50OnWasm();

/** Leaves `value` in freed heap blocks and in the engine's buffers (one conv gradient on it). */
function garbage(value: number): void {
  const junk = Array.from({ length: 24 }, (_, i) => tf.fill([200_000 + 997 * i], value));
  junk.forEach((j) => j.dataSync());
  const x = tf.fill([4, 16, 16, 64], value) as tf.Tensor4D;
  const w = tf.fill([3, 3, 64, 64], value) as tf.Tensor4D;
  const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same')),
  )([x, w]);
  grads.forEach((g) => g.dataSync());
  tf.dispose([...junk, x, w, ...grads]);
}

it('a seeded unfrozen fit is bit-identical with garbage left in the heap and the engine', async () => {
  const fit = async (value: number | null): Promise<number[]> => {
    const learner = new Learner(body(), colourDataset(4), CONFIG, () => undefined, {
      decode: decodeColour,
      imagesPerPass: 4, // passes of 4 with whole-batch statistics, as the app on wasm
    });
    const start = await learner.exportState();
    if (value !== null) garbage(value);
    learner.freezeTo(false);
    const rows = await learner.fitOneCycle(1, 'slice(1e-4,1e-2)', async () => undefined);
    // Every weight moved by the fit shows in the validation probabilities' bits.
    const { probabilities } = await learner.evaluate();
    learner.restore(start); // the shared body back to the ImageNet weights for the next run
    learner.dispose();
    return [...rows.flatMap((r) => [r.trainLoss, r.validLoss]), ...probabilities.flat()];
  };
  const clean = await fit(null);
  const before = tf.memory().numTensors; // after the first fit: inference caches are filled once
  expect(await fit(1e30)).toEqual(clean);
  expect(await fit(NaN)).toEqual(clean);
  expect(tf.memory().numTensors).toBe(before);
}, 300_000);
