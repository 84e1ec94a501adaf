// ResNet50 as our own differentiable graph, built from the Keras topology and weights.
// Owning the forward pass lets us: train BatchNorm with a fast fused backward (batchnorm.ts), switch
// BatchNorm between batch and running statistics, freeze layer groups, and cut the ImageNet top off.
import * as tf from '@tensorflow/tfjs';
import { batchNormInfer, batchNormTrain, type BnParams, type LayerStats } from './batchnorm';

import type { KerasTopology } from './resnet-loader';
import {
  addsBeforeRelu,
  nodeInputs,
  nodesFromTopology,
  type LayerWeights,
  type Node,
} from './resnet-topology';
import { FoldedBatchNorm } from './folded-bn';
import { copyWeights } from './resnet-weights';
import { residualAddRelu } from '../kernels/residual-ops';

export class ResNetGraph {
  readonly nodes: Node[];
  readonly convs = new Map<string, tf.Variable>();
  readonly bns = new Map<string, BnParams>();
  readonly dense = new Map<string, { kernel: tf.Variable; bias: tf.Variable }>();
  /** Name of the last node of the body (before global pooling). */
  readonly bodyOutput: string;

  /** For inference: after which node each value can be freed. */
  private readonly lastUse = new Map<string, string>();
  /** For inference: BatchNorm on running statistics folded into the conv before it. */
  private readonly folding: FoldedBatchNorm;
  /** Residual adds whose one consumer is a ReLU: both run as one op (the ReLU node hands it on). */
  private readonly addsWithRelu: Set<string>;
  private channels: number | undefined;

  private constructor(nodes: Node[]) {
    this.nodes = nodes;
    for (const node of nodes) for (const input of nodeInputs(node)) this.lastUse.set(input, node.name);
    this.folding = new FoldedBatchNorm(nodes, this.convs, this.bns);
    this.addsWithRelu = addsBeforeRelu(nodes);
    const gap = nodes.find((n) => n.op === 'gap') as { input: string } | undefined;
    this.bodyOutput = gap ? gap.input : nodes[nodes.length - 1].name;
  }

  /**
   * Converts a Keras ResNet50 (its topology and, per layer, its weights). Conv biases are folded
   * into the following BatchNorm's moving mean: with batch statistics they cancel exactly, with
   * running statistics (x + b − μ) = (x − (μ − b)); so the graph needs no conv bias at all. The
   * graph's variables share the given tensors' storage; the caller may dispose them afterwards.
   */
  static fromTopology(topology: KerasTopology, weightsOf: LayerWeights): ResNetGraph {
    const graph = new ResNetGraph(nodesFromTopology(topology));
    copyWeights(graph.nodes, weightsOf, graph);
    return graph;
  }

  /** From a loaded tfjs LayersModel (tests and Node tools load the Keras model itself). */
  static fromLayersModel(model: tf.LayersModel, topology: KerasTopology): ResNetGraph {
    return ResNetGraph.fromTopology(topology, (layer) => model.getLayer(layer).getWeights());
  }

  /**
   * Runs the graph. `training` uses batch statistics in every BatchNorm and returns them so the
   * caller can update the running averages after the step; with `bnStats: 'running'` it trains
   * through BatchNorm with its running statistics instead (γ and β still learn; nothing to update),
   * the usual choice for fine-tuning with small batches. `until` stops at a node (the body output).
   */
  forward(
    x: tf.Tensor4D,
    options: { training: boolean; until?: string; bnStats?: 'batch' | 'running' | LayerStats },
  ): {
    output: tf.Tensor;
    /** Training with batch statistics: each BatchNorm's, the caller's to use and free. */
    batchStats: LayerStats;
  } {
    const values = new Map<string, tf.Tensor>();
    const batchStats: LayerStats = new Map();
    let last: tf.Tensor = x;
    for (const node of this.nodes) {
      last = this.apply(node, values, x, options.training, batchStats, options.bnStats ?? 'batch');
      values.set(node.name, last);
      if (node.name === options.until) break;
      // Without a gradient tape nothing needs old activations: free them to cut peak memory.
      if (!options.training) this.freeDeadValues(node, values, x);
    }
    return { output: last, batchStats };
  }

  /**
   * Every BatchNorm's batch statistics over all of x, layer by layer, without a gradient tape and
   * freeing each value after its last use: the memory of inference. A batch that only fits in
   * passes can then normalise every pass with the whole batch's statistics, as one pass would.
   * The caller owns the statistics (updateRunningStats, disposeStats).
   */
  batchStatistics(x: tf.Tensor4D, until = this.bodyOutput, fixedWeights = false): LayerStats {
    const { stats, output } = this.batchStatisticsAndOutput(x, until, fixedWeights);
    output.dispose();
    return stats;
  }

  /**
   * batchStatistics, also keeping the value at `until` (the caller frees both). `fixedWeights`: the
   * weights stay the same over many calls (statistics re-estimation, cached features), so the
   * inference kernel (FusedConv2D: on wasm its packed filters are cached) outruns the training one; a
   * training step's statistics pass, whose weights change every step, keeps the training kernel.
   */
  batchStatisticsAndOutput(
    x: tf.Tensor4D,
    until = this.bodyOutput,
    fixedWeights = false,
  ): { stats: LayerStats; output: tf.Tensor } {
    const stats: LayerStats = new Map();
    const output = tf.tidy(() => {
      const values = new Map<string, tf.Tensor>();
      for (const node of this.nodes) {
        const value = tf.tidy(() => this.apply(node, values, x, true, stats, 'batch', fixedWeights));
        values.set(node.name, value);
        if (node.name === until) return value;
        this.freeDeadValues(node, values, x);
      }
      throw new Error(`No node ${until}.`);
    });
    return { stats, output };
  }

  private freeDeadValues(node: Node, values: Map<string, tf.Tensor>, x: tf.Tensor): void {
    for (const input of nodeInputs(node)) {
      const value = values.get(input);
      if (this.lastUse.get(input) === node.name && value && value !== x) {
        value.dispose();
        values.delete(input);
      }
    }
  }

  private apply(
    node: Node,
    values: Map<string, tf.Tensor>,
    x: tf.Tensor4D,
    training: boolean,
    batchStats: LayerStats,
    bnStats: 'batch' | 'running' | LayerStats,
    fixedWeights = false,
  ): tf.Tensor {
    const get = (name: string) => values.get(name)!;
    switch (node.op) {
      case 'input':
        return x;
      case 'pad': {
        const [[t, b], [l, r]] = node.padding;
        return tf.pad(get(node.input), [
          [0, 0],
          [t, b],
          [l, r],
          [0, 0],
        ]);
      }
      case 'conv': {
        const folded = training ? undefined : this.folding.foldedInto(node.name);
        if (folded) return this.folding.conv(node, folded, get(node.input) as tf.Tensor4D);
        if (fixedWeights)
          return tf.fused.conv2d({
            x: get(node.input) as tf.Tensor4D,
            filter: this.convs.get(node.name) as tf.Tensor4D,
            strides: node.strides,
            pad: node.padding,
          });
        return tf.conv2d(
          get(node.input) as tf.Tensor4D,
          this.convs.get(node.name) as tf.Tensor4D,
          node.strides,
          node.padding,
        );
      }
      case 'bn': {
        const p = this.bns.get(node.name)!;
        const input = get(node.input);
        if (!training && this.folding.isFolded(node)) {
          // Already applied by the conv: hand its value on (and drop the conv's entry, so the
          // value is freed once, under this node's name).
          values.delete(node.input);
          return input;
        }
        if (!training) {
          return batchNormInfer(
            input,
            p.gamma as tf.Tensor1D,
            p.beta as tf.Tensor1D,
            p.movingMean as tf.Tensor1D,
            p.movingVariance as tf.Tensor1D,
            node.epsilon,
            node.relu,
          );
        }
        if (bnStats === 'running') {
          // Differentiable affine with the running statistics, y = γ (x − μ) / √(σ² + ε) + β.
          const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(p.movingVariance, node.epsilon)));
          const y = tf.add(tf.mul(input, scale), tf.sub(p.beta, tf.mul(p.movingMean, scale)));
          return node.relu ? tf.relu(y) : y;
        }
        // With a whole batch's statistics (a pass of it, see whole-batch.ts), the returned stats are
        // copies of those, kept for the backward pass: the caller frees them, and updates nothing.
        const { y, stats } = batchNormTrain(
          input,
          p.gamma as tf.Tensor1D,
          p.beta as tf.Tensor1D,
          node.epsilon,
          node.relu,
          bnStats === 'batch' ? undefined : bnStats.get(p),
        );
        batchStats.set(p, stats);
        return y;
      }
      case 'relu':
        if (this.addsWithRelu.has(node.input)) {
          // Applied by the add: hand its value on (its entry dropped, so it is freed once).
          const value = get(node.input);
          values.delete(node.input);
          return value;
        }
        return tf.relu(get(node.input));
      case 'add':
        if (this.addsWithRelu.has(node.name))
          return residualAddRelu(get(node.inputs[0]), get(node.inputs[1]));
        return tf.addN(node.inputs.map(get));
      case 'maxpool':
        return tf.maxPool(get(node.input) as tf.Tensor4D, node.size, node.strides, 'valid');
      case 'gap':
        return tf.mean(get(node.input), [1, 2]);
      case 'dense': {
        const { kernel, bias } = this.dense.get(node.name)!;
        const logits = tf.add(tf.matMul(get(node.input) as tf.Tensor2D, kernel as tf.Tensor2D), bias);
        return node.softmax ? tf.softmax(logits) : logits;
      }
    }
  }

  /** Channels of the body's output (2048 for ResNet50): the head's input is twice that. */
  bodyChannels(): number {
    this.channels ??= tf.tidy(
      () =>
        this.forward(tf.zeros([1, 32, 32, 3]), { training: false, until: this.bodyOutput }).output.shape[3]!,
    );
    return this.channels;
  }

  /** fast.ai's layer groups for ResNet: 0 = stem, res2, res3; 1 = res4, res5. */
  static layerGroup(nodeName: string): 0 | 1 {
    return /^(res|bn)[45]/.test(nodeName) ? 1 : 0;
  }

  /** Body variables by stable name (checkpoints), running statistics included; no ImageNet top. */
  namedBodyVariables(): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>();
    for (const [name, v] of this.convs) out.set(`body/${name}/kernel`, v);
    for (const [name, p] of this.bns) {
      out.set(`body/${name}/gamma`, p.gamma).set(`body/${name}/beta`, p.beta);
      out.set(`body/${name}/moving_mean`, p.movingMean).set(`body/${name}/moving_variance`, p.movingVariance);
    }
    return out;
  }

  /** Body variables that train, per layer group: everything, or only BatchNorm γ/β when frozen. */
  bodyGroups(frozen: boolean): [tf.Variable[], tf.Variable[]] {
    const groups: [tf.Variable[], tf.Variable[]] = [[], []];
    for (const node of this.nodes) {
      const g = groups[ResNetGraph.layerGroup(node.name)];
      if (node.op === 'conv' && !frozen) g.push(this.convs.get(node.name)!);
      if (node.op === 'bn') g.push(this.bns.get(node.name)!.gamma, this.bns.get(node.name)!.beta);
    }
    return groups;
  }

  /** Trainable variables (conv kernels, BN γ/β, dense), in graph order. */
  trainableVariables(): tf.Variable[] {
    const out: tf.Variable[] = [];
    for (const node of this.nodes) {
      if (node.op === 'conv') out.push(this.convs.get(node.name)!);
      if (node.op === 'bn') out.push(this.bns.get(node.name)!.gamma, this.bns.get(node.name)!.beta);
      if (node.op === 'dense') out.push(this.dense.get(node.name)!.kernel, this.dense.get(node.name)!.bias);
    }
    return out;
  }

  dispose(): void {
    for (const v of this.convs.values()) v.dispose();
    for (const p of this.bns.values()) tf.dispose([p.gamma, p.beta, p.movingMean, p.movingVariance]);
    for (const d of this.dense.values()) tf.dispose([d.kernel, d.bias]);
    this.folding.dispose();
  }
}
