// The default images per pass on wasm must fit wasm32's 4 GiB heap with room to spare: at 128 px a
// batch of 16 trains in one pass (exact BatchNorm over the batch, no statistics pass), measured here
// on the real ResNet50 through one unfrozen step of the learner. The heap never shrinks, so its size
// after the step is the step's high-water mark (2.86 GiB when measured; 8 per pass: 2.01 GiB).
import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { defaultImagesPerPass, splitIntoPasses } from '../src/ml/batching';
import type { TrainConfig } from '../src/protocol';
import { Learner } from '../src/worker/train/learner';
import { colourDataset, decodeColour } from './support/colour-dataset';
import { resNet50OnWasm } from './support/resnet50';

const GiB = 2 ** 30;
const body = resNet50OnWasm();

/** The bytes tfjs-wasm's module has grown its memory to. */
function heapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
}

it('at 128 px a batch of 16 trains in one pass, within 3.25 GiB of wasm’s 4', async () => {
  const config: TrainConfig = { size: 128, batchSize: 16, seed: 42, frozenMode: 'faithful', variants: 1 };
  const perPass = defaultImagesPerPass('wasm', config.size, config.batchSize);
  expect(splitIntoPasses(config.batchSize, perPass)).toEqual([16]);
  // 16 training images (one batch), 2 to validate.
  const data = colourDataset(6);
  const learner = new Learner(body(), { ...data, train: data.train.slice(0, 16) }, config, () => undefined, {
    decode: decodeColour,
    imagesPerPass: perPass,
  });
  learner.freezeTo(false);
  const [row] = await learner.fitOneCycle(1, 'slice(1e-5,1e-3)', async () => undefined);
  expect(Number.isFinite(row.trainLoss)).toBe(true);
  learner.dispose();
  expect(heapBytes()).toBeLessThan(3.25 * GiB);
}, 300_000);
