// Our ResNet graph on a tiny Keras model built here (conv → BN+ReLU → residual add → pool → dense):
// BatchNorm trained through its running statistics gives the inference function exactly, passes
// gradients to γ and β and the convolutions, updates no statistics and leaks no tensors; and which
// of the real ResNet50's adds run fused with their ReLU.
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeStats } from '../src/worker/ml/batchnorm';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import type { KerasTopology } from '../src/worker/ml/resnet-loader';
import { addsBeforeRelu, nodeInputs, nodesFromTopology } from '../src/worker/ml/resnet-topology';
import { tinyKeras } from './support/tiny-resnet';

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

  it('a pass normalised with the whole batch statistics computes what one whole pass computes', () => {
    const before = tf.memory().numTensors;
    const whole = graph.batchStatistics(x, graph.nodes[graph.nodes.length - 1].name);
    let stats: ReturnType<ResNetGraph['forward']>['batchStats'] = new Map();
    let copies: ReturnType<ResNetGraph['forward']>['batchStats'] = new Map();
    const [onePass, firstHalf] = tf.tidy(() => {
      const one = graph.forward(x, { training: true });
      stats = one.batchStats;
      const half = graph.forward(tf.slice(x, 0, 2), { training: true, bnStats: whole });
      copies = half.batchStats; // the whole batch's, copied for a backward pass
      return [tf.slice(one.output, 0, 2), half.output];
    });
    disposeStats(copies);
    expect(whole.size).toBe(stats.size);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(onePass, firstHalf))).dataSync()[0]);
    expect(diff).toBeLessThan(1e-5);
    disposeStats(stats);
    disposeStats(whole);
    tf.dispose([onePass, firstHalf]);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('ResNet50 topology', () => {
  it('finds the 16 residual adds whose one consumer is a ReLU (they run as one op)', () => {
    const json = JSON.parse(readFileSync('public/models/resnet50/model.json', 'utf8'));
    const nodes = nodesFromTopology(json.modelTopology.model_config.config as KerasTopology);
    const adds = addsBeforeRelu(nodes);
    expect(adds.size).toBe(16);
    for (const name of adds) {
      const consumers = nodes.filter((n) => nodeInputs(n).includes(name));
      expect(consumers.map((n) => n.op)).toEqual(['relu']);
    }
  });
});
