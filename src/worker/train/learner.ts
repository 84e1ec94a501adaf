// fast.ai's cnn_learner recipe in the worker: ResNet50 body + fast.ai head, freeze/unfreeze,
// fit_one_cycle with discriminative rates, lr_find, interpretation and checkpoints.
import * as tf from '@tensorflow/tfjs';
import { LR_FIND } from '../../ml/lr-find';
import type { Targets } from '../../ml/mixup';
import type { EpochBatch } from '../../ml/epochs';
import { RunRandom } from '../../ml/random';
import {
  featureCacheKey,
  type EpochRow,
  type GradCamMap,
  type Interpretation,
  type LrFindResult,
  type TrainConfig,
  type TrainProgress,
} from '../../protocol';
import type { ResNetGraph } from '../ml/resnet-graph';
import { decodeCropped } from '../decode-image';
import type { Dataset, DecodeImage, Example, RawBatch } from './data';
import { BatchInputs } from './batch-inputs';
import { Classifier } from './classifier';
import type { Evaluation } from './evaluation';
import { LearnerEvaluation } from './learner-evaluation';
import { FeatureCache } from './feature-cache';
import { optimiseWithinMemory, type StepModel } from './batch-step';
import { FastaiHead } from './head';
import type { LearnerState } from './learner-state';
import { TrainableModel } from './trainable';
import { Cancelled } from '../../ml/cancel';
import { findRate, fitEpochs, requireBatches, type FitHost, type FitReporting } from './fit-run';

export type { LearnerState } from './learner-state';

export interface LearnerOptions {
  /** Images per forward/backward pass (the device's memory limit); default: the whole batch. */
  imagesPerPass?: number;
  /** The image decoder (default: the browser's). */
  decode?: DecodeImage;
}

export class Learner implements FitHost {
  private rows: EpochRow[] = [];
  /** Body, head, stage and optimizer. */
  private readonly model: TrainableModel;
  /** Images per forward/backward pass: the batch is computed in passes that fit the device. */
  private passImages: number;
  /** Set when the job had to adapt (memory); reported with the next progress event. */
  private notice: string | undefined;
  private cancelRequested = false;
  /** The running fit's frozen mode when it is not the config's (see fitOneCycle). */
  private runMode: TrainConfig['frozenMode'] | null = null;
  /** Pooled body features for the fast frozen mode; dropped whenever the body changes. */
  private readonly cache: FeatureCache;
  /** The inference side (features, classify with TTA, Grad-CAM). */
  private readonly classifier: Classifier;
  private readonly random: RunRandom;
  private readonly decode: DecodeImage;
  /** Each step's input: batches, features or pixels, mixup. */
  private readonly inputs: BatchInputs;
  /** Validation, Interpret, TTA and the statistics an epoch through the body ends with. */
  private readonly evaluation: LearnerEvaluation;

  constructor(
    readonly body: ResNetGraph,
    readonly data: Dataset,
    private settings: TrainConfig,
    private readonly report: (progress: TrainProgress) => void,
    options: LearnerOptions = {},
  ) {
    const head = new FastaiHead(2 * body.bodyChannels(), data.classes.length, settings.seed);
    this.model = new TrainableModel(body, head);
    this.passImages = options.imagesPerPass ?? settings.batchSize;
    this.decode = options.decode ?? decodeCropped;
    this.classifier = new Classifier(body, head, () => this.settings, this.decode);
    this.random = new RunRandom(settings.seed);
    // What the learner's parts read of it (each takes the members it needs).
    const shared = {
      body,
      head,
      data,
      random: this.random,
      classifier: this.classifier,
      decode: this.decode,
      report,
      config: () => this.config,
      stage: () => this.stage,
      fastMode: () => this.fastMode,
      isNewModel: () => this.rows.length === 0,
      stopIfCancelled: (toDispose?: tf.Tensor[]) => this.stopIfCancelled(toDispose),
    };
    this.cache = new FeatureCache(shared);
    this.inputs = new BatchInputs({ ...shared, cache: this.cache });
    this.evaluation = new LearnerEvaluation({ ...shared, cache: this.cache });
  }

  /**
   * The head from scratch, as a new model would start it (the seed's initial weights, a new
   * optimizer, the random streams from the start, an empty history, the frozen stage), on the body
   * as it is — and its cached features, so trying the head's settings costs no feature pass.
   */
  restartHead(): void {
    this.model.restartHead();
    this.rows = [];
    this.random.restart();
  }

  get config(): TrainConfig {
    return this.settings;
  }

  get imagesPerPass(): number {
    return this.passImages;
  }

  /** One row per epoch trained, across stages and runs. */
  get history(): readonly EpochRow[] {
    return this.rows;
  }

  /** The learner's state as values: weights, optimizer moments by variable name, stage, history. */
  exportState(): Promise<LearnerState> {
    return this.model.exportState(this.rows);
  }

  /** Restores a state exported from a learner of the same classes (a checkpoint). */
  restore(state: LearnerState): void {
    this.model.restore(state);
    this.rows = [...state.history];
    this.invalidateCache();
  }

  /**
   * Settings that need no new model (batch size, images per pass, image size — the body is fully
   * convolutional, as in fast.ai's progressive resizing —, frozen mode, variants) apply from the next
   * step; the weights, optimizer and history are kept (the feature cache too while its key holds).
   * A new split seed needs a new model.
   */
  reconfigure(config: TrainConfig, imagesPerPass: number): void {
    if (config.seed !== this.settings.seed) throw new Error('A new split seed needs a new model.');
    if (featureCacheKey(config) !== featureCacheKey(this.settings)) this.invalidateCache();
    this.settings = config;
    this.passImages = imagesPerPass;
  }

  get stage(): 'frozen' | 'unfrozen' {
    return this.model.stage;
  }

  cancel(): void {
    this.cancelRequested = true;
  }

  /** The user's freeze() / unfreeze() (a new optimizer when the stage changes: see TrainableModel). */
  freezeTo(frozen: boolean): void {
    this.model.freezeTo(frozen);
  }

  private get fastMode(): boolean {
    return this.stage === 'frozen' && (this.runMode ?? this.config.frozenMode) === 'fast';
  }

  /** What one body pass holds in memory (none in the fast frozen mode: the head trains on features). */
  private passShape(): TrainProgress['pass'] {
    return this.fastMode ? undefined : { size: this.config.size, imagesPerPass: this.imagesPerPass };
  }

  /** Whether the fast frozen mode's body features are cached (for time estimates). */
  get featuresCached(): boolean {
    return this.cache.current !== null;
  }

  invalidateCache(): void {
    this.cache.invalidate();
  }

  /**
   * Between batches: lets queued messages (a Cancel) in first. A step's awaits resolve as
   * microtasks, so without this macrotask turn the worker would not hear Cancel until much later.
   */
  async stopIfCancelled(toDispose: tf.Tensor[] = []): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!this.cancelRequested) return;
    this.cancelRequested = false;
    tf.dispose(toDispose);
    throw new Cancelled();
  }

  /** One optimisation step; returns the batch loss (fewer images per pass when memory runs out). */
  private step(
    input: tf.Tensor4D | tf.Tensor2D,
    targets: Targets,
    lrs: number[],
    beta1: number,
  ): Promise<number> {
    const model = (): StepModel => ({
      body: this.body,
      head: this.model.head,
      config: this.config,
      frozen: this.stage === 'frozen',
      groups: this.model.groups(),
      optimizer: this.model.optimizer,
      imagesPerPass: this.imagesPerPass,
      dropoutSeed: () => this.random.dropoutSeed(),
    });
    return optimiseWithinMemory(model, { input, targets, lrs, beta1 }, (imagesPerPass, notice) => {
      this.passImages = imagesPerPass;
      this.notice = notice;
    });
  }

  /** The training set as one epoch's batches (see epochPlan): examples and their rows. */
  epochBatches(): EpochBatch<Example>[] {
    return this.inputs.epochBatches();
  }

  /** A batch's decode started ahead of its step (its draws made now, in order); none on cached features. */
  prefetch(batch: EpochBatch<Example>): Promise<RawBatch> | null {
    return this.fastMode ? null : this.inputs.decode(batch);
  }

  /** One optimisation step on a batch (on the cached features in the fast frozen mode). */
  async trainBatch(
    batch: EpochBatch<Example>,
    epoch: number,
    prefetched: Promise<RawBatch> | null,
    lrs: number[],
    beta1: number,
  ): Promise<number> {
    const fast = this.fastMode;
    const { x, targets } = fast
      ? await this.inputs.fromFeatures(batch, epoch)
      : await this.inputs.fromPixels(batch, prefetched);
    try {
      return await this.step(x, targets, lrs, beta1);
    } finally {
      x.dispose();
      // A step through the body changed the body: its cached features no longer hold.
      if (!fast) this.invalidateCache();
    }
  }

  /**
   * fast.ai's fit_one_cycle. `frozenMode`: this run's frozen mode when it differs from the config's
   * (the fast mode's frozen stage ending with epochs through the body); the config keeps its own.
   */
  async fitOneCycle(
    epochs: number,
    maxLrText: string,
    onEpoch: (row: EpochRow) => Promise<void>,
    frozenMode: TrainConfig['frozenMode'] = this.config.frozenMode,
  ): Promise<EpochRow[]> {
    this.runMode = frozenMode;
    this.cancelRequested = false;
    try {
      return await fitEpochs(this, this.reporting(), { epochs, maxLrText, frozenMode }, onEpoch);
    } finally {
      this.runMode = null;
    }
  }

  /** See FitHost: on cached features, the features (computed once per body) before the first step. */
  async prepareRun(): Promise<void> {
    if (this.fastMode) await this.cache.ensure();
  }

  /** Appends an epoch's row to the history (see fitEpochs). */
  record(row: EpochRow): void {
    this.rows.push(row);
  }

  /** Batches per epoch, or a clear refusal when the training set cannot fill one. */
  private requireBatches(): number {
    return requireBatches(this.data.train.length, this.config.batchSize);
  }

  /** Progress events, and what every step's event carries beside its numbers: a notice, the pass shape. */
  private reporting(): FitReporting {
    return { report: this.report, stepNotes: () => ({ notice: this.notice, pass: this.passShape() }) };
  }

  /** See LearnerEvaluation: the statistics an epoch through the body ends with. */
  settleStatistics(): Promise<void> {
    return this.evaluation.settleStatistics();
  }

  /** Validation set in eval mode (on the cached features in the fast frozen mode). */
  evaluate(): Promise<Evaluation> {
    return this.evaluation.evaluate();
  }

  interpret(): Promise<Interpretation> {
    return this.evaluation.interpret();
  }

  /** Validation error with test-time augmentation (views cached with the features). */
  ttaErrorRate(): Promise<{ errorRate: number; valid: number }> {
    this.cancelRequested = false;
    return this.evaluation.ttaErrorRate();
  }

  /** Every variable by a name that survives reloads: body, head, running statistics. */
  namedVariables(): Map<string, tf.Variable> {
    return this.model.namedVariables();
  }

  /**
   * fast.ai's lr_find: exponential sweep, smoothed loss, then weights, optimizer and random streams
   * restored exactly — the fit after it draws what it would have drawn without it, so a sweep that
   * stops a step earlier or later (its stopping test sits on a diverging loss) changes nothing else.
   */
  async lrFind(iterations: number = LR_FIND.iterations): Promise<LrFindResult> {
    this.cancelRequested = false;
    this.requireBatches();
    // What a fit prepares first (the fast frozen mode's features, a new model's re-measured body
    // statistics), so the snapshot restored below holds the body they were computed with: lr_find
    // trains only the head there, and the fit after it reuses them.
    await this.prepareRun();
    const returnModel = this.model.bookmark();
    const returnStreams = this.random.bookmark();
    try {
      return await findRate(this, this.reporting(), iterations);
    } finally {
      returnModel();
      returnStreams();
    }
  }

  /** The classifier's probabilities for one image (test-time augmentation: see Classifier). */
  classify(blob: Blob, tta = false): Promise<number[]> {
    return this.classifier.classify(blob, tta);
  }

  /** Grad-CAM of stored images of this dataset, towards each one's predicted class. */
  gradCam(ids: number[]): Promise<GradCamMap[]> {
    const wanted = new Set(ids);
    const examples = [...this.data.valid, ...this.data.train].filter((e) => wanted.has(e.id));
    return this.classifier.gradCam(examples, this.data.classes.length);
  }

  dispose(): void {
    this.invalidateCache();
    this.model.dispose();
  }
}
