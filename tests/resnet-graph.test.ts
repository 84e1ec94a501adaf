// Our ResNet graph on a tiny Keras model built here (conv → BN+ReLU → residual add → pool → dense):
// BatchNorm trained through its running statistics gives the inference function exactly, passes
// gradients to γ and β and the convolutions, updates no statistics and leaks no tensors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeStats } from '../src/worker/ml/batchnorm';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import type { KerasTopology } from '../src/worker/ml/resnet-loader';

function tinyKeras(): { model: tf.LayersModel; topology: KerasTopology } {
  const input = tf.input({ shape: [8, 8, 3], name: 'input_1' });
  const conv1 = tf.layers.conv2d({ filters: 4, kernelSize: 3, padding: 'same', name: 'conv1' }).apply(input);
  const bn1 = tf.layers.batchNormalization({ epsilon: 0.001, name: 'bn1' }).apply(conv1);
  const act1 = tf.layers.activation({ activation: 'relu', name: 'act1' }).apply(bn1);
  const conv2 = tf.layers.conv2d({ filters: 4, kernelSize: 1, name: 'conv2' }).apply(act1);
  const bn2 = tf.layers.batchNormalization({ epsilon: 0.001, name: 'bn2' }).apply(conv2);
  const sum = tf.layers.add({ name: 'add1' }).apply([bn2, act1] as tf.SymbolicTensor[]);
  const act2 = tf.layers.activation({ activation: 'relu', name: 'act2' }).apply(sum);
  const gap = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(act2);
  const out = tf.layers.dense({ units: 3, activation: 'softmax', name: 'fc' }).apply(gap);
  const model = tf.model({ inputs: input, outputs: out as tf.SymbolicTensor });
  // Running statistics unlike a fresh layer's (0, 1), so batch and running statistics differ.
  for (const name of ['bn1', 'bn2']) {
    const [gamma, beta, mean, variance] = model.getLayer(name).getWeights();
    model
      .getLayer(name)
      .setWeights([tf.add(gamma, 0.5), tf.add(beta, 0.1), tf.add(mean, 0.3), tf.add(variance, 0.7)]);
  }
  const json = model.toJSON(undefined, false) as unknown as { config: KerasTopology };
  return { model, topology: json.config };
}

describe('ResNetGraph BatchNorm modes', () => {
  let graph: ResNetGraph;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const { model, topology } = tinyKeras();
    graph = ResNetGraph.fromLayersModel(model, topology);
    model.dispose();
    x = tf.randomNormal([4, 8, 8, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
  });

  it('training through running statistics computes the inference function', () => {
    // Inference folds each BatchNorm into its conv once (a cache kept with the graph): fill it first.
    tf.dispose(tf.tidy(() => graph.forward(x, { training: false }).output));
    const before = tf.memory().numTensors;
    let stats: ReturnType<ResNetGraph['forward']>['batchStats'] = new Map();
    const [inference, running, batch] = tf.tidy(() => {
      const withBatch = graph.forward(x, { training: true });
      stats = withBatch.batchStats; // the caller's to free (after updating running averages)
      return [
        graph.forward(x, { training: false }).output,
        graph.forward(x, { training: true, bnStats: 'running' }).output,
        withBatch.output,
      ];
    });
    disposeStats(stats);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(inference, running))).dataSync()[0]);
    const batchDiff = tf.tidy(() => tf.max(tf.abs(tf.sub(inference, batch))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-5);
    expect(batchDiff).toBeGreaterThan(1e-3); // batch statistics are another function
    tf.dispose([inference, running, batch]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('passes gradients to γ, β and the convolutions, and returns no statistics to update', () => {
    const before = tf.memory().numTensors;
    const vars = graph.trainableVariables();
    let statsCount = -1;
    const { value, grads } = tf.variableGrads(() => {
      const f = graph.forward(x, { training: true, bnStats: 'running' });
      statsCount = f.batchStats.size;
      return tf.sum(tf.square(f.output)) as tf.Scalar;
    }, vars);
    expect(statsCount).toBe(0);
    for (const v of vars) {
      const g = grads[v.name];
      expect(g, v.name).toBeDefined();
      expect(Number.isFinite(tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0])), v.name).toBe(true);
    }
    const gammaGrad = grads[vars.find((v) => v.name.endsWith('bn1/gamma'))!.name];
    expect(tf.tidy(() => tf.sum(tf.abs(gammaGrad)).dataSync()[0])).toBeGreaterThan(0);
    tf.dispose([value, ...Object.values(grads)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
