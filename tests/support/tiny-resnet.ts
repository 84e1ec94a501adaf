// A tiny Keras model with ResNet's building blocks (conv, BN+ReLU, conv, BN, residual add, ReLU,
// global pool, dense), for Node tests of our graph and of the training core in seconds.
import * as tf from '@tensorflow/tfjs';
import type { KerasTopology } from '../../src/worker/ml/resnet-loader';
import { ResNetGraph } from '../../src/worker/ml/resnet-graph';
import type { ExportedClassifier } from '../../src/worker/export/layers-model';
import { FastaiHead } from '../../src/worker/train/head';

/** Seeded: every run builds the same weights, so a test's numbers do not depend on the draw. */
export function tinyKeras(seed = 1): { model: tf.LayersModel; topology: KerasTopology } {
  const kernelInitializer = (offset: number) => tf.initializers.glorotUniform({ seed: seed * 10 + offset });
  const input = tf.input({ shape: [8, 8, 3], name: 'input_1' });
  const conv1 = tf.layers
    .conv2d({
      filters: 4,
      kernelSize: 3,
      padding: 'same',
      name: 'conv1',
      kernelInitializer: kernelInitializer(1),
    })
    .apply(input);
  const bn1 = tf.layers.batchNormalization({ epsilon: 0.001, name: 'bn1' }).apply(conv1);
  const act1 = tf.layers.activation({ activation: 'relu', name: 'act1' }).apply(bn1);
  const conv2 = tf.layers
    .conv2d({ filters: 4, kernelSize: 1, name: 'conv2', kernelInitializer: kernelInitializer(2) })
    .apply(act1);
  const bn2 = tf.layers.batchNormalization({ epsilon: 0.001, name: 'bn2' }).apply(conv2);
  const sum = tf.layers.add({ name: 'add1' }).apply([bn2, act1] as tf.SymbolicTensor[]);
  const act2 = tf.layers.activation({ activation: 'relu', name: 'act2' }).apply(sum);
  const gap = tf.layers.globalAveragePooling2d({ name: 'avg_pool' }).apply(act2);
  const out = tf.layers
    .dense({ units: 3, activation: 'softmax', name: 'fc', kernelInitializer: kernelInitializer(3) })
    .apply(gap);
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

/**
 * The tiny body with a fast.ai head whose BatchNorm statistics and biases are non-trivial (as after
 * training), and the classifier's weights by checkpoint name: what the export tests convert.
 */
export async function tinyClassifier(dropout?: readonly [number, number]): Promise<{
  body: ResNetGraph;
  head: FastaiHead;
  classifier: ExportedClassifier;
}> {
  const { model, topology } = tinyKeras();
  const body = ResNetGraph.fromLayersModel(model, topology);
  model.dispose();
  const head = new FastaiHead(2 * body.bodyChannels(), 3, 5, dropout);
  for (const [name, v] of head.namedVariables())
    if (!name.endsWith('kernel'))
      v.assign(tf.tidy(() => tf.add(tf.abs(tf.randomNormal(v.shape, 0, 0.5, 'float32', 9)), 0.2)));
  const weights: ExportedClassifier['weights'] = new Map();
  for (const [name, v] of [...body.namedBodyVariables(), ...head.namedVariables()])
    weights.set(name, { values: (await v.data()) as Float32Array, shape: v.shape });
  return {
    body,
    head,
    classifier: { classes: ['reds', 'greens', 'blues'], size: 8, source: 'a test', weights },
  };
}
