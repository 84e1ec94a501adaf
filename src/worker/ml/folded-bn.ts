// Inference with BatchNorm folded into the convolution before it: with running statistics a
// conv → BatchNorm (→ ReLU) is one fused conv with scaled weights and a bias, so wasm (our engine) and
// WebGPU run one kernel instead of a conv and three full-size elementwise passes. The folded weights are cached
// per conv and rebuilt only when a source variable changes.
import * as tf from '@tensorflow/tfjs';
import type { BnParams } from './batchnorm';
import { nodeInputs, type Node } from './resnet-topology';

type ConvNode = Extract<Node, { op: 'conv' }>;
type BnNode = Extract<Node, { op: 'bn' }>;

interface FoldedConv {
  filter: tf.Tensor4D;
  bias: tf.Tensor1D;
  /** dataIds of the variables it was folded from. */
  sources: object[];
}

export class FoldedBatchNorm {
  /** conv → the BatchNorm that alone consumes it. */
  private readonly bnOf = new Map<string, BnNode>();
  private readonly cache = new Map<string, FoldedConv>();

  constructor(
    nodes: readonly Node[],
    private readonly convs: ReadonlyMap<string, tf.Variable>,
    private readonly bns: ReadonlyMap<string, BnParams>,
  ) {
    const consumers = new Map<string, number>();
    for (const node of nodes)
      for (const input of nodeInputs(node)) consumers.set(input, (consumers.get(input) ?? 0) + 1);
    const ops = new Map(nodes.map((n) => [n.name, n.op]));
    for (const node of nodes)
      if (node.op === 'bn' && ops.get(node.input) === 'conv' && consumers.get(node.input) === 1)
        this.bnOf.set(node.input, node);
  }

  /** The BatchNorm folded into this conv, if any. */
  foldedInto(convName: string): BnNode | undefined {
    return this.bnOf.get(convName);
  }

  /** Whether this BatchNorm is already applied by the conv before it. */
  isFolded(bn: BnNode): boolean {
    return this.bnOf.get(bn.input) === bn;
  }

  /** conv → BatchNorm(running statistics) → optional ReLU, as one fused conv with folded weights. */
  conv(conv: ConvNode, bn: BnNode, x: tf.Tensor4D): tf.Tensor4D {
    const { filter, bias } = this.weights(conv.name, bn);
    return tf.fused.conv2d({
      x,
      filter,
      bias,
      strides: conv.strides,
      pad: conv.padding,
      activation: bn.relu ? 'relu' : 'linear',
    });
  }

  /**
   * Folded weights, cached: wasm packs a conv's weights for its kernel once per filter tensor, so a
   * fresh filter per call would repack every time. A variable gets a new dataId whenever it is
   * assigned, so comparing dataIds tells exactly when training or a checkpoint changed them.
   */
  private weights(convName: string, bn: BnNode): FoldedConv {
    const p = this.bns.get(bn.name)!;
    const sources = [this.convs.get(convName)!, p.gamma, p.beta, p.movingMean, p.movingVariance];
    const cached = this.cache.get(convName);
    if (cached && cached.sources.every((id, i) => id === sources[i].dataId)) return cached;
    if (cached) tf.dispose([cached.filter, cached.bias]);
    const [filter, bias] = tf.tidy(() => {
      const scale = tf.mul(p.gamma, tf.rsqrt(tf.add(p.movingVariance, bn.epsilon)));
      return [
        tf.keep(tf.mul(sources[0], scale) as tf.Tensor4D),
        tf.keep(tf.sub(p.beta, tf.mul(p.movingMean, scale)) as tf.Tensor1D),
      ];
    });
    const entry = { filter, bias, sources: sources.map((v) => v.dataId) };
    this.cache.set(convName, entry);
    return entry;
  }

  dispose(): void {
    for (const f of this.cache.values()) tf.dispose([f.filter, f.bias]);
    this.cache.clear();
  }
}
