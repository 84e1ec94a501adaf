// The real ResNet50 (the fetched ImageNet weights under public/models/) as a graph, for Node tests.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { ResNetGraph } from '../../src/worker/ml/resnet-graph';
import { layerWeights, loadResNet50Weights } from '../../src/worker/ml/resnet-loader';

const DIR = 'public/models/resnet50/';

export async function loadResNet50Body(): Promise<ResNetGraph> {
  const read = (path: string) => readFileSync(path);
  const loaded = await loadResNet50Weights(
    DIR + 'model.json',
    {
      json: async (path) => JSON.parse(read(path).toString('utf8')),
      binary: async (path) => new Uint8Array(read(path)).buffer,
    },
    () => undefined,
  );
  const body = ResNetGraph.fromTopology(loaded.topology, layerWeights(loaded.topology, loaded.weights));
  tf.dispose(Object.values(loaded.weights));
  return body;
}
