// The one message protocol between the UI thread and the ML worker.
// Commands go in (UI → worker), events come out (worker → UI). Requests are commands that expect
// exactly one reply (or a failure with a human-readable message), matched by id.
import type { RefusedLine } from './data/url-list.ts';

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKENDS as readonly string[]).includes(value);
}

export interface DeviceInfo {
  backend: BackendName;
  /** Human name of the adapter/renderer, e.g. "NVIDIA GeForce …" or "SwiftShader". */
  adapter: string;
  /** wasm threads in use (1 when not cross-origin isolated). */
  threads: number;
  /** Why the preferred backend was not used, when the worker fell back. */
  fallbackReason?: string;
  /** How webgpu and wasm compared in a timed training step on this device, when they were raced. */
  race?: BackendRace;
}

export interface BackendRace {
  winner: 'webgpu' | 'wasm';
  webgpuMs: number;
  wasmMs: number;
  measuredAt: number;
  /** True when this is a stored result from an earlier visit (measured once per adapter). */
  cached: boolean;
}

export type ModelState =
  | { kind: 'idle' }
  | { kind: 'loading'; fraction: number }
  | { kind: 'warming' }
  | { kind: 'ready' }
  | { kind: 'error'; message: string };

export interface Prediction {
  index: number;
  label: string;
  probability: number;
}

export interface MemoryInfo {
  numTensors: number;
  numBytes: number;
}

export interface BenchArgs {
  mode: 'inference' | 'train';
  size: number;
  batch: number;
  /** Training accumulates gradients over passes of this many images (default: the app's own). */
  microBatch?: number;
  steps: number;
  warmup: number;
  /** Stop after one measured step slower than this. */
  budgetSeconds?: number;
  /** Also return the kernels that took the most time in one extra step. */
  profile?: boolean;
}

export interface KernelTime {
  name: string;
  ms: number;
  calls: number;
}

export interface BenchResult {
  stepSeconds: number[];
  imagesPerSecond: number;
  /** Floating-point operations per image of the measured step (convolutions and dense, ×2 per MAC). */
  flopsPerImage: number;
  microBatch: number;
  tensorsLeaked: number;
  topKernels?: KernelTime[];
}

export interface IngestSettings {
  maxPerClass: number;
  parallel: number;
  timeoutMs: number;
  retries: number;
  /** Longest side of stored images, like verify_images(max_size=500). */
  maxSize: number;
  /** Larger downloads are refused ("too large"), checked from Content-Length and while streaming. */
  maxBytes: number;
  /** Fetch images from hosts that refuse CORS through the app server's relay, when it has one. */
  relay: boolean;
  corsProxy: string;
}

export const DEFAULT_INGEST_SETTINGS: IngestSettings = {
  maxPerClass: 300,
  parallel: 8,
  timeoutMs: 10_000,
  retries: 2,
  maxSize: 500,
  maxBytes: 20_000_000,
  relay: true,
  corsProxy: '',
};

/** The app server's same-origin image relay (see src/server/relay.ts); absent on static hosts. */
export const RELAY_PATH = '/__relay';
/** Every answer of the relay carries this header: a static host's 404 page does not. */
export const RELAY_HEADER = 'X-Image-Relay';

/** The relay's JSON body when it could not return an image. */
export interface RelayFailure {
  reason: 'invalid-url' | 'cors' | 'http' | 'timeout' | 'network' | 'not-image' | 'unsupported' | 'too-large';
  detail: string;
  /** Worth another try (a 5xx or 429 upstream, a busy relay). */
  retry?: boolean;
}

export interface ClassProgress {
  className: string;
  /** URLs this run will try (after skipping those already stored). */
  total: number;
  done: number;
  stored: number;
  failed: number;
  /** Of the stored: fetched through the relay. */
  viaRelay: number;
}

export interface IngestProgress {
  running: boolean;
  startedAt: number;
  classes: ClassProgress[];
  /** Why the run stopped early (quota, cancel), if it did. */
  message?: string;
  /** The browser storage is full: the run stopped; it resumes once space is freed. */
  storageFull?: boolean;
  /** This progress comes from the download running in another tab of the studio. */
  elsewhere?: boolean;
}

/** What parsing a dropped URL list left as a pending download (its URLs stay in IndexedDB). */
export interface PendingList {
  jobId: number;
  className: string;
  fileName: string;
  urlCount: number;
  skipped: { blank: number; duplicate: number; invalid: number };
  refused: RefusedLine[];
}

/** UI → list worker: parse this file into a pending job (merged with a pending job of its class). */
export interface ParseListCommand {
  id: number;
  file: Blob;
  fileName: string;
}

/** List worker → UI. */
export type ParseListEvent =
  | { id: number; type: 'progress'; bytes: number; total: number }
  | { id: number; type: 'done'; list: PendingList }
  | { id: number; type: 'failed'; code: 'storage-full' | 'storage' | 'unreadable'; message: string };

export interface LocalImage {
  className: string;
  path: string;
  file: Blob;
}

/**
 * What a classifier can be exported as: our own file (re-importable, with optimizer state and
 * history), a standard TF.js LayersModel zip (model.json + shards + README) for any TF.js app, or
 * an ONNX model (onnxruntime in Python, C++, on phones).
 */
export const MODEL_EXPORT_FORMATS = {
  artmodel: { label: 'Studio file (.artmodel, re-importable)', extension: '.artmodel' },
  tfjs: { label: 'TF.js LayersModel (.zip)', extension: '-tfjs.zip' },
  tfjs16: { label: 'TF.js LayersModel, float16 weights (.zip, half size)', extension: '-tfjs-f16.zip' },
  onnx: { label: 'ONNX (.onnx, NHWC input)', extension: '.onnx' },
} as const;
export type ModelExportFormat = keyof typeof MODEL_EXPORT_FORMATS;

export interface DatasetImportResult {
  stored: number;
  /** Already in the store (same class and image). */
  duplicates: number;
  /** One line per image that could not be used, naming the file and the reason. */
  rejected: string[];
  /** The split seed now in force (the zip's, when it was imported into an empty store). */
  splitSeed?: number;
  /** Why the import stopped early (storage full), when it did. */
  message?: string;
  /** A project's checkpoints, as stored here (renamed when the name was taken). */
  checkpoints: string[];
  /** A project's download settings (the Data tab applies them). */
  ingestSettings?: unknown;
}

export interface TrainConfig {
  size: number;
  batchSize: number;
  seed: number;
  /** fast: the frozen body runs once per image (× variants) and the head trains on cached features. */
  frozenMode: 'fast' | 'faithful';
  variants: number;
  /** Images per forward/backward pass (gradients summed to the batch); 0 or absent: automatic. */
  imagesPerPass?: number;
  /**
   * BatchNorm when a batch runs through the body in passes (the unfrozen stage; the faithful frozen
   * stage too): 'whole-batch' computes what the whole batch in one pass computes (fast.ai, PyTorch's
   * batch of 16) — a statistics pass, the head on the whole batch, then the body's passes with the
   * whole batch's statistics (see whole-batch.ts); 'batch' normalises each pass with its own
   * statistics (body and head); 'running' keeps the body's running statistics once unfrozen (γ and
   * β still learn). Absent: 'whole-batch' (measured in bench:train, see the README).
   */
  unfrozenBatchNorm?: 'batch' | 'whole-batch' | 'running';
  /**
   * The body's BatchNorm running statistics a new model starts from in the fast frozen mode: 'data'
   * re-estimates them on up to BN_ADAPT_IMAGES training images before the features are cached;
   * 'imagenet' keeps the pretrained ones. Absent: 'data'.
   */
  bodyStatistics?: 'data' | 'imagenet';
  /** Label smoothing ε of the training loss (0: plain cross-entropy; fast.ai uses 0.1). Absent: 0. */
  labelSmoothing?: number;
}

/** The training loss's label smoothing when the config does not say. */
export function labelSmoothing(config: TrainConfig): number {
  return config.labelSmoothing ?? 0;
}

/** The recipe's two fits as the Train tab sets them (the PyTorch bundle carries them). */
export interface RecipeStages {
  frozenEpochs: number;
  frozenLr: string;
  unfrozenEpochs: number;
  unfrozenLr: string;
}

/** BatchNorm over passes when the config does not say (see TrainConfig.unfrozenBatchNorm). */
export function passBatchNorm(config: TrainConfig): NonNullable<TrainConfig['unfrozenBatchNorm']> {
  return config.unfrozenBatchNorm ?? 'whole-batch';
}

/** Body BatchNorm statistics a new fast-mode model starts from, when the config does not say. */
export function bodyStatistics(config: TrainConfig): NonNullable<TrainConfig['bodyStatistics']> {
  return config.bodyStatistics ?? 'data';
}

/** Training images the fast frozen mode's BatchNorm statistics are re-estimated on (a new model). */
export const BN_ADAPT_IMAGES = 512;

export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  size: 224,
  batchSize: 16,
  seed: 42,
  frozenMode: 'fast',
  variants: 4,
};

export interface DatasetInfo {
  classes: string[];
  train: number;
  valid: number;
  /** Images per forward/backward pass on this device (the batch is computed in such passes). */
  imagesPerPass: number;
}

/** One call of fit_one_cycle (or a retrain): the epoch table groups its rows, the runs table lists it. */
export interface RunInfo {
  /** Counts up within one model's history. */
  id: number;
  maxLr: string;
  size: number;
  batchSize: number;
  frozenMode: TrainConfig['frozenMode'];
}

export interface EpochRow {
  /** Absent in checkpoints saved before runs were recorded. */
  run?: RunInfo;
  stage: 'frozen' | 'unfrozen';
  epoch: number;
  trainLoss: number;
  validLoss: number;
  errorRate: number;
  accuracy: number;
  seconds: number;
  /** Worker tensor count and bytes after the epoch (flat from epoch to epoch: no leaks). */
  tensors: number;
  bytes: number;
}

export const TRAIN_PHASES = [
  'prepare',
  'statistics',
  'features',
  'fit',
  'lr_find',
  'validate',
  'save',
] as const;
export type TrainPhase = (typeof TRAIN_PHASES)[number];

export interface TrainProgress {
  phase: TrainPhase;
  done: number;
  total: number;
  /** Images processed so far in this phase (× augmented variants for features): timing estimates. */
  images?: number;
  lr?: number;
  loss?: number;
  startedAt: number;
  /** Something the user should know about this job (e.g. memory limits lowered it). */
  notice?: string;
  /** The training pass shape, so a stalled pass can be remembered as too large for this device. */
  pass?: { size: number; imagesPerPass: number };
}

export interface LrFindResult {
  lrs: number[];
  losses: number[];
  suggestion: { valley: number; steepest: number; minOverTen: number } | null;
  /** The stage the sweep ran in (its suggestion is for the next fit of that stage). */
  stage: 'frozen' | 'unfrozen';
  /** The rate the user picked from the plot, if any (kept with the checkpoint). */
  picked?: number;
}

/** The model the worker holds now: what Train, Interpret, Predict and Export act on. */
export interface ModelSummary {
  /** Where it came from: a new model over the dataset, a loaded checkpoint, an imported file. */
  origin: { kind: 'new' } | { kind: 'checkpoint' | 'import'; name: string };
  stage: 'frozen' | 'unfrozen';
  epochs: number;
  errorRate: number | null;
  /** The named checkpoint that holds exactly this model, or null: it has unsaved changes. */
  savedAs: string | null;
  /** The last epoch is in the autosave checkpoint (a reload or crash keeps it). */
  autosaved: boolean;
  /** Checkpoint names this model was saved under (or loaded from), oldest first. */
  saves: string[];
  classes: string[];
  train: number;
  valid: number;
  config: TrainConfig;
  /** Images per forward/backward pass on this device (the batch is computed in such passes). */
  imagesPerPass: number;
  history: EpochRow[];
  lrFind: LrFindResult | null;
}

export interface Interpretation {
  classes: string[];
  ids: number[];
  actual: number[];
  predicted: number[];
  losses: number[];
  /** Probability of the actual class per image. */
  actualProbability: number[];
  confusion: number[][];
}

/** The checkpoint written after every epoch (a reload or crash resumes from it). */
export const AUTOSAVE_CHECKPOINT = 'autosave';

export interface CheckpointInfo {
  name: string;
  stage: 'frozen' | 'unfrozen';
  savedAt: number;
  errorRate: number | null;
  classes: string[];
  history: EpochRow[];
  /** The LR finder's sweep and pick, when it ran before the save. */
  lrFind?: LrFindResult | null;
  /** After a load: the settings and dataset the restored learner trains with. */
  config?: TrainConfig;
  dataset?: DatasetInfo;
}

/** A Grad-CAM heat map (row-major, values in [0, 1]) over one stored image. */
export interface GradCamMap {
  id: number;
  width: number;
  height: number;
  heat: number[];
}

/** Request name → arguments and result. Add a request here and both sides are type-checked. */
export interface RequestMap {
  /** Classify an encoded image (any format the browser decodes) with the ImageNet model. */
  classifyImage: { args: { image: Blob; topK: number }; result: Prediction[] };
  /** Raw RGB pixels 0–255, NHWC → ImageNet probabilities, for parity checks. */
  classifyPixels: {
    args: { pixels: Float32Array; shape: [number, number, number, 3] };
    result: { probabilities: Float32Array; shape: [number, number] };
  };
  memory: { args: Record<string, never>; result: MemoryInfo };
  /** Downloads the given stored jobs' URLs (resuming: URLs already stored are skipped). */
  ingest: { args: { jobIds: number[]; settings: IngestSettings }; result: IngestProgress };
  ingestCancel: { args: Record<string, never>; result: boolean };
  /** Verifies and stores dropped image files. */
  importImages: {
    args: { images: LocalImage[]; maxSize: number };
    /** notStored: files not verified because the run stopped (storage full), with its message. */
    result: { stored: number; failed: number; notStored: number; message?: string };
  };
  /** Imports a dataset or project zip exported by the studio (images, classes, split, source URLs and
   * hashes; a project's checkpoints too). */
  importDataset: { args: { file: Blob }; result: DatasetImportResult };
  /** Conv2D gradient kernels run on the active backend (checks our wasm kernels in the browser). */
  convGradients: {
    args: {
      x: Float32Array;
      xShape: [number, number, number, number];
      dy: Float32Array;
      dyShape: [number, number, number, number];
      filter: Float32Array;
      filterShape: [number, number, number, number];
      strides: [number, number];
      pad: 'valid' | 'same';
    };
    /** engineThreads: threads our SIMD convolution engine runs on (0: it was never created). */
    result: { dFilter: Float32Array; dInput: Float32Array; engineThreads: number };
  };
  /** Builds the learner (split, head) over the stored dataset. */
  trainPrepare: { args: { config: TrainConfig }; result: DatasetInfo };
  /** New settings for the prepared learner, keeping its trained weights (not a new split seed). */
  trainReconfigure: { args: { config: TrainConfig }; result: DatasetInfo };
  fit: { args: { epochs: number; maxLr: string }; result: EpochRow[] };
  lrFind: { args: Record<string, never>; result: LrFindResult };
  /** The user's freeze() / unfreeze() (a new optimizer, as fast.ai's freeze_to). */
  setFrozen: { args: { frozen: boolean }; result: boolean };
  /** The rate the user picked on the LR finder's plot (kept with the model and its checkpoints). */
  pickLr: { args: { lr: number }; result: boolean };
  trainCancel: { args: Record<string, never>; result: boolean };
  interpret: { args: Record<string, never>; result: Interpretation };
  /** Validation error with test-time augmentation (centre, mirror, four corners averaged). */
  ttaErrorRate: { args: Record<string, never>; result: { errorRate: number; valid: number } };
  gradCam: { args: { ids: number[] }; result: GradCamMap[] };
  saveCheckpoint: { args: { name: string }; result: CheckpointInfo };
  loadCheckpoint: { args: { name: string }; result: CheckpointInfo };
  listCheckpoints: { args: Record<string, never>; result: CheckpointInfo[] };
  deleteCheckpoint: { args: { name: string }; result: boolean };
  /** Really loses the GPU device (WebGPU destroy / WebGL lose_context): exercises recovery. */
  simulateDeviceLoss: { args: Record<string, never>; result: boolean };
  /** Class probabilities of the trained classifier for an image (tta: centre, flip, 4 corners). */
  classify: { args: { image: Blob; tta?: boolean }; result: { classes: string[]; probabilities: number[] } };
  /** fast.ai's ImageCleaner loop: rebuild the dataset (after cleaning), load a checkpoint, fit again. */
  retrain: { args: { checkpoint: string; epochs: number; maxLr: string }; result: EpochRow[] };
  /** A classifier as one downloadable file: the current model, or a named checkpoint. */
  exportModel: {
    args: { checkpoint?: string; format?: ModelExportFormat };
    result: { file: Blob; fileName: string; source: string };
  };
  /**
   * "Train elsewhere": the dataset, the current model (a new one from ImageNet weights when there is
   * none), the recipe and train.py in one zip for PyTorch (torchrun) on other machines.
   */
  trainBundle: {
    args: { config: TrainConfig; stages: RecipeStages };
    result: { file: Blob; fileName: string; source: string; images: number };
  };
  /** Stores an exported classifier as a checkpoint and loads it. */
  importModel: { args: { file: Blob; name: string }; result: CheckpointInfo };
  /** Throughput of the active backend on generated inputs (bench:speed). */
  benchmark: { args: BenchArgs; result: BenchResult };
  /** GFLOP/s of a register-resident SIMD multiply-add loop on all our engine's threads (null: no engine). */
  simdPeak: {
    args: { iterations?: number };
    result: { gflops: number; threads: number; fused: boolean } | null;
  };
}
export type RequestName = keyof RequestMap;

/**
 * What each request is, declared once and read by both the bridge and the worker:
 * `model`: it needs the loaded model (others run while it loads); `job`: a long job with progress
 * (shown in the header; 'train' jobs are also watched for stalls); `backward`: it runs backward
 * passes, whose kernel caches are released afterwards.
 */
export interface RequestTraits {
  model: boolean;
  job?: 'train' | 'step';
  backward?: boolean;
  /** Label of the job in the header. */
  label?: string;
}

export const REQUESTS = {
  classifyImage: { model: true },
  classifyPixels: { model: true },
  memory: { model: false },
  ingest: { model: false },
  ingestCancel: { model: false },
  importImages: { model: false },
  importDataset: { model: false },
  convGradients: { model: true },
  trainPrepare: { model: true, job: 'step', label: 'Preparing the model' },
  trainReconfigure: { model: true },
  fit: { model: true, job: 'train', backward: true, label: 'Fit' },
  lrFind: { model: true, job: 'train', backward: true, label: 'LR finder' },
  setFrozen: { model: true },
  pickLr: { model: true },
  trainCancel: { model: false },
  interpret: { model: true, job: 'step', label: 'Analysing the validation set' },
  ttaErrorRate: { model: true, job: 'train', label: 'Validating with TTA' },
  gradCam: { model: true, backward: true },
  saveCheckpoint: { model: true, job: 'step', label: 'Saving a checkpoint' },
  loadCheckpoint: { model: true, job: 'step', label: 'Loading a checkpoint' },
  listCheckpoints: { model: false },
  deleteCheckpoint: { model: false },
  simulateDeviceLoss: { model: true },
  classify: { model: true },
  retrain: { model: true, job: 'train', backward: true, label: 'Retrain' },
  exportModel: { model: true, job: 'step', label: 'Exporting' },
  trainBundle: { model: true, job: 'step', label: 'Writing the PyTorch bundle' },
  importModel: { model: true, job: 'step', label: 'Importing a classifier' },
  benchmark: { model: true, backward: true },
  simdPeak: { model: true },
} as const satisfies { readonly [K in RequestName]: RequestTraits };

/** Requests that run without the model (data, checkpoints as records, cancelling). */
export type ModelFreeName = {
  [K in RequestName]: (typeof REQUESTS)[K]['model'] extends false ? K : never;
}[RequestName];
export type ModelName = Exclude<RequestName, ModelFreeName>;

export function traitsOf(name: RequestName): RequestTraits {
  return REQUESTS[name];
}

/** Why a request failed, for code to act on (the message is for people). */
export const FAILURE_CODES = [
  'no-model',
  'cancelled',
  'engine',
  'out-of-memory',
  'storage-full',
  'invalid-input',
  'not-found',
  'failed',
] as const;
export type FailureCode = (typeof FAILURE_CODES)[number];

/** A failed request, as the bridge rejects it. */
export class StudioError extends Error {
  constructor(
    readonly code: FailureCode,
    message: string,
  ) {
    super(message);
    this.name = 'StudioError';
  }
}

export function failureCode(error: unknown): FailureCode {
  return error instanceof StudioError ? error.code : 'failed';
}
export type RequestArgs<K extends RequestName> = RequestMap[K]['args'];
export type RequestResult<K extends RequestName> = RequestMap[K]['result'];

export interface InitOptions {
  /** Forces a backend; otherwise the faster of WebGPU and wasm (timed), then WebGL, then CPU. */
  backend?: BackendName;
  /** Also race a software WebGPU adapter against wasm (tests; normally only real GPUs race). */
  raceSoftwareGpu?: boolean;
  modelUrl: string;
  labelsUrl: string;
}

export type Command =
  | { type: 'init'; options: InitOptions }
  | { [K in RequestName]: { type: 'request'; id: number; name: K; args: RequestArgs<K> } }[RequestName];

export type WorkerEvent =
  | { type: 'device'; device: DeviceInfo }
  | { type: 'model'; state: ModelState }
  | { type: 'reply'; id: number; result: unknown }
  | { type: 'failed'; id: number; code: FailureCode; message: string }
  | { type: 'fatal'; message: string }
  | { type: 'ingest'; progress: IngestProgress }
  | { type: 'train'; progress: TrainProgress }
  | { type: 'epoch'; row: EpochRow }
  /** The model the worker holds changed (null: none yet). */
  | { type: 'learner'; summary: ModelSummary | null }
  /** The stored dataset changed (imports): views re-read it. */
  | { type: 'dataset' };

const EVENT_TYPES: ReadonlySet<string> = new Set([
  'device',
  'model',
  'reply',
  'failed',
  'fatal',
  'ingest',
  'train',
  'epoch',
  'learner',
  'dataset',
]);

/** Accepts only well-formed worker events (messages from elsewhere are ignored). */
export function isWorkerEvent(value: unknown): value is WorkerEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as { type?: unknown; id?: unknown; message?: unknown };
  if (typeof event.type !== 'string' || !EVENT_TYPES.has(event.type)) return false;
  if (event.type === 'reply' || event.type === 'failed') {
    if (typeof event.id !== 'number') return false;
  }
  if (
    event.type === 'failed' &&
    !(FAILURE_CODES as readonly unknown[]).includes((value as { code?: unknown }).code)
  )
    return false;
  if (event.type === 'failed' || event.type === 'fatal') return typeof event.message === 'string';
  return true;
}

export function isCommand(value: unknown): value is Command {
  if (typeof value !== 'object' || value === null) return false;
  const command = value as { type?: unknown; id?: unknown; name?: unknown; options?: unknown };
  if (command.type === 'init') return typeof command.options === 'object' && command.options !== null;
  return command.type === 'request' && typeof command.id === 'number' && typeof command.name === 'string';
}
