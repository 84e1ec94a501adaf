// fast.ai's epoch of batches: shuffled by the seed, last partial batch dropped, no batch of one.
import { describe, expect, it } from 'vitest';
import { batchesPerEpoch, epochPlan } from '../src/ml/epochs';
import { RunRandom, seededRandom } from '../src/ml/random';

describe('epochPlan', () => {
  it('drops the last partial batch, keeps a small set as one batch, never a batch of one', () => {
    expect(batchesPerEpoch(1030, 16)).toBe(64);
    expect(batchesPerEpoch(32, 16)).toBe(2);
    expect(batchesPerEpoch(5, 16)).toBe(1);
    expect(batchesPerEpoch(1, 16)).toBe(0);
    expect(batchesPerEpoch(10, 1)).toBe(0);
  });

  it('shuffles with the seed: the same seed gives the same batches, each row once at most', () => {
    const items = Array.from({ length: 37 }, (_, i) => `image ${i}`);
    const plan = epochPlan(items, 8, seededRandom(5));
    expect(plan.map((b) => b.examples.length)).toEqual([8, 8, 8, 8]);
    const rows = plan.flatMap((b) => b.rows);
    expect(new Set(rows).size).toBe(32);
    plan.forEach((b) => b.rows.forEach((row, k) => expect(b.examples[k]).toBe(items[row])));
    expect(rows).not.toEqual([...rows].sort((a, b) => a - b));
    expect(epochPlan(items, 8, seededRandom(5))).toEqual(plan);
    expect(epochPlan(items, 8, seededRandom(6))).not.toEqual(plan);
  });
});

describe('RunRandom', () => {
  const draws = (r: RunRandom) => [r.augment(), r.dropoutSeed(), r.mixup(), r.augment()];
  it('gives three streams of their own from the seed, the same for the same seed', () => {
    const a = draws(new RunRandom(42));
    expect(draws(new RunRandom(42))).toEqual(a);
    expect(draws(new RunRandom(43))).not.toEqual(a);
    // Drawing from one stream leaves the others where they were.
    const b = new RunRandom(42);
    for (let i = 0; i < 5; i++) b.mixup();
    expect(b.augment()).toBe(a[0]);
    expect(b.dropoutSeed()).toBe(a[1]);
  });
  it('returns every stream to a bookmark, and restarts them all', () => {
    const r = new RunRandom(7);
    r.augment();
    const back = r.bookmark();
    const after = draws(r);
    back();
    expect(draws(r)).toEqual(after);
    r.restart();
    expect(draws(r)).toEqual(draws(new RunRandom(7)));
  });
});
