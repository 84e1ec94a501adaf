// The two loops over a run's batches: one epoch of fit_one_cycle (one-cycle rates and momentum per
// step, the next batch decoded while this one computes) and lr_find's sweep (exponentially rising
// rate until the smoothed loss diverges). The learner owns the state and the step; these own the
// schedules, the smoothing and the stopping rule, and say after each step what happened.
import { lrFindRate, shouldStop } from '../../ml/lr-find';
import { oneCycleAt, SmoothLoss } from '../../ml/schedule';
import type { EpochBatch } from '../../ml/epochs';
import type { Example, RawBatch } from './data';

/** What the loops ask of the learner. */
export interface BatchRunner {
  /** One epoch's batches, shuffled from the run's stream. */
  epochBatches(): EpochBatch<Example>[];
  /** Starts decoding a batch ahead of its step; null where its step needs no pixels (cached features). */
  prefetch(batch: EpochBatch<Example>): Promise<RawBatch> | null;
  /** One optimisation step at the layer groups' rates and AdamW's β₁; the batch's loss. */
  trainBatch(
    batch: EpochBatch<Example>,
    epoch: number,
    prefetched: Promise<RawBatch> | null,
    lrs: number[],
    beta1: number,
  ): Promise<number>;
  /** Between steps: throws Cancelled when the user cancelled. */
  stopIfCancelled(): Promise<void>;
}

/** After each step: its rate (the head's, the last group) and loss (raw for a fit, smoothed for lr_find). */
export type OnStep = (step: { lr: number; loss: number }) => void;

/**
 * One epoch of fit_one_cycle: steps `first` … of `total` over the run, each group at its peak's
 * one-cycle rate. Returns the epoch's smoothed training loss (fast.ai's train_loss column).
 */
export async function oneCycleEpoch(
  runner: BatchRunner,
  at: { epoch: number; first: number; total: number; peaks: number[] },
  onStep: OnStep,
): Promise<number> {
  const smooth = new SmoothLoss();
  const plan = runner.epochBatches();
  let next: Promise<RawBatch> | null = null;
  for (let b = 0; b < plan.length; b++) {
    await runner.stopIfCancelled();
    const current = next;
    // Start decoding the next batch now: the browser decodes while this step computes.
    next = b + 1 < plan.length ? runner.prefetch(plan[b + 1]) : null;
    const schedule = at.peaks.map((peak) => oneCycleAt(at.first + b, at.total, peak));
    const lrs = schedule.map((s) => s.lr);
    const loss = await runner.trainBatch(plan[b], at.epoch, current, lrs, schedule[0].mom);
    smooth.add(loss);
    onStep({ lr: lrs[lrs.length - 1], loss });
  }
  return smooth.value;
}

/**
 * fast.ai's LR range test: up to `iterations` steps over as many epochs as it takes, every group at
 * the same exponentially rising rate, stopped once the smoothed loss diverges. The caller restores
 * what the sweep trained.
 */
export async function lrSweep(
  runner: BatchRunner,
  iterations: number,
  onStep: OnStep,
): Promise<{ lrs: number[]; losses: number[] }> {
  const lrs: number[] = [];
  const losses: number[] = [];
  const smooth = new SmoothLoss();
  let best = Infinity;
  for (let epoch = 0; ; epoch++) {
    for (const batch of runner.epochBatches()) {
      await runner.stopIfCancelled();
      const lr = lrFindRate(lrs.length, iterations);
      const smoothed = smooth.add(await runner.trainBatch(batch, epoch, null, [lr, lr, lr], 0.9));
      lrs.push(lr);
      losses.push(smoothed);
      onStep({ lr, loss: smoothed });
      if (shouldStop(smoothed, best) || lrs.length >= iterations) return { lrs, losses };
      best = Math.min(best, smoothed);
    }
  }
}
