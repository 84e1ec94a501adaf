// The same ResNet50 evaluated by tfjs in Node (CPU backend): the ground truth for backend parity.
import * as tf from '@tensorflow/tfjs';
import { readFile } from 'node:fs/promises';
import { loadResNet50, type ModelFiles } from '../../src/worker/ml/resnet-loader';
import { caffePreprocess } from '../../src/ml/preprocess';

export const MODEL_JSON = 'public/models/resnet50/model.json';

export const diskModelFiles: ModelFiles = {
  async json(path) {
    return JSON.parse(await readFile(path, 'utf8'));
  },
  async binary(path) {
    const bytes = await readFile(path);
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  },
};

export async function referenceProbabilities(
  pixels: Float32Array,
  shape: [number, number, number, 3],
): Promise<Float32Array> {
  await tf.setBackend('cpu');
  const model = await loadResNet50(MODEL_JSON, diskModelFiles);
  const output = tf.tidy(() => model.predict(caffePreprocess(tf.tensor4d(pixels, shape))) as tf.Tensor);
  const values = (await output.data()) as Float32Array;
  output.dispose();
  model.dispose();
  return values;
}
