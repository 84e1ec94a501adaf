// The real ResNet50 (the fetched ImageNet weights under public/models/) as a graph, for Node tests.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/worker/kernels/register';
import { ResNetGraph } from '../../src/worker/ml/resnet-graph';
import { layerWeights, loadResNet50Weights } from '../../src/worker/ml/resnet-loader';

const DIR = 'public/models/resnet50/';

async function loadResNet50Body(): Promise<ResNetGraph> {
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

/**
 * For a test file: the wasm backend with our training kernels and the real ResNet50 body, loaded
 * before its tests and freed after them. Call the result inside a test for the body.
 */
export function resNet50OnWasm(): () => ResNetGraph {
  let body: ResNetGraph | undefined;
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
    body = await loadResNet50Body();
  }, 120_000);
  afterAll(() => body?.dispose());
  return () => {
    if (!body) throw new Error('ResNet50 is not loaded yet: call the result inside a test');
    return body;
  };
}
