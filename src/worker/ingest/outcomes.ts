// One download's outcome, recorded: a verified image stored (or counted a duplicate of one its class
// already holds), a failure stored with its reason — shared by URL downloads and dropped files. The
// class's counters move together (done with stored or failed), so no progress event shows more
// images stored than done.
import type { StudioDb } from '../../data/db';
import { putFailures, type AddOutcome } from '../../data/images';
import type { FailureReason, ImageRecord } from '../../data/schema';
import type { ClassProgress } from '../../protocol';
import type { Verified } from './verify';

export const emptyProgress = (className: string): ClassProgress => ({
  className,
  total: 0,
  done: 0,
  stored: 0,
  failed: 0,
  viaRelay: 0,
});

export type Store = (record: ImageRecord) => Promise<AddOutcome>;

export async function record(
  db: StudioDb,
  store: Store,
  className: string,
  url: string,
  verified: Verified,
  progress: ClassProgress,
  viaRelay = false,
): Promise<void> {
  if (!verified.ok) return fail(db, className, url, verified.reason, verified.detail, progress);
  const outcome = await store({
    className,
    url,
    width: verified.width,
    height: verified.height,
    bytes: verified.blob.size,
    data: await verified.blob.arrayBuffer(),
    type: verified.blob.type,
    hash: verified.hash,
    addedAt: Date.now(),
    ...(viaRelay ? { viaRelay: 1 as const } : {}),
  });
  if (outcome === 'duplicate') {
    return fail(db, className, url, 'duplicate', 'the same image is already in this class', progress);
  }
  // 'full': the pool finished more downloads than the class had room for; not a failure.
  if (outcome === 'added') {
    progress.stored++;
    if (viaRelay) progress.viaRelay++;
  }
  progress.done++;
}

async function fail(
  db: StudioDb,
  className: string,
  url: string,
  reason: FailureReason,
  detail: string,
  progress: ClassProgress,
): Promise<void> {
  await putFailures(db, [{ className, url, reason, detail, at: Date.now() }]);
  progress.failed++;
  progress.done++;
}
