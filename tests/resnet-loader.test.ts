// The app's loading path (weights decoded straight from the shards, no Keras model built) gives the
// same graph as converting the loaded Keras model, from several shards, and leaves no tensor behind.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import { layerWeights, loadResNet50Weights, type ModelFiles } from '../src/worker/ml/resnet-loader';
import { tinyKeras } from './support/tiny-resnet';

/** The tiny Keras model saved as tfjs's layers format, split into shards of `shardBytes`. */
async function savedFiles(shardBytes: number): Promise<{ files: ModelFiles; order: string[] }> {
  const { model } = tinyKeras();
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(
      async (artifacts) => ((saved = artifacts), { modelArtifactsInfo: {} as tf.io.ModelArtifactsInfo }),
    ),
  );
  model.dispose();
  const data = new Uint8Array(saved!.weightData as ArrayBuffer);
  const shards = new Map<string, ArrayBuffer>();
  for (let i = 0; i * shardBytes < data.length; i++)
    shards.set(`shard${i}.bin`, data.slice(i * shardBytes, (i + 1) * shardBytes).buffer);
  const json = {
    modelTopology: { model_config: saved!.modelTopology }, // as Keras writes model.json
    weightsManifest: [{ paths: [...shards.keys()], weights: saved!.weightSpecs }],
  };
  const order: string[] = [];
  return {
    order,
    files: {
      json: async () => structuredClone(json),
      binary: async (path) => {
        const name = path.slice(path.lastIndexOf('/') + 1);
        order.push(name);
        return shards.get(name)!;
      },
    },
  };
}

describe('loadResNet50Weights', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('builds the graph the Keras model converts to, from several shards, with no tensor left', async () => {
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const { model, topology } = tinyKeras();
    const reference = ResNetGraph.fromLayersModel(model, topology);
    model.dispose();
    const expected = tf.tidy(() => reference.forward(x, { training: false }).output);

    const { files, order } = await savedFiles(100);
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const loaded = await loadResNet50Weights('/m/model.json', files, (f) => progress.push(f));
    expect(order.length).toBeGreaterThan(4);
    expect(progress.at(-1)).toBe(1);
    const graph = ResNetGraph.fromTopology(loaded.topology, layerWeights(loaded.topology, loaded.weights));
    tf.dispose(Object.values(loaded.weights));
    const output = tf.tidy(() => graph.forward(x, { training: false }).output);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(output, expected))).dataSync()[0]);
    expect(diff).toBe(0);
    tf.dispose(output);
    graph.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([expected, x]);
    reference.dispose();
  });
});
