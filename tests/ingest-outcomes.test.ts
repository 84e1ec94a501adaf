// A download's outcome moves its class's counters together: `done` with `stored` (or a 'full'
// class's extra image), so a progress event never shows more images stored than done. The Data tab
// once read "9/100 · 15 stored": the image writer commits a batch at once, every image of the batch
// counted as stored before any was counted as done.
import { describe, expect, it } from 'vitest';
import type { AddOutcome } from '../src/data/images';
import type { StudioDb } from '../src/data/db';
import { emptyProgress, record, type Store } from '../src/worker/ingest/outcomes';
import type { Verified } from '../src/worker/ingest/verify';

const image = (i: number): Verified => ({
  ok: true,
  blob: new Blob([new Uint8Array([i])], { type: 'image/jpeg' }),
  width: 8,
  height: 8,
  hash: `hash-${i}`,
});

// The stored path never touches the database (the store is given); a failure's path would.
const noDb = null as unknown as StudioDb;

describe('ingest outcomes', () => {
  it('counts an image done as it counts it stored, a class already full as done only', async () => {
    const progress = emptyProgress('reds');
    await record(noDb, async () => 'added', 'reds', 'http://127.0.0.1/a.jpg', image(1), progress, true);
    expect(progress).toMatchObject({ done: 1, stored: 1, viaRelay: 1, failed: 0 });
    await record(noDb, async () => 'full', 'reds', 'http://127.0.0.1/b.jpg', image(2), progress);
    expect(progress).toMatchObject({ done: 2, stored: 1, failed: 0 });
  });

  it('never reports more stored than done while a batch of writes commits at once', async () => {
    const progress = emptyProgress('reds');
    let commit!: () => void;
    const committed = new Promise<void>((resolve) => (commit = resolve));
    // One batched transaction: every write of the batch resolves when it commits.
    const store: Store = () => committed.then((): AddOutcome => 'added');
    const seen: { done: number; stored: number }[] = [];
    // As the ingest does: each record's completion reports the progress as it stands.
    const pending = Array.from({ length: 6 }, (_, i) =>
      record(noDb, store, 'reds', `http://127.0.0.1/${i}.jpg`, image(i), progress).then(() =>
        seen.push({ done: progress.done, stored: progress.stored }),
      ),
    );
    commit();
    await Promise.all(pending);
    expect(seen).toHaveLength(6);
    for (const snapshot of seen) expect(snapshot.stored).toBeLessThanOrEqual(snapshot.done);
    expect(progress).toMatchObject({ done: 6, stored: 6 });
  });
});
