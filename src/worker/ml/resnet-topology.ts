// The Keras ResNet50 topology as the nodes of our graph: which op each layer is, its inputs, and
// which BatchNorm absorbs the ReLU after it.
import type * as tf from '@tensorflow/tfjs';
import type { KerasTopology } from './resnet-loader';

type KerasLayer = KerasTopology['layers'][number];

export type Node =
  | { op: 'input'; name: string }
  | { op: 'pad'; name: string; input: string; padding: [[number, number], [number, number]] }
  | { op: 'conv'; name: string; input: string; strides: [number, number]; padding: 'valid' | 'same' }
  | { op: 'bn'; name: string; input: string; epsilon: number; relu: boolean }
  | { op: 'relu'; name: string; input: string }
  | { op: 'add'; name: string; inputs: string[] }
  | { op: 'maxpool'; name: string; input: string; size: [number, number]; strides: [number, number] }
  | { op: 'gap'; name: string; input: string }
  | { op: 'dense'; name: string; input: string; softmax: boolean };

/** A layer's weights in Keras order (conv: kernel, bias; BatchNorm: γ, β, mean, variance; dense: kernel, bias). */
export type LayerWeights = (layer: string) => tf.Tensor[];

export function nodesFromTopology(topology: KerasTopology): Node[] {
  const layers = topology.layers;
  const consumers = new Map<string, string[]>();
  for (const layer of layers) {
    for (const [from] of layer.inbound_nodes[0] ?? [])
      consumers.set(from, [...(consumers.get(from) ?? []), layer.config.name]);
  }
  const byName = new Map(layers.map((l) => [l.config.name, l]));
  const fusedRelu = new Set<string>();
  const rename = new Map<string, string>(); // fused activation → its BN
  const nodes: Node[] = [];
  const src = (layer: KerasLayer, i = 0) => {
    const name = layer.inbound_nodes[0][i][0];
    return rename.get(name) ?? name;
  };
  for (const layer of layers) {
    const { name } = layer.config;
    const cfg = layer.config;
    switch (layer.class_name) {
      case 'InputLayer':
        nodes.push({ op: 'input', name });
        break;
      case 'ZeroPadding2D':
        nodes.push({
          op: 'pad',
          name,
          input: src(layer),
          padding: cfg.padding as [[number, number], [number, number]],
        });
        break;
      case 'Conv2D':
        nodes.push({
          op: 'conv',
          name,
          input: src(layer),
          strides: cfg.strides as [number, number],
          padding: cfg.padding as 'valid' | 'same',
        });
        break;
      case 'BatchNormalization': {
        const next = consumers.get(name) ?? [];
        const relu =
          next.length === 1 &&
          byName.get(next[0])?.class_name === 'Activation' &&
          byName.get(next[0])?.config.activation === 'relu';
        if (relu) {
          fusedRelu.add(next[0]);
          rename.set(next[0], name);
        }
        nodes.push({ op: 'bn', name, input: src(layer), epsilon: cfg.epsilon as number, relu });
        break;
      }
      case 'Activation':
        if (cfg.activation !== 'relu') throw new Error(`unsupported activation ${String(cfg.activation)}`);
        if (!fusedRelu.has(name)) nodes.push({ op: 'relu', name, input: src(layer) });
        break;
      case 'Add':
        nodes.push({ op: 'add', name, inputs: layer.inbound_nodes[0].map((_, i) => src(layer, i)) });
        break;
      case 'MaxPooling2D':
        nodes.push({
          op: 'maxpool',
          name,
          input: src(layer),
          size: cfg.pool_size as [number, number],
          strides: cfg.strides as [number, number],
        });
        break;
      case 'GlobalAveragePooling2D':
        nodes.push({ op: 'gap', name, input: src(layer) });
        break;
      case 'Dense':
        nodes.push({ op: 'dense', name, input: src(layer), softmax: cfg.activation === 'softmax' });
        break;
      default:
        throw new Error(`unsupported layer ${layer.class_name}`);
    }
  }
  return nodes;
}

export function nodeInputs(node: Node): string[] {
  return 'inputs' in node ? node.inputs : 'input' in node ? [node.input] : [];
}

/** Adds of two values whose one consumer is a ReLU (each ResNet block's end): they can run as one op. */
export function addsBeforeRelu(nodes: Node[]): Set<string> {
  const uses = new Map<string, number>();
  for (const node of nodes) for (const input of nodeInputs(node)) uses.set(input, (uses.get(input) ?? 0) + 1);
  const adds = new Set(nodes.filter((n) => n.op === 'add' && n.inputs.length === 2).map((n) => n.name));
  return new Set(
    nodes.flatMap((n) => (n.op === 'relu' && adds.has(n.input) && uses.get(n.input) === 1 ? [n.input] : [])),
  );
}
