// Loads the Keras ResNet50 (tfjs layers format) with a flexible input size and progress reports.
// The shards are fetched one by one with their bodies read eagerly: tfjs's own loader waits for all
// 25 responses before reading any body, which hangs when the server sends `Cache-Control: no-store`.
import * as tf from '@tensorflow/tfjs';

export interface ModelFiles {
  json(path: string): Promise<unknown>;
  binary(path: string): Promise<ArrayBuffer>;
  /** Resolves once the files read so far are kept (a cache written behind the downloads). */
  settled?(): Promise<void>;
}

interface WeightsGroup {
  paths: string[];
  weights: tf.io.WeightsManifestEntry[];
}

interface LayersModelJson {
  modelTopology: { model_config: { config: { layers: { config: Record<string, unknown> }[] } } };
  weightsManifest: WeightsGroup[];
}

/** Height and width become free so one model serves 32 px tests and 224 px training. */
export function makeInputSizeFree(topology: LayersModelJson['modelTopology']): void {
  const input = topology.model_config.config.layers[0].config;
  input.batch_input_shape = [null, null, null, 3];
}

export interface KerasTopology {
  layers: {
    class_name: string;
    config: Record<string, unknown> & { name: string };
    inbound_nodes: [string, number, number, unknown][][];
  }[];
}

/**
 * model.json and its weight bytes, shards fetched one after another: four at a time loaded no faster
 * from 127.0.0.1 and slowed downloads running meanwhile in the same worker (measured).
 */
async function fetchArtifacts(
  modelJsonPath: string,
  files: ModelFiles,
  onProgress: (fraction: number) => void,
): Promise<{ json: LayersModelJson; weightSpecs: tf.io.WeightsManifestEntry[]; weightData: ArrayBuffer }> {
  const json = (await files.json(modelJsonPath)) as LayersModelJson;
  makeInputSizeFree(json.modelTopology);
  const base = modelJsonPath.slice(0, modelJsonPath.lastIndexOf('/') + 1);
  const paths = json.weightsManifest.flatMap((group) => group.paths);
  const buffers: ArrayBuffer[] = [];
  onProgress(0);
  for (const path of paths) {
    buffers.push(await files.binary(base + path));
    onProgress(buffers.length / paths.length);
  }
  await files.settled?.();
  return {
    json,
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: concatBuffers(buffers),
  };
}

/** The Keras model plus its topology (tests and Node tools; the app reads the weights directly). */
export async function loadResNet50WithTopology(
  modelJsonPath: string,
  files: ModelFiles,
  onProgress: (fraction: number) => void = () => {},
): Promise<{ model: tf.LayersModel; topology: KerasTopology }> {
  const { json, weightSpecs, weightData } = await fetchArtifacts(modelJsonPath, files, onProgress);
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs,
    weightData,
  };
  const model = await tf.loadLayersModel(tf.io.fromMemory(artifacts));
  return { model, topology: json.modelTopology.model_config.config as unknown as KerasTopology };
}

export async function loadResNet50(
  modelJsonPath: string,
  files: ModelFiles,
  onProgress: (fraction: number) => void = () => {},
): Promise<tf.LayersModel> {
  return (await loadResNet50WithTopology(modelJsonPath, files, onProgress)).model;
}

/**
 * The topology and each layer's weights as tensors, without building the Keras model: tfjs-layers
 * first fills every layer with random initial values and then overwrites them, seconds of work at
 * every start for weights our graph takes over anyway. The caller disposes the tensors.
 */
export async function loadResNet50Weights(
  modelJsonPath: string,
  files: ModelFiles,
  onProgress: (fraction: number) => void = () => {},
): Promise<{ topology: KerasTopology; weights: tf.NamedTensorMap }> {
  const { json, weightSpecs, weightData } = await fetchArtifacts(modelJsonPath, files, onProgress);
  return {
    topology: json.modelTopology.model_config.config as unknown as KerasTopology,
    weights: tf.io.decodeWeights(weightData, weightSpecs),
  };
}

/** Keras order of each weighted layer's parameters, as the graph reads them. */
const PARAMETERS: Record<string, string[]> = {
  Conv2D: ['kernel', 'bias'],
  BatchNormalization: ['gamma', 'beta', 'moving_mean', 'moving_variance'],
  Dense: ['kernel', 'bias'],
};

/** A layer's weights from a decoded map, in the order fromLayersModel's getWeights() gives them. */
export function layerWeights(
  topology: KerasTopology,
  weights: tf.NamedTensorMap,
): (layer: string) => tf.Tensor[] {
  const classOf = new Map(topology.layers.map((l) => [l.config.name, l.class_name]));
  return (layer) =>
    (PARAMETERS[classOf.get(layer) ?? ''] ?? [])
      .map((p) => weights[`${layer}/${p}`])
      .filter((t): t is tf.Tensor => t !== undefined);
}

function concatBuffers(buffers: ArrayBuffer[]): ArrayBuffer {
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const out = new Uint8Array(total);
  let offset = 0;
  for (const b of buffers) {
    out.set(new Uint8Array(b), offset);
    offset += b.byteLength;
  }
  return out.buffer;
}
