// Training as both sides see it: settings, epochs, progress, the model's summary, interpretation.
import recipes from '../ml/recipes.json' with { type: 'json' };

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
   * re-estimates them on up to BN_ADAPT_IMAGES training images, augmented as training sees them,
   * before the features are cached; 'plain' on the same images centre-cropped as validation sees
   * them (as epochStatistics 'plain' does after each epoch through the body); 'imagenet' keeps the
   * pretrained ones. Absent: 'data'.
   */
  bodyStatistics?: 'data' | 'plain' | 'imagenet';
  /**
   * BatchNorm in the frozen body while the fast frozen mode caches the training images' features:
   * 'running' normalises with the running statistics (inference mode); 'batch' with each batch's
   * own statistics over a shuffled batch of the batch size — what the unfrozen body (and fast.ai's
   * frozen body, BatchNorm in training mode) feeds the head. Validation features always use the
   * running statistics. Absent: featureStatistics().
   */
  featureStatistics?: 'running' | 'batch';
  /**
   * The body's BatchNorm running statistics re-measured after each epoch that trained through the
   * body, before its validation (PyTorch's update_bn, "precise BatchNorm"): the running averages
   * lag the weights that moved under them. 'plain': on up to BN_ADAPT_IMAGES training images centre-
   * cropped as validation sees them; 'augmented': with the training augmentation; 'off': the running
   * averages as training left them (fast.ai). Never changes what training computes (batch
   * statistics), only what validation, checkpoints and predictions use. Absent: 'plain' — measured
   * in bench:train: the running averages follow augmented images, validation sees plain ones (see
   * the README).
   */
  epochStatistics?: 'off' | 'plain' | 'augmented';
  /** Label smoothing ε of the training loss (0: plain cross-entropy; fast.ai uses 0.1). Absent: 0. */
  labelSmoothing?: number;
  /**
   * Mixup's α (fast.ai's MixUpCallback: each image mixed with a partner from its batch, λ ~ Beta(α, α)
   * kept ≥ 0.5, the targets mixed alike; on the cached features in the fast frozen stage, on the
   * pixels otherwise). 0 or absent: off; fast.ai uses 0.4.
   */
  mixup?: number;
}

/** Mixup's α when the config does not say: off. */
export function mixupAlpha(config: TrainConfig): number {
  return config.mixup ?? 0;
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

/** Statistics re-measured after an epoch through the body when the config does not say. */
export function epochStatistics(config: TrainConfig): NonNullable<TrainConfig['epochStatistics']> {
  return config.epochStatistics ?? 'plain';
}

/**
 * Whether an epoch through the body in `stage` ends by re-measuring the body's statistics: never
 * when they are off, nor once unfrozen with 'running' BatchNorm (the running statistics are what trains).
 */
export function settlesStatistics(config: TrainConfig, stage: 'frozen' | 'unfrozen'): boolean {
  if (epochStatistics(config) === 'off') return false;
  return !(stage === 'unfrozen' && passBatchNorm(config) === 'running');
}

/** BatchNorm of the fast frozen mode's cached training features when the config does not say. */
export function featureStatistics(config: TrainConfig): NonNullable<TrainConfig['featureStatistics']> {
  return config.featureStatistics ?? 'running';
}

/**
 * What the fast frozen mode's cached features depend on beyond the weights: two configs with the same
 * key share them (the worker keeps the cache, the Train tab's estimate leaves out the feature pass).
 */
export function featureCacheKey(config: TrainConfig): string {
  const stats = featureStatistics(config);
  return [config.size, config.variants, stats, stats === 'batch' ? config.batchSize : ''].join('/');
}

/** Training images the fast frozen mode's BatchNorm statistics are re-estimated on (a new model). */
export const BN_ADAPT_IMAGES = 512;

/** A new model's settings: fast.ai's lesson-1 recipe as src/ml/recipes.json gives it. */
export const DEFAULT_TRAIN_CONFIG: TrainConfig = {
  size: recipes.fastai.size,
  batchSize: 16,
  seed: 42,
  frozenMode: 'fast',
  variants: recipes.fastai.variants,
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
  /**
   * A fit step's place on the model's epoch axis: the epochs in its history before this step's
   * epoch, plus the fraction of that epoch done (its last step ends at the epoch's row).
   */
  epochAt?: number;
  startedAt: number;
  /** Something the user should know about this job (e.g. memory limits lowered it). */
  notice?: string;
  /**
   * The training pass shape, so a stalled pass can be remembered as too large for this device; absent
   * when no image goes through the body (the fast frozen mode's head on cached features).
   */
  pass?: { size: number; imagesPerPass: number };
  /** Validation: the images' body features came from the fast frozen mode's cache. */
  cached?: boolean;
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
  /**
   * Which model this is: it changes when the worker holds another one (new, loaded, imported, or a
   * restarted head), not when this one trains, saves or changes its settings.
   */
  id: number;
  /** Where it came from: a new model over the dataset, a loaded checkpoint, an imported file. */
  origin: { kind: 'new' } | { kind: 'checkpoint' | 'import'; name: string };
  stage: 'frozen' | 'unfrozen';
  epochs: number;
  errorRate: number | null;
  /** The named checkpoint that holds exactly this model, or null: it has unsaved changes. */
  savedAs: string | null;
  /** The last epoch is in the autosave checkpoint (a reload or crash keeps it). */
  autosaved: boolean;
  /**
   * Why the browser refused an epoch's automatic save since the model was last saved (storage
   * full, with its figures), or null: every tab's model panel says the model lives only in memory.
   */
  autosaveRefused: string | null;
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
  /** The fast frozen stage's body features are cached: the next frozen fit needs no feature pass. */
  featuresCached?: boolean;
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
