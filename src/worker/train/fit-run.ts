// One fit_one_cycle run as the person sees it: its run record, its progress events step by step,
// and an epoch table row per epoch (validated after each epoch); likewise lr_find's sweep and its
// suggestion. The learner owns the state and the steps (BatchRunner); this owns the runs' bookkeeping.
import { batchesPerEpoch } from '../../ml/epochs';
import { suggestLr } from '../../ml/lr-find';
import { groupRates, parseLearningRate } from '../../ml/schedule';
import {
  StudioError,
  type EpochRow,
  type LrFindResult,
  type RunInfo,
  type TrainConfig,
  type TrainProgress,
} from '../../protocol';
import type { Dataset } from './data';
import { epochRow, type Evaluation } from './evaluation';
import { lrSweep, oneCycleEpoch, type BatchRunner } from './loops';

/** What a run asks of the learner beside its steps. */
export interface FitHost extends BatchRunner {
  readonly config: TrainConfig;
  readonly data: Dataset;
  /** Every epoch trained so far, across stages and runs. */
  readonly history: readonly EpochRow[];
  readonly stage: 'frozen' | 'unfrozen';
  /**
   * What the run needs before its first step (the fast frozen mode's body features, and a new
   * model's re-measured statistics), each with its own progress phase.
   */
  prepareRun(): Promise<void>;
  /** After an epoch, before its validation: whatever the weights' statistics need (see epochStatistics). */
  settleStatistics(): Promise<void>;
  /** The validation set in eval mode, after an epoch. */
  evaluate(): Promise<Evaluation>;
  /** Appends an epoch's row to the history. */
  record(row: EpochRow): void;
}

/** How a run speaks to the person: progress events, and what every step's event carries beside its numbers. */
export interface FitReporting {
  report(progress: TrainProgress): void;
  stepNotes(): Pick<TrainProgress, 'notice' | 'pass'>;
}

/** Batches per epoch (see epochPlan), or a clear refusal when the training set cannot fill one. */
export function requireBatches(trainImages: number, batchSize: number): number {
  const perEpoch = batchesPerEpoch(trainImages, batchSize);
  if (!perEpoch)
    throw new StudioError(
      'invalid-input',
      'Too few training images for one batch: add images or lower the batch size.',
    );
  return perEpoch;
}

/** fast.ai's fit_one_cycle over `epochs` at `maxLrText` (one rate, or a slice over the three groups). */
export async function fitEpochs(
  host: FitHost,
  reporting: FitReporting,
  run: { epochs: number; maxLrText: string; frozenMode: TrainConfig['frozenMode'] },
  onEpoch: (row: EpochRow) => Promise<void>,
): Promise<EpochRow[]> {
  const peaks = groupRates(parseLearningRate(run.maxLrText), 3);
  const perEpoch = requireBatches(host.data.train.length, host.config.batchSize);
  const total = run.epochs * perEpoch;
  const rows: EpochRow[] = [];
  // Prepared before the fit's clock starts, so that its steps' rate and ETA are the steps' own (a
  // feature pass took minutes); the first epoch's time still includes it: what that epoch cost.
  const prepared = Date.now();
  await host.prepareRun();
  const startedAt = Date.now();
  let iteration = 0;
  const { size, batchSize } = host.config;
  const info: RunInfo = {
    id: Math.max(0, ...host.history.map((r) => r.run?.id ?? 0)) + 1,
    maxLr: run.maxLrText,
    size,
    batchSize,
    frozenMode: run.frozenMode,
  };
  reporting.report({
    phase: 'fit',
    done: 0,
    total,
    epochAt: host.history.length,
    startedAt,
    pass: reporting.stepNotes().pass,
    images: 0,
  });
  for (let epoch = 0; epoch < run.epochs; epoch++) {
    const t0 = epoch === 0 ? prepared : Date.now();
    const trainLoss = await oneCycleEpoch(host, { epoch, first: iteration, total, peaks }, ({ lr, loss }) => {
      iteration++;
      const images = iteration * batchSize;
      reporting.report({
        phase: 'fit',
        done: iteration,
        total,
        lr,
        loss,
        // The history holds this run's earlier epochs by now.
        epochAt: host.history.length + (iteration - epoch * perEpoch) / perEpoch,
        startedAt,
        images,
        ...reporting.stepNotes(),
      });
    });
    await host.settleStatistics();
    const row = epochRow(host.data, await host.evaluate(), {
      run: info,
      stage: host.stage,
      epoch: host.history.filter((r) => r.stage === host.stage).length,
      trainLoss,
      seconds: (Date.now() - t0) / 1000,
    });
    host.record(row);
    rows.push(row);
    await onEpoch(row);
  }
  return rows;
}

/**
 * fast.ai's lr_find as the person sees it: a progress event per step (rate and smoothed loss), then
 * the sweep and its suggestion. The caller restores what the sweep trained.
 */
export async function findRate(
  host: BatchRunner & { readonly stage: 'frozen' | 'unfrozen' },
  reporting: FitReporting,
  iterations: number,
): Promise<LrFindResult> {
  const startedAt = Date.now();
  const { pass } = reporting.stepNotes();
  reporting.report({ phase: 'lr_find', done: 0, total: iterations, startedAt, pass });
  let done = 0;
  const { lrs, losses } = await lrSweep(host, iterations, ({ lr, loss }) =>
    reporting.report({
      phase: 'lr_find',
      done: ++done,
      total: iterations,
      lr,
      loss,
      startedAt,
      ...reporting.stepNotes(),
    }),
  );
  return { lrs, losses, suggestion: suggestLr(lrs, losses), stage: host.stage };
}
