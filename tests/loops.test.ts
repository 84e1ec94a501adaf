// The fit and lr_find loops against a runner that records what it is asked, in order: the next
// batch's decode starts before the current step (its draws come first), each step gets the
// one-cycle rates of its place in the whole fit, and the sweep stops as fast.ai's does.
import { describe, expect, it } from 'vitest';
import type { EpochBatch } from '../src/ml/epochs';
import { lrFindRate } from '../src/ml/lr-find';
import { oneCycleAt } from '../src/ml/schedule';
import type { Example, RawBatch } from '../src/worker/train/data';
import { lrSweep, oneCycleEpoch, type BatchRunner } from '../src/worker/train/loops';

function recordingRunner(batches: number, lossAt: (step: number) => number, prefetches = true) {
  const calls: string[] = [];
  const rates: number[][] = [];
  let step = 0;
  const plan = (): EpochBatch<Example>[] =>
    Array.from({ length: batches }, (_, b) => ({ examples: [], rows: [b] }));
  const runner: BatchRunner = {
    epochBatches: plan,
    prefetch: (batch) => {
      calls.push(`prefetch ${batch.rows[0]}`);
      return prefetches
        ? Promise.resolve({ pixels: [], labels: [], ids: [], draws: null } as RawBatch)
        : null;
    },
    trainBatch: async (batch, epoch, prefetched, lrs) => {
      calls.push(`train ${epoch}:${batch.rows[0]}${prefetched ? ' (prefetched)' : ''}`);
      rates.push(lrs);
      return lossAt(step++);
    },
    stopIfCancelled: async () => undefined,
  };
  return { runner, calls, rates };
}

describe('oneCycleEpoch', () => {
  it('decodes the next batch before the current step, and schedules each step by its place in the fit', async () => {
    const { runner, calls, rates } = recordingRunner(3, () => 1);
    const peaks = [1e-5, 1e-4, 1e-3];
    const seen: number[] = [];
    const loss = await oneCycleEpoch(runner, { epoch: 1, first: 3, total: 6, peaks }, ({ lr }) =>
      seen.push(lr),
    );
    expect(calls).toEqual([
      'prefetch 1',
      'train 1:0',
      'prefetch 2',
      'train 1:1 (prefetched)',
      'train 1:2 (prefetched)',
    ]);
    rates.forEach((lrs, b) => expect(lrs).toEqual(peaks.map((p) => oneCycleAt(3 + b, 6, p).lr)));
    expect(seen).toEqual(rates.map((lrs) => lrs[2])); // the head's rate is reported
    expect(loss).toBeCloseTo(1, 12); // smoothed (debiased) mean of a constant loss
  });

  it('on cached features (no prefetch) every step decodes nothing ahead', async () => {
    const { runner, calls } = recordingRunner(2, () => 1, false);
    await oneCycleEpoch(runner, { epoch: 0, first: 0, total: 2, peaks: [1, 1, 1] }, () => undefined);
    expect(calls).toEqual(['prefetch 1', 'train 0:0', 'train 0:1']);
  });
});

describe('lrSweep', () => {
  it('raises the rate exponentially over epochs until the step count', async () => {
    const { runner, calls, rates } = recordingRunner(4, () => 1);
    const { lrs, losses } = await lrSweep(runner, 10, () => undefined);
    expect(lrs).toEqual(Array.from({ length: 10 }, (_, i) => lrFindRate(i, 10)));
    expect(rates.every((r, i) => r.every((lr) => lr === lrs[i]))).toBe(true);
    expect(losses).toHaveLength(10);
    expect(calls.filter((c) => c.startsWith('train 2:'))).toHaveLength(2); // a third epoch begun
  });

  it('stops at the first smoothed loss over 4× the best, that step included', async () => {
    const { runner } = recordingRunner(50, (step) => (step < 5 ? 1 : 1000));
    const { losses } = await lrSweep(runner, 100, () => undefined);
    expect(losses).toHaveLength(6);
    expect(losses[5]).toBeGreaterThan(4 * Math.min(...losses.slice(0, 5)));
  });
});
