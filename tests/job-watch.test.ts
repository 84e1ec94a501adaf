// The bridge's job bookkeeping, pure: the stuck-engine watch and what a progress event changes.
import { describe, expect, it } from 'vitest';
import type { TrainProgress } from '../src/protocol';
import { afterProgress, pointsForModel } from '../src/ui/jobs/progress';
import { StallWatch } from '../src/ui/jobs/stall-watch';

const progress = (p: Partial<TrainProgress>): TrainProgress => ({
  phase: 'fit',
  done: 1,
  total: 10,
  startedAt: 0,
  ...p,
});

describe('StallWatch', () => {
  it('declares a job stuck after the stall time, or 10 steps if a step is slower', () => {
    const watch = new StallWatch(180);
    const end = watch.start({ size: 128, imagesPerPass: 16 }, 0);
    expect(watch.inPasses).toBe(true);
    expect(watch.stalledFor(179_999)).toBeNull();
    expect(watch.stalledFor(180_000)).toBe(180);
    // A 30 s step: 10 steps (300 s) before a stall, measured from the last event.
    watch.observe(progress({ done: 1 }), 30_000);
    expect(watch.stalledFor(30_000 + 299_000)).toBeNull();
    expect(watch.stalledFor(30_000 + 300_000)).toBe(300);
    end();
    expect(watch.stalledFor(10_000_000)).toBeNull();
  });

  it('follows the pass shape the worker reports and hands it over once', () => {
    const watch = new StallWatch(180);
    watch.start(undefined, 0);
    expect(watch.inPasses).toBe(false); // head on cached features: no body pass to blame
    watch.observe(progress({ pass: { size: 224, imagesPerPass: 4 } }), 1000);
    expect(watch.inPasses).toBe(true);
    watch.observe(progress({ pass: undefined }), 2000); // an event without a shape keeps the last
    expect(watch.take()?.pass).toEqual({ size: 224, imagesPerPass: 4 });
    expect(watch.take()).toBeNull();
  });

  it('an ended job does not end the next one', () => {
    const watch = new StallWatch(1);
    const endFirst = watch.start(undefined, 0);
    watch.start({ size: 128, imagesPerPass: 8 }, 0);
    endFirst();
    expect(watch.inPasses).toBe(true);
  });
});

describe('afterProgress', () => {
  const empty = { train: null, batchLosses: [], lrSweep: [], job: null, notice: null };

  it("adds a fit's batch loss at its place on the epoch axis, and an LR sweep's point, each to its own series", () => {
    const a = afterProgress(empty, progress({ phase: 'fit', loss: 2.5, epochAt: 0.5 }));
    expect(a.batchLosses).toEqual([{ epoch: 0.5, loss: 2.5 }]);
    expect(a.lrSweep).toEqual([]);
    const b = afterProgress(a, progress({ phase: 'lr_find', lr: 1e-4, loss: 2.1 }));
    expect(b.batchLosses).toBe(a.batchLosses);
    expect(b.lrSweep).toEqual([{ lr: 1e-4, loss: 2.1 }]);
    const c = afterProgress(b, progress({ phase: 'fit', loss: 2.0, epochAt: 1 }));
    expect(c.batchLosses.map((p) => p.epoch)).toEqual([0.5, 1]);
    // Validation and saves carry no epochAt: no point.
    expect(afterProgress(c, progress({ phase: 'validate', loss: 9 })).batchLosses).toBe(c.batchLosses);
  });

  it("drops a cancelled epoch's points when the next fit starts where it started", () => {
    // Epoch 1 (x 0–1) recorded; epoch 2 cancelled at x 1.5; the next fit starts at 1 again.
    let s: Parameters<typeof afterProgress>[0] = empty;
    for (const [epochAt, loss] of [
      [0.5, 2],
      [1, 1.8],
      [1.5, 1.7],
    ])
      s = afterProgress(s, progress({ phase: 'fit', done: 1, epochAt, loss }));
    const restarted = afterProgress(s, progress({ phase: 'fit', done: 0, epochAt: 1 }));
    expect(restarted.batchLosses).toEqual([
      { epoch: 0.5, loss: 2 },
      { epoch: 1, loss: 1.8 },
    ]);
    // A fit that continues the history keeps every point (the same array: no chart redraw).
    const next = afterProgress(restarted, progress({ phase: 'fit', done: 0, epochAt: 1 }));
    expect(next.batchLosses).toBe(restarted.batchLosses);
  });

  it('keeps the batch losses while the worker holds the same model, drops them for another', () => {
    const points = [{ epoch: 0.5, loss: 2 }];
    expect(pointsForModel(points, { id: 3 }, { id: 3 })).toBe(points);
    expect(pointsForModel(points, { id: 3 }, { id: 4 })).toEqual([]);
    expect(pointsForModel(points, null, { id: 1 })).toEqual([]);
    expect(pointsForModel(points, { id: 1 }, null)).toEqual([]);
  });

  it("keeps the job's main progress through other phases, and the last notice", () => {
    const job = { id: 1, name: 'fit' as const, label: 'Training', startedAt: 0, main: null };
    const fit = progress({ phase: 'fit', done: 3, notice: 'Fewer images per pass.' });
    const a = afterProgress({ ...empty, job }, fit);
    expect(a.job?.main).toBe(fit);
    const validating = progress({ phase: 'validate', done: 1 });
    const b = afterProgress(a, validating);
    expect(b.train).toBe(validating);
    expect(b.job?.main).toBe(fit);
    expect(b.notice).toBe('Fewer images per pass.');
  });
});
