// fast.ai's cnn_learner recipe in the worker: ResNet50 body + fast.ai head, freeze/unfreeze,
// fit_one_cycle with discriminative rates, lr_find, interpretation and checkpoints.
import * as tf from '@tensorflow/tfjs';
import { AdamW } from '../../ml/adamw';
import { LR_FIND, lrFindRate, shouldStop, suggestLr } from '../../ml/lr-find';
import { confusionMatrix, errorRate } from '../../ml/metrics';
import { crossEntropy } from '../../ml/loss';
import { caffePreprocess } from '../../ml/preprocess';
import { seededRandom, shuffle } from '../../ml/random';
import { groupRates, oneCycleAt, parseLearningRate, SmoothLoss } from '../../ml/schedule';
import {
  bodyStatistics,
  labelSmoothing,
  passBatchNorm,
  StudioError,
  type EpochRow,
  type RunInfo,
  type GradCamMap,
  type Interpretation,
  type LrFindResult,
  type TrainConfig,
  type TrainProgress,
} from '../../protocol';
import { rememberOutOfMemory } from '../../policy/memory-limits';
import { EngineFailure, isEngineFailure, isOutOfMemory } from '../errors';
import { disposeStats, passMomentum, updateRunningStats, type LayerStats } from '../ml/batchnorm';
import type { ResNetGraph } from '../ml/resnet-graph';
import {
  batches,
  batchTensor,
  decodeBatch,
  decodeCropped,
  type Dataset,
  type DecodeImage,
  type Example,
  type RawBatch,
} from './data';
import { Classifier } from './classifier';
import { adaptBatchNorm } from './bn-adapt';
import { computeFeatures, disposeFeatures, type Features } from './features';
import { concatPool, FastaiHead } from './head';
import { sumPasses } from './passes';
import { wholeBatchStep } from './whole-batch';
import { Cancelled } from '../../ml/cancel';

interface Evaluation {
  loss: number;
  losses: number[];
  predicted: number[];
  actualProbability: number[];
  probabilities: number[][];
}

/** Everything a checkpoint keeps of a learner, as values (see exportState / restore). */
export interface LearnerState {
  stage: 'frozen' | 'unfrozen';
  history: EpochRow[];
  /** Every variable by its stable name (body, head, running statistics). */
  weights: Map<string, Float32Array>;
  optimizer: { step: number; moments: Map<string, { m: Float32Array; v: Float32Array }> };
}

export interface LearnerOptions {
  /** Images per forward/backward pass (the device's memory limit); default: the whole batch. */
  imagesPerPass?: number;
  /** The image decoder (default: the browser's). */
  decode?: DecodeImage;
}

export class Learner {
  private frozen = true;
  private rows: EpochRow[] = [];
  readonly head: FastaiHead;
  private optimizer = new AdamW();
  /** Images per forward/backward pass: the batch is computed in passes that fit the device. */
  private passImages: number;
  /** Set when the job had to adapt (memory); reported with the next progress event. */
  private notice: string | undefined;
  private cancelRequested = false;
  /** Pooled body features for the fast frozen mode; dropped whenever the body changes. */
  private cache: Features | null = null;
  /** The inference side (features, classify with TTA, Grad-CAM). */
  private readonly classifier: Classifier;
  private readonly random: () => number;
  /** Dropout masks: a stream of its own, so prefetching batches cannot reorder its draws. */
  private readonly dropoutRandom: () => number;
  private readonly decode: DecodeImage;

  constructor(
    readonly body: ResNetGraph,
    readonly data: Dataset,
    private settings: TrainConfig,
    private readonly report: (progress: TrainProgress) => void,
    options: LearnerOptions = {},
  ) {
    this.head = new FastaiHead(2 * body.bodyChannels(), data.classes.length, settings.seed);
    this.passImages = options.imagesPerPass ?? settings.batchSize;
    this.decode = options.decode ?? decodeCropped;
    this.classifier = new Classifier(body, this.head, () => this.settings, this.decode);
    this.random = seededRandom(settings.seed + 1);
    this.dropoutRandom = seededRandom(settings.seed + 2);
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
  async exportState(): Promise<LearnerState> {
    const named = this.namedVariables();
    const weights = new Map<string, Float32Array>();
    for (const [name, v] of named) weights.set(name, (await v.data()) as Float32Array);
    const optimizer = await this.optimizer.exportState();
    const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
    for (const [name, v] of named) {
      const moment = optimizer.moments.get(v);
      if (moment) moments.set(name, moment);
    }
    return {
      stage: this.stage,
      history: [...this.rows],
      weights,
      optimizer: { step: optimizer.step, moments },
    };
  }

  /** Restores a state exported from a learner of the same classes (a checkpoint). */
  restore(state: LearnerState): void {
    const named = this.namedVariables();
    for (const name of named.keys())
      if (!state.weights.has(name)) throw new Error(`The checkpoint has no weights for ${name}.`);
    for (const [name, v] of named) tf.tidy(() => v.assign(tf.tensor(state.weights.get(name)!, v.shape)));
    const moments = new Map<tf.Variable, { m: Float32Array; v: Float32Array }>();
    for (const [name, moment] of state.optimizer.moments) {
      const v = named.get(name);
      if (v) moments.set(v, moment);
    }
    this.optimizer.restore({ step: state.optimizer.step, moments });
    this.frozen = state.stage === 'frozen';
    this.rows = [...state.history];
    this.invalidateCache();
  }

  /**
   * Settings that need no new model (batch size, images per pass, image size — the body is fully
   * convolutional, as in fast.ai's progressive resizing —, frozen mode, variants) apply from the next
   * step; the weights, optimizer and history are kept. A new split seed needs a new model.
   */
  reconfigure(config: TrainConfig, imagesPerPass: number): void {
    if (config.seed !== this.settings.seed) throw new Error('A new split seed needs a new model.');
    if (config.size !== this.settings.size || config.variants !== this.settings.variants)
      this.invalidateCache();
    this.settings = config;
    this.passImages = imagesPerPass;
  }

  get stage(): 'frozen' | 'unfrozen' {
    return this.frozen ? 'frozen' : 'unfrozen';
  }

  cancel(): void {
    this.cancelRequested = true;
  }

  /**
   * The user's freeze() / unfreeze(). fast.ai's freeze_to creates a new optimizer, so the next fit
   * starts with zero moments and step 0 (bias correction for every parameter, old and new alike).
   */
  freezeTo(frozen: boolean): void {
    if (frozen !== this.frozen) {
      this.optimizer.dispose();
      this.optimizer = new AdamW();
    }
    this.frozen = frozen;
  }

  /** [stem, res2, res3] · [res4, res5] · [head], each limited to what trains in this stage. */
  groups(): tf.Variable[][] {
    return [...this.body.bodyGroups(this.frozen), this.head.trainableVariables()];
  }

  private get fastMode(): boolean {
    return this.frozen && this.config.frozenMode === 'fast';
  }

  /** What one body pass holds in memory (none in the fast frozen mode: the head trains on features). */
  private passShape(): TrainProgress['pass'] {
    return this.fastMode ? undefined : { size: this.config.size, imagesPerPass: this.imagesPerPass };
  }

  invalidateCache(): void {
    disposeFeatures(this.cache);
    this.cache = null;
  }

  /** Body features for the fast frozen mode, computed once (see features.ts). */
  private async ensureCache(): Promise<Features> {
    if (this.cache) return this.cache;
    if (this.rows.length === 0 && bodyStatistics(this.config) === 'data')
      await adaptBatchNorm({
        body: this.body,
        train: this.data.train,
        config: this.config,
        decode: this.decode,
        report: this.report,
        stopIfCancelled: (toDispose) => this.stopIfCancelled(toDispose),
      });
    this.cache = await computeFeatures({
      data: this.data,
      config: this.config,
      decode: this.decode,
      pooled: (x) => this.classifier.pooledEval(x),
      report: this.report,
      stopIfCancelled: (toDispose) => this.stopIfCancelled(toDispose),
    });
    return this.cache;
  }

  /**
   * Between batches: lets queued messages (a Cancel) in first. A step's awaits resolve as
   * microtasks, so without this macrotask turn the worker would not hear Cancel until much later.
   */
  private async stopIfCancelled(toDispose: tf.Tensor[] = []): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 0));
    if (!this.cancelRequested) return;
    this.cancelRequested = false;
    tf.dispose(toDispose);
    throw new Cancelled();
  }

  /**
   * One optimisation step; returns the batch loss. When the device runs out of memory the step is
   * retried with half as many images per pass (remembered for this device and size); on wasm the
   * engine is lost instead, and the limit is lowered for the restarted one.
   */
  private async step(
    input: tf.Tensor4D | tf.Tensor2D,
    labels: number[],
    lrs: number[],
    beta1: number,
  ): Promise<number> {
    for (;;) {
      try {
        return await this.stepInPasses(input, labels, lrs, beta1);
      } catch (error) {
        if (!isOutOfMemory(error) || input.rank !== 4) throw error;
        const failedAt = this.imagesPerPass;
        const lowered = await rememberOutOfMemory(tf.getBackend(), this.config.size, failedAt);
        const advice = `Out of memory with ${failedAt} images per pass at ${this.config.size} px`;
        if (lowered === null || isEngineFailure(error, tf.getBackend())) {
          throw new EngineFailure(
            `${advice}. The engine must restart` +
              (lowered ? `; it will use ${lowered} images per pass. ` : '. Lower the image size. ') +
              'Your data and checkpoints are kept: resume from the last autosave.',
          );
        }
        this.passImages = lowered;
        this.notice = `${advice}: continuing with ${lowered} (same batch size, gradients summed).`;
      }
    }
  }

  private async stepInPasses(
    input: tf.Tensor4D | tf.Tensor2D,
    labels: number[],
    lrs: number[],
    beta1: number,
  ): Promise<number> {
    const groups = this.groups();
    const vars = groups.flat();
    const n = labels.length;
    // Cached features are small: only body passes need splitting.
    const perPass = input.rank === 4 ? this.imagesPerPass : n;
    if (perPass < n && passBatchNorm(this.config) === 'whole-batch') {
      const headVars = this.head.trainableVariables();
      const { grads, loss } = wholeBatchStep({
        body: this.body,
        head: this.head,
        input: input as tf.Tensor4D,
        labels,
        imagesPerPass: perPass,
        bodyVars: vars.filter((v) => !headVars.includes(v)),
        headVars,
        dropoutSeed: Math.floor(this.dropoutRandom() * 2 ** 31),
        labelSmoothing: labelSmoothing(this.config),
      });
      try {
        this.optimizer.apply(groups, lrs, beta1, grads);
        return (await loss.data())[0];
      } finally {
        tf.dispose(grads);
        loss.dispose();
      }
    }
    const { grads, losses } = sumPasses(n, perPass, (start, size) =>
      this.gradients(input, labels, start, size, vars),
    );
    try {
      this.optimizer.apply(groups, lrs, beta1, grads);
      // Read back after the update is queued, so a GPU never idles waiting for the loss.
      let loss = 0;
      for (const { value, weight } of losses) loss += (await value.data())[0] * weight;
      return loss;
    } finally {
      tf.dispose(grads);
      tf.dispose(losses.map((l) => l.value));
    }
  }

  /** Loss and gradients of one pass over input[start, start + size); BatchNorm statistics updated. */
  private gradients(
    input: tf.Tensor4D | tf.Tensor2D,
    labels: number[],
    start: number,
    size: number,
    vars: tf.Variable[],
  ): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    let bodyStats: LayerStats = new Map();
    let headStats: LayerStats = new Map();
    const { value, grads } = tf.variableGrads(() => {
      const part = size === labels.length ? input : tf.slice(input, start, size);
      let pooled: tf.Tensor2D;
      if (part.rank === 4) {
        const f = this.body.forward(caffePreprocess(part as tf.Tensor4D), {
          training: true,
          until: this.body.bodyOutput,
          bnStats: !this.frozen && passBatchNorm(this.config) === 'running' ? 'running' : 'batch',
        });
        bodyStats = f.batchStats;
        pooled = concatPool(f.output as tf.Tensor4D);
      } else pooled = part as tf.Tensor2D;
      const h = this.head.forward(pooled, true, Math.floor(this.dropoutRandom() * 2 ** 31));
      headStats = h.stats;
      return crossEntropy(labels.slice(start, start + size), h.logits, labelSmoothing(this.config));
    }, vars);
    const momentum = passMomentum(size / labels.length);
    for (const stats of [bodyStats, headStats]) {
      updateRunningStats(stats, momentum);
      disposeStats(stats);
    }
    return { value, grads };
  }

  /** Batches per epoch: fast.ai drops the last partial training batch (and never trains on 1 image). */
  private batchesPerEpoch(): number {
    const { batchSize } = this.config;
    if (batchSize < 2) return 0;
    const n = this.data.train.length;
    const full = Math.floor(n / batchSize);
    const rest = n % batchSize;
    if (full === 0) return rest >= 2 ? 1 : 0;
    return full;
  }

  /** The training set as batches for one epoch: shuffled, last partial batch dropped (fast.ai). */
  private epochBatches(): { examples: Example[]; rows: number[] }[] {
    const order = shuffle(
      this.data.train.map((e, i) => ({ e, i })),
      this.random,
    );
    return batches(order, this.config.batchSize)
      .slice(0, this.batchesPerEpoch())
      .map((b) => ({ examples: b.map((x) => x.e), rows: b.map((x) => x.i) }));
  }

  private async trainBatch(
    batch: { examples: Example[]; rows: number[] },
    epoch: number,
    prefetched: Promise<RawBatch> | null,
    lrs: number[],
    beta1: number,
  ): Promise<number> {
    if (this.fastMode) {
      const cache = await this.ensureCache();
      const variant = cache.train[epoch % cache.train.length];
      const x = tf.gather(variant, batch.rows);
      const loss = await this.step(
        x,
        batch.examples.map((e) => e.label),
        lrs,
        beta1,
      );
      x.dispose();
      return loss;
    }
    const raw = await (prefetched ?? decodeBatch(batch.examples, this.config.size, this.random, this.decode));
    const x = batchTensor(raw, this.config.size);
    try {
      return await this.step(x, raw.labels, lrs, beta1);
    } finally {
      x.dispose();
      this.invalidateCache();
    }
  }

  async fitOneCycle(
    epochs: number,
    maxLrText: string,
    onEpoch: (row: EpochRow) => Promise<void>,
  ): Promise<EpochRow[]> {
    const peaks = groupRates(parseLearningRate(maxLrText), 3);
    this.cancelRequested = false;
    const perEpoch = this.batchesPerEpoch();
    if (!perEpoch)
      throw new StudioError(
        'invalid-input',
        'Too few training images for one batch: add images or lower the batch size.',
      );
    const total = epochs * perEpoch;
    const rows: EpochRow[] = [];
    const startedAt = Date.now();
    let iteration = 0;
    const { size, batchSize, frozenMode } = this.config;
    const run: RunInfo = {
      id: Math.max(0, ...this.history.map((r) => r.run?.id ?? 0)) + 1,
      maxLr: maxLrText,
      size,
      batchSize,
      frozenMode,
    };
    this.report({ phase: 'fit', done: 0, total, startedAt, pass: this.passShape(), images: 0 });
    for (let epoch = 0; epoch < epochs; epoch++) {
      const t0 = Date.now();
      const smooth = new SmoothLoss();
      const plan = this.epochBatches();
      let next: Promise<RawBatch> | null = null;
      for (let b = 0; b < plan.length; b++) {
        await this.stopIfCancelled();
        const current = next;
        // Start decoding the next batch now: the browser decodes while this step computes.
        next =
          !this.fastMode && b + 1 < plan.length
            ? decodeBatch(plan[b + 1].examples, this.config.size, this.random, this.decode)
            : null;
        const schedule = peaks.map((peak) => oneCycleAt(iteration, total, peak));
        const loss = await this.trainBatch(
          plan[b],
          epoch,
          current,
          schedule.map((s) => s.lr),
          schedule[0].mom,
        );
        smooth.add(loss);
        iteration++;
        this.report({
          phase: 'fit',
          done: iteration,
          total,
          lr: schedule[2].lr,
          loss,
          startedAt,
          images: iteration * batchSize,
          notice: this.notice,
          pass: this.passShape(),
        });
      }
      const evaluation = await this.evaluate();
      const errors = errorRate(
        this.data.valid.map((e) => e.label),
        evaluation.predicted,
      );
      const row: EpochRow = {
        run,
        stage: this.stage,
        epoch: this.history.filter((r) => r.stage === this.stage).length,
        trainLoss: smooth.value,
        validLoss: evaluation.loss,
        errorRate: errors,
        accuracy: 1 - errors,
        seconds: (Date.now() - t0) / 1000,
        tensors: tf.memory().numTensors,
        bytes: tf.memory().numBytes,
      };
      this.rows.push(row);
      rows.push(row);
      await onEpoch(row);
    }
    return rows;
  }

  /** Validation set in eval mode: per-image losses, predictions and probabilities. */
  async evaluate(): Promise<Evaluation> {
    const valid = this.data.valid;
    const out: Evaluation = { loss: 0, losses: [], predicted: [], actualProbability: [], probabilities: [] };
    const cache = this.fastMode ? await this.ensureCache() : null;
    const startedAt = Date.now();
    let offset = 0;
    for (const chunk of batches(valid, this.config.batchSize)) {
      let pooled: tf.Tensor2D;
      if (cache) pooled = tf.slice(cache.valid, offset, chunk.length);
      else {
        const raw = await decodeBatch(chunk, this.config.size, null, this.decode);
        const x = batchTensor(raw, this.config.size);
        pooled = this.classifier.pooledEval(x);
        x.dispose();
      }
      const p = tf.tidy(() => tf.softmax(this.head.forward(pooled, false).logits));
      pooled.dispose();
      const rows = (await p.array()) as number[][];
      p.dispose();
      chunk.forEach((e, i) => {
        const row = rows[i];
        const actual = Math.max(row[e.label], 1e-12);
        out.losses.push(-Math.log(actual));
        out.actualProbability.push(row[e.label]);
        out.predicted.push(row.indexOf(Math.max(...row)));
        out.probabilities.push(row);
      });
      offset += chunk.length;
      this.report({ phase: 'validate', done: offset, total: valid.length, startedAt, images: offset });
    }
    out.loss = out.losses.reduce((a, b) => a + b, 0) / Math.max(1, out.losses.length);
    return out;
  }

  async interpret(): Promise<Interpretation> {
    const e = await this.evaluate();
    const actual = this.data.valid.map((x) => x.label);
    return {
      classes: this.data.classes,
      ids: this.data.valid.map((x) => x.id),
      actual,
      predicted: e.predicted,
      losses: e.losses,
      actualProbability: e.actualProbability,
      confusion: confusionMatrix(actual, e.predicted, this.data.classes.length),
    };
  }

  /** Every variable by a name that survives reloads: body, head, running statistics. */
  namedVariables(): Map<string, tf.Variable> {
    return new Map([...this.body.namedBodyVariables(), ...this.head.namedVariables()]);
  }

  /** fast.ai's lr_find: exponential sweep, smoothed loss, then weights and optimizer restored exactly. */
  async lrFind(): Promise<LrFindResult> {
    this.cancelRequested = false;
    const snapshot = new Map([...this.namedVariables()].map(([k, v]) => [k, tf.clone(v)]));
    const savedOptimizer = this.optimizer;
    this.optimizer = new AdamW();
    const lrs: number[] = [];
    const losses: number[] = [];
    const startedAt = Date.now();
    this.report({ phase: 'lr_find', done: 0, total: LR_FIND.iterations, startedAt, pass: this.passShape() });
    try {
      const smooth = new SmoothLoss();
      let best = Infinity;
      let epoch = 0;
      outer: while (lrs.length < LR_FIND.iterations) {
        for (const batch of this.epochBatches()) {
          await this.stopIfCancelled();
          const lr = lrFindRate(lrs.length);
          const loss = await this.trainBatch(batch, epoch, null, [lr, lr, lr], 0.9);
          const smoothed = smooth.add(loss);
          lrs.push(lr);
          losses.push(smoothed);
          this.report({
            phase: 'lr_find',
            done: lrs.length,
            total: LR_FIND.iterations,
            lr,
            loss: smoothed,
            startedAt,
            notice: this.notice,
            pass: this.passShape(),
          });
          if (shouldStop(smoothed, best)) break outer;
          best = Math.min(best, smoothed);
          if (lrs.length >= LR_FIND.iterations) break outer;
        }
        epoch++;
      }
    } finally {
      for (const [name, v] of this.namedVariables()) v.assign(snapshot.get(name)!);
      tf.dispose([...snapshot.values()]);
      this.optimizer.dispose();
      this.optimizer = savedOptimizer;
      this.invalidateCache();
    }
    return { lrs, losses, suggestion: suggestLr(lrs, losses), stage: this.stage };
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

  /** Validation error with test-time augmentation (fast.ai's learn.TTA()), image by image. */
  async ttaErrorRate(): Promise<{ errorRate: number; valid: number }> {
    this.cancelRequested = false;
    const valid = this.data.valid;
    const startedAt = Date.now();
    let wrong = 0;
    for (const [i, example] of valid.entries()) {
      await this.stopIfCancelled();
      const p = await this.classify(example.blob, true);
      if (p.indexOf(Math.max(...p)) !== example.label) wrong++;
      this.report({ phase: 'validate', done: i + 1, total: valid.length, startedAt, images: (i + 1) * 6 });
    }
    return { errorRate: valid.length ? wrong / valid.length : 0, valid: valid.length };
  }

  dispose(): void {
    this.invalidateCache();
    this.head.dispose();
    this.optimizer.dispose();
  }
}
