// The classifier as an ONNX model (opset 13), for Python, C++ and phones. The protobuf is written by
// onnx-proto (the ONNX schema compiled for protobufjs). Input: NHWC float32 [batch, size, size, 3],
// caffe-preprocessed (BGR minus the ImageNet means, as in the TF.js export) — stated in the model's
// metadata — transposed to NCHW inside the graph; output: softmax probabilities [batch, classes].
import { onnx } from 'onnx-proto';
import type { ResNetGraph } from '../ml/resnet-graph';
import { metadata, type ExportedClassifier } from './layers-model';

const OPSET = 13;
const FLOAT = onnx.TensorProto.DataType.FLOAT;
const INT64 = onnx.TensorProto.DataType.INT64;
const HEAD_EPSILON = 1e-5;

class OnnxGraph {
  readonly nodes: onnx.INodeProto[] = [];
  readonly initializers: onnx.ITensorProto[] = [];

  node(opType: string, inputs: string[], output: string, attributes: onnx.IAttributeProto[] = []): string {
    this.nodes.push({ opType, input: inputs, output: [output], name: output, attribute: attributes });
    return output;
  }

  floats(name: string, values: Float32Array, dims: number[]): string {
    const bytes = new Uint8Array(
      values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
    );
    this.initializers.push({ name, dims, dataType: FLOAT, rawData: bytes });
    return name;
  }

  ints(name: string, values: number[]): string {
    this.initializers.push({ name, dims: [values.length], dataType: INT64, int64Data: values });
    return name;
  }
}

const ints = (name: string, values: number[]): onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INTS,
  ints: values,
});
const int = (name: string, value: number): onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.INT,
  i: value,
});
const float = (name: string, value: number): onnx.IAttributeProto => ({
  name,
  type: onnx.AttributeProto.AttributeType.FLOAT,
  f: value,
});

/** HWIO (TF) → OIHW (ONNX). */
export function hwioToOihw(values: Float32Array, [h, w, i, o]: number[]): Float32Array {
  const out = new Float32Array(values.length);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < i; c++)
        for (let k = 0; k < o; k++)
          out[((k * i + c) * h + y) * w + x] = values[((y * w + x) * i + c) * o + k];
  return out;
}

/** TensorFlow's 'same' padding for one axis: [before, after]. */
export function samePadding(size: number, kernel: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride);
  const total = Math.max(0, (out - 1) * stride + kernel - size);
  return [Math.floor(total / 2), total - Math.floor(total / 2)];
}

export function onnxModelBytes(graph: ResNetGraph, c: ExportedClassifier): Uint8Array {
  const g = new OnnxGraph();
  const weight = (name: string) => {
    const w = c.weights.get(name);
    if (!w) throw new Error(`The model has no weights for ${name}.`);
    return w;
  };
  const values = new Map<string, { name: string; size: number }>(); // spatial size (square)
  for (const node of graph.nodes) {
    let out: { name: string; size: number };
    switch (node.op) {
      case 'input':
        out = {
          name: g.node('Transpose', ['input'], 'input_nchw', [ints('perm', [0, 3, 1, 2])]),
          size: c.size,
        };
        break;
      case 'pad': {
        const from = values.get(node.input)!;
        const [[top, bottom], [left, right]] = node.padding;
        const pads = g.ints(`${node.name}/pads`, [0, 0, top, left, 0, 0, bottom, right]);
        out = { name: g.node('Pad', [from.name, pads], node.name), size: from.size + top + bottom };
        break;
      }
      case 'conv': {
        const from = values.get(node.input)!;
        const { values: kernel, shape } = weight(`body/${node.name}/kernel`);
        const [kh, kw] = shape;
        const [sh, sw] = node.strides;
        const [pt, pb] = node.padding === 'same' ? samePadding(from.size, kh, sh) : [0, 0];
        const [pl, pr] = node.padding === 'same' ? samePadding(from.size, kw, sw) : [0, 0];
        const w = g.floats(`${node.name}/kernel`, hwioToOihw(kernel, shape), [shape[3], shape[2], kh, kw]);
        const size =
          node.padding === 'same' ? Math.ceil(from.size / sh) : Math.floor((from.size - kh) / sh) + 1;
        out = {
          name: g.node('Conv', [from.name, w], node.name, [
            ints('kernel_shape', [kh, kw]),
            ints('strides', [sh, sw]),
            ints('pads', [pt, pl, pb, pr]),
          ]),
          size,
        };
        break;
      }
      case 'bn': {
        const from = values.get(node.input)!;
        const params = ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => {
          const w = weight(`body/${node.name}/${p}`);
          return g.floats(`${node.name}/${p}`, w.values, w.shape);
        });
        let name = g.node('BatchNormalization', [from.name, ...params], node.name, [
          float('epsilon', node.epsilon),
        ]);
        if (node.relu) name = g.node('Relu', [name], `${node.name}_relu`);
        out = { name, size: from.size };
        break;
      }
      case 'relu': {
        const from = values.get(node.input)!;
        out = { name: g.node('Relu', [from.name], node.name), size: from.size };
        break;
      }
      case 'add': {
        const inputs = node.inputs.map((i) => values.get(i)!);
        out = {
          name: g.node(
            'Add',
            inputs.map((i) => i.name),
            node.name,
          ),
          size: inputs[0].size,
        };
        break;
      }
      case 'maxpool': {
        const from = values.get(node.input)!;
        out = {
          name: g.node('MaxPool', [from.name], node.name, [
            ints('kernel_shape', node.size),
            ints('strides', node.strides),
          ]),
          size: Math.floor((from.size - node.size[0]) / node.strides[0]) + 1,
        };
        break;
      }
      default:
        throw new Error(`The body ends before ${node.op} ${node.name}.`);
    }
    values.set(node.name, out);
    if (node.name === graph.bodyOutput) break;
  }
  const body = values.get(graph.bodyOutput)!.name;
  // fast.ai's head: concat(max, avg) pooling → BN → (dropout) → Linear → ReLU → BN → (dropout) → Linear.
  const maxPool = g.node('Flatten', [g.node('GlobalMaxPool', [body], 'head_max_pool4d')], 'head_max_pool');
  const avgPool = g.node(
    'Flatten',
    [g.node('GlobalAveragePool', [body], 'head_avg_pool4d')],
    'head_avg_pool',
  );
  let x = g.node('Concat', [maxPool, avgPool], 'head_concat_pool', [int('axis', 1)]);
  const bn = (name: string, input: string) =>
    g.node(
      'BatchNormalization',
      [
        input,
        ...['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => {
          const w = weight(`head/${name}/${p}`);
          return g.floats(`head_${name}/${p}`, w.values, w.shape);
        }),
      ],
      `head_${name}`,
      [float('epsilon', HEAD_EPSILON)],
    );
  const dense = (name: string, input: string) => {
    const k = weight(`head/${name}/kernel`);
    const b = weight(`head/${name}/bias`);
    return g.node(
      'Gemm',
      [
        input,
        g.floats(`head_${name}/kernel`, k.values, k.shape),
        g.floats(`head_${name}/bias`, b.values, b.shape),
      ],
      `head_${name}`,
    );
  };
  x = g.node('Relu', [dense('dense1', bn('bn1', x))], 'head_relu');
  x = dense('dense2', bn('bn2', x));
  g.node('Softmax', [x], 'probabilities', [int('axis', 1)]);

  const tensorType = (dims: (number | string)[]): onnx.ITypeProto => ({
    tensorType: {
      elemType: FLOAT,
      shape: { dim: dims.map((d) => (typeof d === 'string' ? { dimParam: d } : { dimValue: d })) },
    },
  });
  const meta = metadata(c);
  const model: onnx.IModelProto = {
    irVersion: 7,
    opsetImport: [{ domain: '', version: OPSET }],
    producerName: 'Deep Art Studio',
    producerVersion: '1',
    docString: `Art period classifier (ResNet50 + fast.ai head) from ${c.source}.`,
    metadataProps: [
      { key: 'layout', value: 'NHWC' },
      { key: 'classes', value: JSON.stringify(c.classes) },
      { key: 'input', value: JSON.stringify(meta.input) },
      { key: 'preprocessing', value: JSON.stringify(meta.preprocessing) },
      { key: 'output', value: meta.output },
    ],
    graph: {
      name: 'deep_art_classifier',
      node: g.nodes,
      initializer: g.initializers,
      input: [{ name: 'input', type: tensorType(['batch', c.size, c.size, 3]) }],
      output: [{ name: 'probabilities', type: tensorType(['batch', c.classes.length]) }],
    },
  };
  return onnx.ModelProto.encode(model).finish();
}
