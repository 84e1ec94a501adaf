// Time estimates from measured steps: each training phase's seconds per image on this device,
// measured from the worker's progress events and kept across visits (localStorage), so a run shows
// its estimate before it starts and its ETA while it runs.
import {
  BN_ADAPT_IMAGES,
  settlesStatistics,
  type BackendName,
  type ModelSummary,
  type TrainConfig,
  type TrainProgress,
} from '../../protocol';

/** What one image costs, by what the engine does with it. */
export type RateKey =
  | 'features' // frozen body, inference (fast frozen mode's cache)
  | 'head' // the head alone on cached features
  | 'frozen' // faithful frozen mode: body forward + BatchNorm, head backward
  | 'unfrozen' // the whole network forward and backward
  | 'validate' // body + head, inference
  | 'validate-cached'; // head on cached features

/** Rates are kept per 224×224 image; the body's cost grows with the pixel count. */
const REFERENCE_SIZE = 224;
const SIZE_FREE: ReadonlySet<RateKey> = new Set(['head', 'validate-cached']);
const STORAGE_KEY = 'studio:rates';

type Rates = Partial<Record<string, number>>;

export interface FitPlan {
  epochs: number;
  stage: 'frozen' | 'unfrozen';
  config: TrainConfig;
  train: number;
  valid: number;
  /** Whether the fast frozen mode must compute its body features first. */
  needsFeatures: boolean;
  /** Whether a new model's BatchNorm statistics are measured first (see bn-adapt.ts). */
  needsStatistics?: boolean;
}

/**
 * A step through the unfrozen network also computes the weights' gradients: forward + input gradients
 * + weight gradients, against forward + input gradients for a frozen one (its BatchNorm trains, so
 * its input gradients run through the whole body) — 3 to 2 in FLOPs. Until an unfrozen step has been
 * measured on a backend, its rate is the frozen step's times this (wasm here measured 1.3: decoding
 * and augmenting, which both share, weigh in), so steps 4 and 5 show a time after step 1.
 */
const UNFROZEN_PER_FROZEN = 1.5;

/** What a training step costs per image: the stage, and whether a frozen step runs the body. */
function trainingKey(stage: 'frozen' | 'unfrozen', frozenMode: TrainConfig['frozenMode']): RateKey {
  if (stage === 'unfrozen') return 'unfrozen';
  return frozenMode === 'fast' ? 'head' : 'frozen';
}

export class RateBook {
  private rates: Rates;
  private lastSaved = 0;

  constructor(private readonly storage?: Pick<Storage, 'getItem' | 'setItem'>) {
    let stored: Rates = {};
    try {
      stored = JSON.parse(storage?.getItem(STORAGE_KEY) ?? '{}') as Rates;
    } catch {
      stored = {};
    }
    this.rates = stored;
  }

  /** Seconds per image of `key` at `size` on `backend`, if measured. */
  rate(backend: BackendName, key: RateKey, size: number): number | undefined {
    const perReference = this.rates[`${backend}:${key}`];
    if (perReference === undefined) return undefined;
    return SIZE_FREE.has(key) ? perReference : perReference * (size / REFERENCE_SIZE) ** 2;
  }

  /** A training step's rate for an estimate: as measured, or the unfrozen one from the frozen one. */
  private trainingRate(backend: BackendName, key: RateKey, size: number): number | undefined {
    const measured = this.rate(backend, key, size);
    if (measured !== undefined || key !== 'unfrozen') return measured;
    const frozen = this.rate(backend, 'frozen', size);
    return frozen === undefined ? undefined : frozen * UNFROZEN_PER_FROZEN;
  }

  record(backend: BackendName, key: RateKey, size: number, secondsPerImage: number): void {
    if (!(secondsPerImage > 0) || !Number.isFinite(secondsPerImage)) return;
    this.rates[`${backend}:${key}`] = SIZE_FREE.has(key)
      ? secondsPerImage
      : secondsPerImage * (REFERENCE_SIZE / size) ** 2;
    if (Date.now() - this.lastSaved > 5_000) this.save();
  }

  save(): void {
    this.lastSaved = Date.now();
    try {
      this.storage?.setItem(STORAGE_KEY, JSON.stringify(this.rates));
    } catch {
      // A full or blocked localStorage only costs the estimate on the next visit.
    }
  }

  /** Learns from one progress event of a job running on `backend` for `model`. */
  observe(
    progress: TrainProgress,
    backend?: BackendName,
    model?: ModelSummary | null,
    now = Date.now(),
  ): void {
    if (!backend || !model || !progress.images || progress.images < 2) return;
    const { config, stage } = model;
    let key: RateKey | null = null;
    // The statistics pass costs what an inference pass does.
    if (progress.phase === 'features' || progress.phase === 'statistics') key = 'features';
    // What the step ran on, as the worker says (a run's mode may differ from the config's: the fast
    // frozen stage's epochs through the body carry a pass shape, the head on cached features none).
    else if (progress.phase === 'fit' || progress.phase === 'lr_find')
      key = trainingKey(stage, progress.pass ? 'faithful' : 'fast');
    else if (progress.phase === 'validate') key = progress.cached ? 'validate-cached' : 'validate';
    // A fit's clock also runs through its validations and autosaves: measure its first epoch's
    // batches only, before any of those.
    if (!key || (progress.phase === 'fit' && progress.done > progress.total / 2 && progress.done > 8)) return;
    this.record(backend, key, config.size, (now - progress.startedAt) / 1000 / progress.images);
  }

  /** Seconds a fit_one_cycle of `plan` should take here, or null until its phases were measured. */
  estimateFit(backend: BackendName | undefined, plan: FitPlan): number | null {
    if (!backend) return null;
    const { config, stage, epochs, train, valid } = plan;
    const fastFrozen = stage === 'frozen' && config.frozenMode === 'fast';
    const get = (key: RateKey) => this.rate(backend, key, config.size);
    const perTrain = this.trainingRate(backend, trainingKey(stage, config.frozenMode), config.size);
    const perValid = get(fastFrozen ? 'validate-cached' : 'validate');
    if (perTrain === undefined || perValid === undefined) return null;
    let seconds = epochs * (train * perTrain + valid * perValid);
    if (fastFrozen && plan.needsFeatures) {
      const features = get('features');
      if (features === undefined) return null;
      const statistics = plan.needsStatistics ? Math.min(train, BN_ADAPT_IMAGES) : 0;
      seconds += (statistics + train * config.variants + valid) * features;
    }
    if (!fastFrozen && settlesStatistics(config, stage)) {
      // Each epoch through the body ends with a statistics pass (an inference pass's cost), once measured.
      const features = get('features');
      if (features !== undefined) seconds += epochs * Math.min(train, BN_ADAPT_IMAGES) * features;
    }
    return seconds;
  }

  /** Seconds an LR finder's sweep of `iterations` batches in `stage` should take, or null. */
  estimateLrFind(
    backend: BackendName | undefined,
    config: TrainConfig,
    stage: 'frozen' | 'unfrozen',
    iterations: number,
  ): number | null {
    if (!backend) return null;
    const rate = this.trainingRate(backend, trainingKey(stage, config.frozenMode), config.size);
    return rate === undefined ? null : rate * iterations * config.batchSize;
  }
}

/** "≈ 3 min", "≈ 1 h 20 min", "< 1 min". */
export function roughDuration(seconds: number): string {
  if (seconds < 60) return '< 1 min';
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `≈ ${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `≈ ${h} h${m ? ` ${m} min` : ''}`;
}
