// A trained classifier as a standard TF.js LayersModel (model.json + 4 MB weight shards + README),
// which stock `tf.loadLayersModel` loads and runs with no code of ours. The body is rebuilt as Keras
// layers from our graph's nodes (conv biases are already folded into the BatchNorm moving means, so
// convs have none), the fast.ai head as concat(max, avg) pooling → BN → Dropout → Dense(512, ReLU) →
// BN → Dropout → Dense(classes) → softmax. Preprocessing and class names go in the user metadata.
import * as tf from '@tensorflow/tfjs';
import { toFloat16 } from '../../ml/float16';
import { CAFFE_MEAN_BGR } from '../../ml/preprocess';
import type { ResNetGraph } from '../ml/resnet-graph';

export const SHARD_BYTES = 4 * 1024 * 1024;
const HEAD_EPSILON = 1e-5;

export interface ExportedClassifier {
  classes: string[];
  size: number;
  /** Where it came from, for the metadata and the README ("checkpoint stage-2"). */
  source: string;
  /** Variables by the stable names of checkpoints (`body/<layer>/kernel`, `head/bn1/gamma`, …). */
  weights: Map<string, { values: Float32Array; shape: number[] }>;
}

export interface ClassifierMetadata {
  generator: 'Deep Art Studio';
  source: string;
  classes: string[];
  input: { width: number; height: number; channels: 3; layout: 'NHWC'; colour: 'RGB 0-255' };
  preprocessing: { mode: 'caffe'; channelOrder: 'BGR'; meanBGR: number[]; scale: 1 };
  output: 'softmax probabilities, one per class, in the order of classes';
}

/** The Keras-layers model with the classifier's weights. The caller disposes it. */
export function buildLayersModel(graph: ResNetGraph, c: ExportedClassifier): tf.LayersModel {
  const assignments: [tf.layers.Layer, string[]][] = [];
  const out = new Map<string, tf.SymbolicTensor>();
  const weight = (name: string) => {
    const w = c.weights.get(name);
    if (!w) throw new Error(`The model has no weights for ${name}.`);
    return w;
  };
  let input: tf.SymbolicTensor | null = null;
  for (const node of graph.nodes) {
    let value: tf.SymbolicTensor;
    switch (node.op) {
      case 'input':
        value = input = tf.input({ shape: [c.size, c.size, 3], name: node.name });
        break;
      case 'pad':
        value = tf.layers
          .zeroPadding2d({ padding: node.padding, name: node.name })
          .apply(out.get(node.input)!) as tf.SymbolicTensor;
        break;
      case 'conv': {
        const [kh, kw, , filters] = weight(`body/${node.name}/kernel`).shape;
        const layer = tf.layers.conv2d({
          filters,
          kernelSize: [kh, kw],
          strides: node.strides,
          padding: node.padding,
          useBias: false,
          name: node.name,
        });
        value = layer.apply(out.get(node.input)!) as tf.SymbolicTensor;
        assignments.push([layer, [`body/${node.name}/kernel`]]);
        break;
      }
      case 'bn': {
        const layer = tf.layers.batchNormalization({ epsilon: node.epsilon, name: node.name });
        value = layer.apply(out.get(node.input)!) as tf.SymbolicTensor;
        assignments.push([
          layer,
          ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => `body/${node.name}/${p}`),
        ]);
        if (node.relu)
          value = tf.layers
            .activation({ activation: 'relu', name: `${node.name}_relu` })
            .apply(value) as tf.SymbolicTensor;
        break;
      }
      case 'relu':
        value = tf.layers
          .activation({ activation: 'relu', name: node.name })
          .apply(out.get(node.input)!) as tf.SymbolicTensor;
        break;
      case 'add':
        value = tf.layers
          .add({ name: node.name })
          .apply(node.inputs.map((i) => out.get(i)!)) as tf.SymbolicTensor;
        break;
      case 'maxpool':
        value = tf.layers
          .maxPooling2d({ poolSize: node.size, strides: node.strides, padding: 'valid', name: node.name })
          .apply(out.get(node.input)!) as tf.SymbolicTensor;
        break;
      default:
        throw new Error(`The body ends before ${node.op} ${node.name}.`);
    }
    out.set(node.name, value);
    if (node.name === graph.bodyOutput) break;
  }
  const body = out.get(graph.bodyOutput)!;
  const pooled = tf.layers
    .concatenate({ name: 'head_concat_pool' })
    .apply([
      tf.layers.globalMaxPooling2d({ name: 'head_max_pool' }).apply(body) as tf.SymbolicTensor,
      tf.layers.globalAveragePooling2d({ name: 'head_avg_pool' }).apply(body) as tf.SymbolicTensor,
    ]) as tf.SymbolicTensor;
  const headLayers: [tf.layers.Layer, string[]][] = [
    [tf.layers.batchNormalization({ epsilon: HEAD_EPSILON, name: 'head_bn1' }), bnNames('head/bn1')],
    [tf.layers.dropout({ rate: 0.25, name: 'head_dropout1' }), []],
    [
      tf.layers.dense({ units: 512, activation: 'relu', name: 'head_dense1' }),
      ['head/dense1/kernel', 'head/dense1/bias'],
    ],
    [tf.layers.batchNormalization({ epsilon: HEAD_EPSILON, name: 'head_bn2' }), bnNames('head/bn2')],
    [tf.layers.dropout({ rate: 0.5, name: 'head_dropout2' }), []],
    [
      tf.layers.dense({ units: c.classes.length, activation: 'softmax', name: 'probabilities' }),
      ['head/dense2/kernel', 'head/dense2/bias'],
    ],
  ];
  let x = pooled;
  for (const [layer, names] of headLayers) {
    x = layer.apply(x) as tf.SymbolicTensor;
    if (names.length) assignments.push([layer, names]);
  }
  const model = tf.model({ inputs: input!, outputs: x, name: 'deep_art_classifier' });
  for (const [layer, names] of assignments) {
    const tensors = names.map((n) => tf.tensor(weight(n).values, weight(n).shape));
    layer.setWeights(tensors);
    tf.dispose(tensors);
  }
  model.setUserDefinedMetadata({ deepArtStudio: metadata(c) } as unknown as Record<string, never>);
  return model;
}

const bnNames = (prefix: string) =>
  ['gamma', 'beta', 'moving_mean', 'moving_variance'].map((p) => `${prefix}/${p}`);

export function metadata(c: ExportedClassifier): ClassifierMetadata {
  return {
    generator: 'Deep Art Studio',
    source: c.source,
    classes: c.classes,
    input: { width: c.size, height: c.size, channels: 3, layout: 'NHWC', colour: 'RGB 0-255' },
    preprocessing: { mode: 'caffe', channelOrder: 'BGR', meanBGR: [...CAFFE_MEAN_BGR], scale: 1 },
    output: 'softmax probabilities, one per class, in the order of classes',
  };
}

/**
 * model.json, its weight shards (group1-shardNofM.bin) and a README, by file name. `float16`: the
 * weights stored as half floats (half the size; tfjs decodes them on load).
 */
export async function layersModelFiles(
  model: tf.LayersModel,
  c: ExportedClassifier,
  { float16 = false } = {},
): Promise<Map<string, Uint8Array>> {
  let artifacts: tf.io.ModelArtifacts | null = null;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const saved = artifacts as unknown as tf.io.ModelArtifacts;
  let data: Uint8Array = new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData!));
  let specs = saved.weightSpecs!;
  if (float16) {
    const floats = new Float32Array(data.buffer, data.byteOffset, data.byteLength / 4);
    data = new Uint8Array(toFloat16(floats).buffer);
    specs = specs.map((s) => ({ ...s, quantization: { dtype: 'float16' as const } }));
  }
  const count = Math.max(1, Math.ceil(data.byteLength / SHARD_BYTES));
  const files = new Map<string, Uint8Array>();
  const paths: string[] = [];
  for (let i = 0; i < count; i++) {
    const path = `group1-shard${i + 1}of${count}.bin`;
    paths.push(path);
    files.set(path, data.subarray(i * SHARD_BYTES, Math.min(data.byteLength, (i + 1) * SHARD_BYTES)));
  }
  const json = {
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`,
    convertedBy: 'Deep Art Studio',
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths, weights: specs }],
    userDefinedMetadata: saved.userDefinedMetadata,
  };
  files.set('model.json', new TextEncoder().encode(JSON.stringify(json)));
  files.set('README.md', new TextEncoder().encode(readme(c)));
  return files;
}

function readme(c: ExportedClassifier): string {
  const m = metadata(c);
  return `# Art period classifier (TF.js LayersModel)

Exported by Deep Art Studio from ${c.source}: ResNet50 body + fast.ai head, ${c.classes.length} classes,
input ${c.size}×${c.size} RGB. \`model.json\`'s \`userDefinedMetadata.deepArtStudio\` holds the classes and
the preprocessing; the class order is that of the output probabilities.

Classes: ${c.classes.join(', ')}

\`\`\`js
import * as tf from '@tensorflow/tfjs';
const model = await tf.loadLayersModel('model.json'); // or a URL, or tf.io.browserFiles([...])
const { classes, input } = model.getUserDefinedMetadata().deepArtStudio;
// An image (an ImageBitmap, or a loaded img): its centre square, resized to ${c.size}×${c.size}
// with smoothing (the studio resizes as Pillow's bilinear; a canvas at 'high' comes within ~2 levels).
const [w, h] = [img.naturalWidth ?? img.width, img.naturalHeight ?? img.height];
const side = Math.min(w, h);
const canvas = new OffscreenCanvas(input.width, input.height);
const context = canvas.getContext('2d');
context.imageSmoothingQuality = 'high';
context.drawImage(img, (w - side) / 2, (h - side) / 2, side, side, 0, 0, input.width, input.height);
const rgb = tf.browser.fromPixels(canvas);
// "caffe" preprocessing: RGB → BGR, subtract the ImageNet means (no scaling).
const x = tf.sub(tf.reverse(rgb.toFloat(), -1), [${m.preprocessing.meanBGR.join(', ')}]).expandDims(0);
const probabilities = await model.predict(x).data();
console.log(classes[probabilities.indexOf(Math.max(...probabilities))]);
\`\`\`
`;
}
