// One epoch of training batches as fast.ai's DataLoader draws them: the training set shuffled, cut
// into batches of the batch size, the last partial batch dropped (drop_last) — but never an epoch of
// nothing when the set holds at least 2 images, and never a batch of 1 (BatchNorm cannot train on it).
import { shuffle } from './random';

/** One training batch: the items and their rows in the training set (the feature cache's rows). */
export interface EpochBatch<T> {
  examples: T[];
  rows: number[];
}

/** Batches per epoch: the full batches; a set smaller than one batch gives one batch of it (≥ 2). */
export function batchesPerEpoch(n: number, batchSize: number): number {
  if (batchSize < 2) return 0;
  const full = Math.floor(n / batchSize);
  if (full === 0) return n >= 2 ? 1 : 0;
  return full;
}

/** The epoch's batches, shuffled with `random` (the run's seeded stream). */
export function epochPlan<T>(items: readonly T[], batchSize: number, random: () => number): EpochBatch<T>[] {
  const order = shuffle(
    items.map((e, i) => ({ e, i })),
    random,
  );
  const out: EpochBatch<T>[] = [];
  const count = batchesPerEpoch(items.length, batchSize);
  for (let b = 0; b < count; b++) {
    const slice = order.slice(b * batchSize, (b + 1) * batchSize);
    out.push({ examples: slice.map((x) => x.e), rows: slice.map((x) => x.i) });
  }
  return out;
}
