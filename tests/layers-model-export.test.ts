// The TF.js LayersModel export, in Node: the rebuilt Keras-layers model gives the classifier's own
// probabilities (≤ 1e-5), survives save → stock tf.loadLayersModel with its metadata, shards its
// weights, and leaves no tensors behind.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { caffePreprocess } from '../src/ml/preprocess';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import {
  buildLayersModel,
  layersModelFiles,
  SHARD_BYTES,
  type ExportedClassifier,
} from '../src/worker/export/layers-model';
import { concatPool, FastaiHead } from '../src/worker/train/head';
import { tinyClassifier } from './support/tiny-resnet';

describe('TF.js LayersModel export', () => {
  let body: ResNetGraph;
  let head: FastaiHead;
  let classifier: ExportedClassifier;
  let x: tf.Tensor4D;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    ({ body, head, classifier } = await tinyClassifier());
    x = tf.randomUniform([4, 8, 8, 3], 0, 255, 'float32', 3) as tf.Tensor4D;
  });

  const ours = () =>
    tf.tidy(() => {
      const features = body.forward(caffePreprocess(x), { training: false, until: body.bodyOutput });
      return tf.softmax(head.forward(concatPool(features.output as tf.Tensor4D), false).logits);
    });

  it('gives the classifier’s probabilities, and stock loadLayersModel reads it back', async () => {
    const expected = ours();
    const before = tf.memory().numTensors;
    const model = buildLayersModel(body, classifier);
    const direct = tf.tidy(() => model.predict(caffePreprocess(x)) as tf.Tensor);
    const files = await layersModelFiles(model, classifier);
    model.dispose();

    const json = JSON.parse(new TextDecoder().decode(files.get('model.json')));
    expect(json.format).toBe('layers-model');
    const paths: string[] = json.weightsManifest[0].paths;
    expect(paths.every((p) => files.has(p))).toBe(true);
    expect(paths.every((p) => files.get(p)!.byteLength <= SHARD_BYTES)).toBe(true);
    // What tf.loadLayersModel does with the files over HTTP, from memory.
    const weightData = tf.io.CompositeArrayBuffer.join(paths.map((p) => files.get(p)!.slice().buffer));
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData,
        userDefinedMetadata: json.userDefinedMetadata,
      }),
    );
    const reloaded = tf.tidy(() => loaded.predict(caffePreprocess(x)) as tf.Tensor);
    const meta = (loaded.getUserDefinedMetadata() as { deepArtStudio: { classes: string[] } }).deepArtStudio;
    expect(meta.classes).toEqual(['reds', 'greens', 'blues']);
    loaded.dispose();

    const [e, d, r] = await Promise.all([expected.data(), direct.data(), reloaded.data()]);
    for (let i = 0; i < e.length; i++) {
      expect(Math.abs(d[i] - e[i])).toBeLessThan(1e-5);
      expect(Math.abs(r[i] - e[i])).toBeLessThan(1e-5);
    }
    tf.dispose([direct, reloaded]);
    expect(tf.memory().numTensors).toBe(before);
    expected.dispose();
    expect(new TextDecoder().decode(files.get('README.md'))).toContain('tf.loadLayersModel');
  });

  it('float16 weights: half the bytes, probabilities within half precision', async () => {
    const model = buildLayersModel(body, classifier);
    const full = await layersModelFiles(model, classifier);
    const half = await layersModelFiles(model, classifier, { float16: true });
    const expected = tf.tidy(() => model.predict(caffePreprocess(x)) as tf.Tensor);
    model.dispose();
    const bytes = (files: Map<string, Uint8Array>) =>
      [...files].filter(([n]) => n.endsWith('.bin')).reduce((sum, [, b]) => sum + b.byteLength, 0);
    expect(bytes(half)).toBe(bytes(full) / 2);
    const json = JSON.parse(new TextDecoder().decode(half.get('model.json')));
    const paths: string[] = json.weightsManifest[0].paths;
    const loaded = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: tf.io.CompositeArrayBuffer.join(paths.map((p) => half.get(p)!.slice().buffer)),
      }),
    );
    const got = tf.tidy(() => loaded.predict(caffePreprocess(x)) as tf.Tensor);
    // The weights came back in half precision: changed, by at most 2^-11 relative.
    const kernel = await loaded.getLayer('probabilities').getWeights()[0].data();
    const original = classifier.weights.get('head/dense2/kernel')!.values;
    const worst = Math.max(
      ...Array.from(original, (v, i) => Math.abs(kernel[i] - v) / Math.max(Math.abs(v), 1e-4)),
    );
    expect(worst).toBeGreaterThan(0);
    expect(worst).toBeLessThanOrEqual(2 ** -11);
    loaded.dispose();
    const [e, g] = await Promise.all([expected.data(), got.data()]);
    const diff = Math.max(...Array.from(e, (v, i) => Math.abs(v - g[i])));
    console.log(`[float16] largest probability difference ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-2);
    tf.dispose([expected, got]);
  });
});
