// A checkpoint record → the TF.js LayersModel zip (see layers-model.ts; weight shards are stored,
// not deflated: float32 weights barely compress) or the ONNX file (see onnx-model.ts).
import { zipSync, type Zippable } from 'fflate';
import type { CheckpointRecord } from '../../data/schema';
import type { ResNetGraph } from '../ml/resnet-graph';
import { buildLayersModel, layersModelFiles, type ExportedClassifier } from './layers-model';
import { onnxModelBytes } from './onnx-model';

export async function classifierOf(record: CheckpointRecord, source: string): Promise<ExportedClassifier> {
  const weights: ExportedClassifier['weights'] = new Map();
  for (const t of record.tensors)
    if (!t.name.includes('#'))
      // Adam moments stay behind
      weights.set(t.name, { values: new Float32Array(await t.data.arrayBuffer()), shape: t.shape });
  return { classes: record.classes, size: record.config?.size ?? record.size, source, weights };
}

export async function onnxModelFile(
  graph: ResNetGraph,
  record: CheckpointRecord,
  source: string,
): Promise<Blob> {
  const bytes = onnxModelBytes(graph, await classifierOf(record, source));
  return new Blob([bytes as unknown as ArrayBuffer], { type: 'application/octet-stream' });
}

export async function tfjsModelZip(
  graph: ResNetGraph,
  record: CheckpointRecord,
  source: string,
  { float16 = false } = {},
): Promise<Blob> {
  const classifier = await classifierOf(record, source);
  const model = buildLayersModel(graph, classifier);
  let files: Map<string, Uint8Array>;
  try {
    files = await layersModelFiles(model, classifier, { float16 });
  } finally {
    model.dispose();
  }
  const zippable: Zippable = {};
  for (const [name, bytes] of files) zippable[name] = [bytes, { level: name.endsWith('.bin') ? 0 : 6 }];
  return new Blob([zipSync(zippable) as unknown as ArrayBuffer], { type: 'application/zip' });
}
