// The graph's variables from Keras weights: conv kernels, BatchNorm's γ, β and running statistics
// (a conv's bias folded into the following BatchNorm's running mean: with batch statistics it cancels
// exactly, with running ones (x + b − μ) = (x − (μ − b)); so the graph needs no conv bias), dense layers.
import * as tf from '@tensorflow/tfjs';
import type { BnParams } from './batchnorm';
import type { LayerWeights, Node } from './resnet-topology';

let graphCount = 0;

/** Where a graph keeps its variables, by layer name. */
export interface GraphVariables {
  convs: Map<string, tf.Variable>;
  bns: Map<string, BnParams>;
  dense: Map<string, { kernel: tf.Variable; bias: tf.Variable }>;
}

/** Copies each layer's weights into new variables (they share the given tensors' storage). */
export function copyWeights(nodes: Node[], weightsOf: LayerWeights, into: GraphVariables): void {
  // Variable names are global in tfjs: make ours unique per graph.
  const prefix = `graph${++graphCount}/`;
  const variable = (value: tf.Tensor, trainable: boolean, name: string) =>
    tf.variable(value, trainable, prefix + name);
  const convBias = new Map<string, tf.Tensor>();
  for (const node of nodes) {
    if (node.op === 'conv') {
      const [kernel, bias] = weightsOf(node.name);
      into.convs.set(node.name, variable(kernel, true, `${node.name}/kernel`));
      if (bias) convBias.set(node.name, bias);
    } else if (node.op === 'bn') {
      const [gamma, beta, mean, variance] = weightsOf(node.name);
      const bias = convBias.get(node.input);
      const folded = bias ? tf.sub(mean, bias) : mean;
      into.bns.set(node.name, {
        gamma: variable(gamma, true, `${node.name}/gamma`),
        beta: variable(beta, true, `${node.name}/beta`),
        movingMean: variable(folded, false, `${node.name}/moving_mean`),
        movingVariance: variable(variance, false, `${node.name}/moving_variance`),
      });
      if (bias) folded.dispose();
    } else if (node.op === 'dense') {
      const [kernel, bias] = weightsOf(node.name);
      into.dense.set(node.name, {
        kernel: variable(kernel, true, `${node.name}/kernel`),
        bias: variable(bias, true, `${node.name}/bias`),
      });
    }
  }
}
