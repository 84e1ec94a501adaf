// The loss chart's series: the history's epochs at their ends on the epoch axis, the live batch
// losses between them (a reloaded or imported model's history shows without any batch).
import { describe, expect, it } from 'vitest';
import { lossSeries } from '../src/ui/train/loss-series';

const row = (trainLoss: number, validLoss: number) => ({ trainLoss, validLoss });

describe('lossSeries', () => {
  it('puts epoch i at x = i + 1, with or without batch points', () => {
    const history = [row(2, 1.5), row(1, 0.9), row(0.5, 0.7)];
    const loaded = lossSeries([], history);
    expect(loaded.batches).toEqual([]);
    expect(loaded.train).toEqual([
      { x: 1, y: 2 },
      { x: 2, y: 1 },
      { x: 3, y: 0.5 },
    ]);
    expect(loaded.valid.map((p) => p.x)).toEqual([1, 2, 3]);
    expect(loaded.valid.map((p) => p.y)).toEqual([1.5, 0.9, 0.7]);
  });

  it("places a continued run's batches after the loaded epochs, ending on its own epoch's row", () => {
    // Two epochs loaded, a third trained now in two batches.
    const series = lossSeries(
      [
        { epoch: 2.5, loss: 0.6 },
        { epoch: 3, loss: 0.4 },
      ],
      [row(2, 1.5), row(1, 0.9), row(0.5, 0.7)],
    );
    expect(series.batches).toEqual([
      { x: 2.5, y: 0.6 },
      { x: 3, y: 0.4 },
    ]);
    expect(series.batches.at(-1)!.x).toBe(series.valid.at(-1)!.x);
  });
});
