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
import { tinyKeras } from './support/tiny-resnet';

describe('TF.js LayersModel export', () => {
  let body: ResNetGraph;
  let head: FastaiHead;
  let classifier: ExportedClassifier;
  let x: tf.Tensor4D;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const { model, topology } = tinyKeras();
    body = ResNetGraph.fromLayersModel(model, topology);
    model.dispose();
    head = new FastaiHead(2 * body.bodyChannels(), 3, 5);
    // Non-trivial head statistics and biases, as after training.
    for (const [name, v] of head.namedVariables())
      if (!name.endsWith('kernel'))
        v.assign(tf.tidy(() => tf.add(tf.abs(tf.randomNormal(v.shape, 0, 0.5, 'float32', 9)), 0.2)));
    const weights = new Map<string, { values: Float32Array; shape: number[] }>();
    for (const [name, v] of [...body.namedBodyVariables(), ...head.namedVariables()])
      weights.set(name, { values: (await v.data()) as Float32Array, shape: v.shape });
    classifier = { classes: ['reds', 'greens', 'blues'], size: 8, source: 'a test', weights };
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
});
