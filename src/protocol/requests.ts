// Every request the UI makes of the worker: arguments, result and traits, declared once; typed failures.
import type {
  BenchArgs,
  BenchResult,
  KernelReport,
  KernelReportArgs,
  MemoryInfo,
  Prediction,
} from './device';
import type {
  DatasetImportResult,
  IngestProgress,
  IngestSettings,
  LocalImage,
  ModelExportFormat,
} from './ingest';
import type {
  CheckpointInfo,
  DatasetInfo,
  EpochRow,
  GradCamMap,
  Interpretation,
  LrFindResult,
  RecipeStages,
  TrainConfig,
} from './train';

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
    /**
     * engineThreads: threads our SIMD convolution engine runs on (0: it was never created);
     * filterGradientThreads: the threads the filter gradient was split over (0: not on the engine).
     */
    result: {
      dFilter: Float32Array;
      dInput: Float32Array;
      engineThreads: number;
      filterGradientThreads: number;
    };
  };
  /** Builds the learner (split, head) over the stored dataset. */
  trainPrepare: { args: { config: TrainConfig }; result: DatasetInfo };
  /** New settings for the prepared learner, keeping its trained weights (not a new split seed). */
  trainReconfigure: { args: { config: TrainConfig }; result: DatasetInfo };
  /**
   * fast.ai's fit_one_cycle. `frozenMode`: this run's frozen mode when it is not the config's (the
   * fast mode's frozen stage ends with epochs through the body: see RecipePreset.bodyEpochs).
   */
  fit: {
    args: { epochs: number; maxLr: string; frozenMode?: TrainConfig['frozenMode'] };
    result: EpochRow[];
  };
  /** fast.ai's lr_find; `iterations`: its num_it (LR_FIND.iterations when left out; LR_FIND_STEPS bounds it). */
  lrFind: { args: { iterations?: number }; result: LrFindResult };
  /** The user's freeze() / unfreeze() (a new optimizer, as fast.ai's freeze_to). */
  setFrozen: { args: { frozen: boolean }; result: boolean };
  /**
   * The head from scratch (the seed's initial weights, a new optimizer, an empty history) on the
   * body as it is, its cached features kept: another head recipe costs no feature pass.
   */
  restartHead: { args: Record<string, never>; result: boolean };
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
  /** Our WebGPU filter-gradient kernel on every ResNet50 shape: parity with cpu and/or timings. */
  gpuKernels: { args: KernelReportArgs; result: KernelReport };
  /** GFLOP/s of a register-resident SIMD multiply-add loop on all our engine's threads (null: no engine). */
  simdPeak: {
    args: { iterations?: number };
    /** heapThreads: the threads our BatchNorm and AdamW kernels on tfjs's heap run on (0: not set up). */
    result: { gflops: number; threads: number; fused: boolean; heapThreads: number } | null;
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
  /** It only reads the model, so it may run while a job runs (others that need it wait: JobGate). */
  duringJob?: boolean;
}

export const REQUESTS = {
  classifyImage: { model: true, duringJob: true },
  classifyPixels: { model: true, duringJob: true },
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
  restartHead: { model: true },
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
  classify: { model: true, duringJob: true },
  retrain: { model: true, job: 'train', backward: true, label: 'Retrain' },
  exportModel: { model: true, job: 'step', label: 'Exporting' },
  trainBundle: { model: true, job: 'step', label: 'Writing the PyTorch bundle' },
  importModel: { model: true, job: 'step', label: 'Importing a classifier' },
  benchmark: { model: true, backward: true },
  simdPeak: { model: true },
  gpuKernels: { model: true, backward: true },
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
  /** Another job runs on the model (see JobGate). */
  'busy',
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
