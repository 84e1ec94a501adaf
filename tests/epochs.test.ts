// fast.ai's epoch of batches: shuffled by the seed, last partial batch dropped, no batch of one.
import { describe, expect, it } from 'vitest';
import { batchesPerEpoch, epochPlan } from '../src/ml/epochs';
import { seededRandom } from '../src/ml/random';

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
