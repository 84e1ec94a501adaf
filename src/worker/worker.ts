// The ML worker: owns TensorFlow.js, the model and (later) training. Talks only via src/protocol/.
import * as tf from '@tensorflow/tfjs';
import {
  isCommand,
  MODEL_EXPORT_FORMATS,
  StudioError,
  traitsOf,
  WEIGHTS_CACHE,
  type Command,
  type InitOptions,
  type RequestArgs,
  type ModelFreeName,
  type ModelName,
  type RequestName,
  type RequestResult,
  type WorkerEvent,
} from '../protocol';
import { initBackend, loseDevice, watchDeviceLoss } from './backend';
import { cancelIngest, requestIngest } from './ingest/ingest';
import { importImages } from './ingest/import-images';
import { importDataset } from './ingest/import-dataset';
import { onnxModelFile, tfjsModelZip } from './export/model-zip';
import { runBenchmark } from './bench';
import { convolutionEngineThreads, releaseKernelCaches, simdPeak } from './kernels/register';
import { filterGradientReport } from './kernels/webgpu/kernel-report';
import { getMeta, openStudioDb } from '../data/db';
import { datasetImages } from '../data/exports';
import { trainBundleZip } from './export/train-bundle';
import { decodeModelFile, encodeModelFile } from '../formats/model-file';
import { STORES } from '../data/schema';
import {
  checkpointRecord,
  deleteCheckpoint,
  freeCheckpointName,
  listCheckpoints,
  readCheckpoint,
} from './train/checkpoints';
import { TrainingSession } from './train/session';
import { EngineFailure, failureCodeOf, humanMessage, isEngineFailure } from './errors';
import { announce } from '../data/changes';
import { classifyBlob, imagenetProbabilities, IMAGENET_SIZE } from './imagenet';
import { ResNetGraph } from './ml/resnet-graph';
import { parseLrFindSteps } from '../ml/lr-find';
import { cachedModelFiles } from './ml/model-files';
import { layerWeights, loadResNet50Weights } from './ml/resnet-loader';

const scope = self as unknown as DedicatedWorkerGlobalScope;

function emit(event: WorkerEvent, transfer: Transferable[] = []): void {
  scope.postMessage(event, transfer);
}

interface Loaded {
  model: ResNetGraph;
  labels: string[];
}
let loaded: Promise<Loaded> | null = null;

async function init(options: InitOptions): Promise<Loaded> {
  const device = await initBackend(options.backend, options.raceSoftwareGpu);
  emit({ type: 'device', device });
  watchDeviceLoss(engineFailed);
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

type Reply<K extends RequestName> = Promise<{ result: RequestResult<K>; transfer?: Transferable[] }>;
type ModelHandler<K extends RequestName> = (args: RequestArgs<K>, ctx: Loaded) => Reply<K>;
type ModelFreeHandler<K extends RequestName> = (args: RequestArgs<K>) => Reply<K>;

/** Requests that run without the model: they answer while it is still loading. */
const modelFree: { [K in ModelFreeName]: ModelFreeHandler<K> } = {
  async memory() {
    const { numTensors, numBytes } = tf.memory();
    return { result: { numTensors, numBytes } };
  },
  async ingest({ jobIds, settings }) {
    return {
      result: await requestIngest(jobIds, settings, (progress) => emit({ type: 'ingest', progress })),
    };
  },
  async ingestCancel() {
    return { result: cancelIngest() };
  },
  async importImages({ images, maxSize }) {
    const result = await importImages(images, maxSize);
    emit({ type: 'dataset' });
    return { result };
  },
  async importDataset({ file }) {
    const result = await importDataset(file);
    emit({ type: 'dataset' });
    return { result };
  },
  async trainCancel() {
    session?.learner?.cancel();
    return { result: Boolean(session?.learner) };
  },
  async listCheckpoints() {
    return { result: await listCheckpoints() };
  },
  async deleteCheckpoint({ name }) {
    return { result: await deleteCheckpoint(name) };
  },
};

const handlers: { [K in ModelName]: ModelHandler<K> } = {
  async classifyImage({ image, topK }, { model, labels }) {
    return { result: await classifyBlob(model, labels, image, topK) };
  },
  async classifyPixels({ pixels, shape }, { model }) {
    const input = tf.tensor4d(pixels, shape);
    const probabilities = imagenetProbabilities(model, input);
    input.dispose();
    const values = (await probabilities.data()) as Float32Array;
    const result = { probabilities: values, shape: probabilities.shape as [number, number] };
    probabilities.dispose();
    return { result, transfer: [values.buffer] };
  },
  async convGradients(a) {
    const attrs = { strides: a.strides, pad: a.pad, dataFormat: 'NHWC' };
    const [dFilter, dInput] = tf.tidy(() => {
      const x = tf.tensor4d(a.x, a.xShape);
      const dy = tf.tensor4d(a.dy, a.dyShape);
      const filter = tf.tensor4d(a.filter, a.filterShape);
      return [
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            { ...attrs, filterShape: a.filterShape },
          ) as tf.Tensor,
        tf
          .engine()
          .runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: a.xShape }) as tf.Tensor,
      ];
    });
    const result = {
      dFilter: (await dFilter.data()) as Float32Array,
      dInput: (await dInput.data()) as Float32Array,
      engineThreads: convolutionEngineThreads(),
    };
    tf.dispose([dFilter, dInput]);
    return { result, transfer: [result.dFilter.buffer, result.dInput.buffer] };
  },
  async gpuKernels(args, { model }) {
    return { result: await filterGradientReport(model, args) };
  },
  async benchmark(args, { model }) {
    return { result: await runBenchmark(model, args) };
  },
  async trainPrepare({ config }, ctx) {
    return { result: await trainingSession(ctx).prepare(config) };
  },
  async trainReconfigure({ config }, ctx) {
    return { result: await trainingSession(ctx).reconfigure(config) };
  },
  async fit({ epochs, maxLr, frozenMode }, ctx) {
    return { result: await trainingSession(ctx).fit(epochs, maxLr, frozenMode) };
  },
  async lrFind({ iterations }, ctx) {
    if (iterations !== undefined) {
      try {
        parseLrFindSteps(String(iterations));
      } catch (error) {
        throw new StudioError('invalid-input', (error as Error).message);
      }
    }
    return { result: await trainingSession(ctx).lrFind(iterations) };
  },
  async setFrozen({ frozen }, ctx) {
    trainingSession(ctx).freezeTo(frozen);
    return { result: frozen };
  },
  async restartHead(_args, ctx) {
    trainingSession(ctx).restartHead();
    return { result: true };
  },
  async pickLr({ lr }, ctx) {
    trainingSession(ctx).pickLr(lr);
    return { result: true };
  },
  async interpret(_args, ctx) {
    return { result: await trainingSession(ctx).require().interpret() };
  },
  async ttaErrorRate(_args, ctx) {
    return { result: await trainingSession(ctx).require().ttaErrorRate() };
  },
  async gradCam({ ids }, ctx) {
    return { result: await trainingSession(ctx).require().gradCam(ids) };
  },
  async saveCheckpoint({ name }, ctx) {
    return { result: await trainingSession(ctx).save(name) };
  },
  async loadCheckpoint({ name }, ctx) {
    return { result: await trainingSession(ctx).load(name) };
  },
  async classify({ image, tta }, ctx) {
    const learner = trainingSession(ctx).require();
    return { result: { classes: learner.data.classes, probabilities: await learner.classify(image, tta) } };
  },
  async retrain({ checkpoint, epochs, maxLr }, ctx) {
    return { result: await trainingSession(ctx).retrain(checkpoint, epochs, maxLr) };
  },
  async exportModel({ checkpoint, format = 'artmodel' }, ctx) {
    const record = checkpoint
      ? await readCheckpoint(checkpoint)
      : await checkpointRecord(trainingSession(ctx).require(), 'export');
    const slug = checkpoint ? `-${checkpoint.replace(/[^\w.-]+/g, '_')}` : '';
    const source = checkpoint ? `checkpoint "${checkpoint}"` : 'the current model';
    const fileName = `art-classifier-${record.classes.length}-classes${slug}${MODEL_EXPORT_FORMATS[format].extension}`;
    const file =
      format === 'tfjs' || format === 'tfjs16'
        ? await tfjsModelZip(ctx.model, record, source, { float16: format === 'tfjs16' })
        : format === 'onnx'
          ? await onnxModelFile(ctx.model, record, source)
          : await encodeModelFile(record);
    return { result: { file, fileName, source } };
  },
  async trainBundle({ config, stages }, ctx) {
    const session = trainingSession(ctx);
    if (!session.learner) await session.prepare(config);
    const learner = session.require();
    const summary = session.summary()!;
    const source =
      learner.history.length === 0
        ? 'ImageNet weights with a new head'
        : `the current model (${learner.stage}, ${learner.history.length} epochs)`;
    const db = await openStudioDb();
    const images = await datasetImages(db);
    const file = await trainBundleZip({
      graph: ctx.model,
      record: await checkpointRecord(learner, summary.savedAs ?? 'start'),
      // The Train tab's settings as they are now (size, batch…), on this model's split.
      config: { ...config, seed: learner.config.seed },
      stages,
      images,
      splitSeed: await getMeta<number>(db, 'split-seed'),
      source,
    });
    const fileName = `train-elsewhere-${learner.data.classes.length}-classes-${config.size}px.zip`;
    return {
      result: { file, fileName, source, images: learner.data.train.length + learner.data.valid.length },
    };
  },
  async importModel({ file, name }, ctx) {
    const record = await decodeModelFile(file, await freeCheckpointName(name));
    await (await openStudioDb()).put(STORES.checkpoints, record);
    announce(STORES.checkpoints);
    return { result: await trainingSession(ctx).load(record.name, 'import') };
  },
  async simdPeak({ iterations = 200_000_000 }) {
    return { result: simdPeak(iterations) };
  },
  async simulateDeviceLoss() {
    return { result: loseDevice() };
  },
};

let session: TrainingSession | null = null;
function trainingSession(ctx: Loaded): TrainingSession {
  session ??= new TrainingSession(
    ctx.model,
    (progress) => emit({ type: 'train', progress }),
    (row) => emit({ type: 'epoch', row }),
    (summary) => emit({ type: 'learner', summary }),
  );
  return session;
}

async function handle(command: Command): Promise<void> {
  if (command.type === 'init') {
    if (loaded) return;
    loaded = init(command.options);
    loaded.catch((error) => emit({ type: 'model', state: { kind: 'error', message: humanMessage(error) } }));
    return;
  }
  const { id, name, args } = command;
  try {
    if (!loaded) throw new Error('The worker has not been initialised.');
    if (engineFailure) throw new EngineFailure(engineFailure);
    const traits = traitsOf(name);
    // Data requests do not need the model: they run while it is still loading.
    const { result, transfer } = traits.model
      ? await (handlers[name as ModelName] as ModelHandler<ModelName>)(args as never, await loaded)
      : await (modelFree[name as ModelFreeName] as ModelFreeHandler<ModelFreeName>)(args as never);
    emit({ type: 'reply', id, result }, transfer);
  } catch (error) {
    emit({ type: 'failed', id, code: failureCodeOf(error), message: humanMessage(error) });
    if (isEngineFailure(error, tf.getBackend())) engineFailed(humanMessage(error));
  } finally {
    // Between jobs the worker holds only the model and the learner: the tensor counts tests compare.
    if (traitsOf(name).backward) releaseKernelCaches();
  }
}

/** Set once the engine is unusable (see EngineFailure): every later request fails with it. */
let engineFailure: string | null = null;
function engineFailed(message: string): void {
  if (engineFailure) return;
  engineFailure = message;
  emit({ type: 'fatal', message });
}

scope.addEventListener('message', (event: MessageEvent<unknown>) => {
  if (isCommand(event.data)) void handle(event.data);
});
scope.addEventListener('unhandledrejection', (event) => {
  emit({ type: 'fatal', message: humanMessage(event.reason) });
});
