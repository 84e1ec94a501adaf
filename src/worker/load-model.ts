// Starting the engine: the backend (the device event), ResNet50's weights from the cache or the
// network (model events with the fraction loaded), our own graph over them, one warm-up pass.
import * as tf from '@tensorflow/tfjs';
import { WEIGHTS_CACHE, type InitOptions, type WorkerEvent } from '../protocol';
import { initBackend, watchDeviceLoss } from './backend';
import { IMAGENET_SIZE } from './imagenet';
import { cachedModelFiles } from './ml/model-files';
import { ResNetGraph } from './ml/resnet-graph';
import { layerWeights, loadResNet50Weights } from './ml/resnet-loader';

export interface Loaded {
  model: ResNetGraph;
  labels: string[];
}

export async function loadModel(
  options: InitOptions,
  emit: (event: WorkerEvent) => void,
  onDeviceLost: (message: string) => void,
): Promise<Loaded> {
  const device = await initBackend(options.backend, options.raceSoftwareGpu);
  emit({ type: 'device', device });
  watchDeviceLoss(onDeviceLost);
  emit({ type: 'model', state: { kind: 'loading', fraction: 0 } });
  const [loadedWeights, labels] = await Promise.all([
    loadResNet50Weights(options.modelUrl, cachedModelFiles(WEIGHTS_CACHE), (fraction) =>
      emit({ type: 'model', state: { kind: 'loading', fraction } }),
    ),
    fetch(options.labelsUrl).then((r) => r.json() as Promise<string[]>),
  ]);
  // Our own graph (fast training, freezing, custom head) takes the Keras weights over.
  const { topology, weights } = loadedWeights;
  const model = ResNetGraph.fromTopology(topology, layerWeights(topology, weights));
  tf.dispose(Object.values(weights));
  // One pass compiles shaders and allocates buffers, so the first real prediction is not slow. A
  // software GPU (SwiftShader, only ever chosen when asked for) compiles for ~30 s even at 32 px: there
  // the first real pass pays it instead of every start.
  if (!device.softwareGpu) {
    emit({ type: 'model', state: { kind: 'warming' } });
    const size = device.backend === 'cpu' ? 32 : IMAGENET_SIZE;
    const warm = tf.tidy(() => model.forward(tf.zeros([1, size, size, 3]), { training: false }).output);
    await warm.data();
    warm.dispose();
  }
  emit({ type: 'model', state: { kind: 'ready' } });
  return { model, labels };
}
