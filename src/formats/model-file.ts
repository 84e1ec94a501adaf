// One-file export of a trained classifier: a JSON header (format, classes, image size,
// preprocessing, weight manifest in tfjs's own weightsManifest shape) followed by the raw float32
// weights. Magic + header length first, so a wrong file is refused with a clear message.
import type { CheckpointRecord } from '../data/schema';
import type { TrainConfig } from '../protocol';

const MAGIC = 'DEEPART1';

export interface ModelFileHeader {
  format: 'deep-art-classifier/1';
  architecture: 'keras-resnet50 + fastai-head';
  classes: string[];
  size: number;
  preprocessing: { mode: 'caffe'; channelOrder: 'BGR'; mean: number[]; resize: 'shorter-side + centre-crop' };
  stage: CheckpointRecord['stage'];
  seed: number;
  errorRate: number | null;
  history: unknown[];
  /** The training settings (train.py writes them; absent in older files). */
  config?: TrainConfig;
  /** Where it was trained when not in the studio (train.py: PyTorch version, processes, device). */
  trainedWith?: string;
  weightsManifest: {
    paths: ['weights.bin'];
    weights: { name: string; shape: number[]; dtype: 'float32' }[];
  }[];
}

export async function encodeModelFile(record: CheckpointRecord): Promise<Blob> {
  // Adam moments are training state, not part of the classifier.
  const weights = record.tensors.filter((t) => !t.name.includes('#'));
  const header: ModelFileHeader = {
    format: 'deep-art-classifier/1',
    architecture: 'keras-resnet50 + fastai-head',
    classes: record.classes,
    size: record.size,
    preprocessing: {
      mode: 'caffe',
      channelOrder: 'BGR',
      mean: [103.939, 116.779, 123.68],
      resize: 'shorter-side + centre-crop',
    },
    stage: record.stage,
    seed: record.seed,
    errorRate: record.errorRate,
    history: record.history,
    ...(record.config ? { config: record.config } : {}),
    weightsManifest: [
      {
        paths: ['weights.bin'],
        weights: weights.map((t) => ({ name: t.name, shape: t.shape, dtype: 'float32' })),
      },
    ],
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const length = new Uint8Array(4);
  new DataView(length.buffer).setUint32(0, json.length, true);
  return new Blob([MAGIC, length, json, ...weights.map((t) => t.data)], { type: 'application/octet-stream' });
}

export async function decodeModelFile(file: Blob, name: string): Promise<CheckpointRecord> {
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  if (new TextDecoder().decode(head.subarray(0, 8)) !== MAGIC) {
    throw new Error('This file is not a classifier exported from Deep Art Studio.');
  }
  const length = new DataView(head.buffer).getUint32(8, true);
  const header = JSON.parse(await file.slice(12, 12 + length).text()) as ModelFileHeader;
  if (header.format !== 'deep-art-classifier/1')
    throw new Error(`Unsupported model format ${String(header.format)}.`);
  let offset = 12 + length;
  const tensors: CheckpointRecord['tensors'] = [];
  for (const w of header.weightsManifest[0].weights) {
    const bytes = 4 * w.shape.reduce((a, b) => a * b, 1);
    if (offset + bytes > file.size) throw new Error('The model file is truncated.');
    tensors.push({ name: w.name, shape: w.shape, data: file.slice(offset, offset + bytes) });
    offset += bytes;
  }
  return {
    name,
    savedAt: Date.now(),
    stage: header.stage,
    classes: header.classes,
    seed: header.seed,
    size: header.size,
    errorRate: header.errorRate,
    history: header.history,
    tensors,
    optimizerStep: 0,
    ...(header.config ? { config: header.config } : {}),
  };
}
