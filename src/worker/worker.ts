// The ML worker: owns TensorFlow.js, the model and (later) training. Talks only via src/protocol/.
import * as tf from '@tensorflow/tfjs';
import {
  isCommand,
  StudioError,
  traitsOf,
  type Command,
  type RequestArgs,
  type ModelFreeName,
  type ModelName,
  type RequestName,
  type RequestResult,
  type WorkerEvent,
} from '../protocol';
import { loseDevice } from './backend';
import { cancelIngest, requestIngest } from './ingest/ingest';
import { importImages } from './ingest/import-images';
import { importDataset } from './ingest/import-dataset';
import { modelExport, trainBundle } from './export/requests';
import { runBenchmark } from './bench';
import {
  convolutionEngineThreads,
  convolutionThreadsSinceAsked,
  releaseKernelCaches,
  simdPeak,
} from './kernels/register';
import { filterGradientReport } from './kernels/webgpu/kernel-report';
import { openStudioDb } from '../data/db';
import { decodeModelFile } from '../formats/model-file';
import { STORES } from '../data/schema';
import { deleteCheckpoint, freeCheckpointName, listCheckpoints } from './train/checkpoints';
import { TrainingSession } from './train/session';
import { EngineFailure, failureCodeOf, humanMessage, isEngineFailure, rawFailure } from './errors';
import { announce } from '../data/changes';
import { classifyBlob, imagenetProbabilities } from './imagenet';
import { JobGate } from './job-gate';
import { loadModel, type Loaded } from './load-model';
import { parseLrFindSteps } from '../ml/lr-find';

const scope = self as unknown as DedicatedWorkerGlobalScope;

/** The engine and the model, once init's loading is done. */
let loaded: Promise<Loaded> | null = null;

function emit(event: WorkerEvent, transfer: Transferable[] = []): void {
  scope.postMessage(event, transfer);
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
    const inputs = {
      x: tf.tensor4d(a.x, a.xShape),
      dy: tf.tensor4d(a.dy, a.dyShape),
      filter: tf.tensor4d(a.filter, a.filterShape),
    };
    const { x, dy, filter } = inputs;
    const read = async (out: tf.Tensor) => {
      try {
        return (await out.data()) as Float32Array;
      } finally {
        out.dispose();
      }
    };
    try {
      // The filter gradient run and read on its own: the threads that took part are its own.
      convolutionThreadsSinceAsked();
      const dFilter = await read(
        tf
          .engine()
          .runKernel(
            'Conv2DBackpropFilter',
            { x, dy },
            { ...attrs, filterShape: a.filterShape },
          ) as tf.Tensor,
      );
      const filterGradientThreads = convolutionThreadsSinceAsked();
      const dInput = await read(
        tf
          .engine()
          .runKernel('Conv2DBackpropInput', { dy, filter }, { ...attrs, inputShape: a.xShape }) as tf.Tensor,
      );
      const result = { dFilter, dInput, engineThreads: convolutionEngineThreads(), filterGradientThreads };
      return { result, transfer: [dFilter.buffer, dInput.buffer] };
    } finally {
      tf.dispose(Object.values(inputs));
    }
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
    return { result: await modelExport(ctx.model, checkpoint, format, () => trainingSession(ctx).require()) };
  },
  async trainBundle({ config, stages }, ctx) {
    return { result: await trainBundle(ctx.model, trainingSession(ctx), config, stages) };
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
    loaded = loadModel(command.options, emit, engineFailed);
    loaded.catch((error) => emit({ type: 'model', state: { kind: 'error', message: humanMessage(error) } }));
    return;
  }
  const { id, name, args } = command;
  try {
    const model = loaded;
    if (!model) throw new Error('The worker has not been initialised.');
    if (engineFailure) throw new EngineFailure(engineFailure);
    const traits = traitsOf(name);
    // Data requests do not need the model: they run while it is still loading.
    const { result, transfer } = await jobs.run(name, async () => {
      try {
        return traits.model
          ? await (handlers[name as ModelName] as ModelHandler<ModelName>)(args as never, await model)
          : await (modelFree[name as ModelFreeName] as ModelFreeHandler<ModelFreeName>)(args as never);
      } finally {
        // Between jobs the worker holds only the model and the learner: the tensor counts tests
        // compare. (A refused request releases nothing: the job running may need them.)
        if (traits.backward) releaseKernelCaches();
      }
    });
    emit({ type: 'reply', id, result }, transfer);
  } catch (error) {
    const code = failureCodeOf(error);
    // An unexpected failure keeps its raw form for the developer tools (the person reads humanMessage).
    if (code !== 'cancelled' && !(error instanceof StudioError))
      console.error(`${name} failed:`, rawFailure(error));
    const message = humanMessage(error);
    emit({ type: 'failed', id, code, message });
    if (isEngineFailure(error, tf.getBackend())) engineFailed(message);
  }
}

const jobs = new JobGate();

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
