// The one data layer over IndexedDB (via idb), shared by the UI and the worker. Every write is a
// single transaction: a reload or crash leaves either the whole record or nothing.
import { openDB, type IDBPDatabase } from 'idb';
import {
  DB_NAME,
  DB_VERSION,
  MIGRATIONS,
  STORES,
  type FailureRecord,
  type ImageRecord,
  type JobRecord,
  type JobStatus,
  type StudioSchema,
} from './schema';
import type { ParsedUrlList } from './url-list';
import type { PendingList } from '../protocol';

export type StudioDb = IDBPDatabase<StudioSchema>;

let opening: Promise<StudioDb> | null = null;

export function openStudioDb(name = DB_NAME): Promise<StudioDb> {
  opening ??= openDB<StudioSchema>(name, DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, tx) {
      for (let v = oldVersion; v < DB_VERSION; v++) MIGRATIONS[v](db, tx);
    },
    blocking() {
      // A newer tab wants to upgrade: let it.
      void opening?.then((db) => db.close());
      opening = null;
    },
  });
  return opening;
}

/** A write IndexedDB refused; `full` when the storage quota is the reason. */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly full: boolean,
  ) {
    super(message);
  }
}

/**
 * Names a failed write truly. Chromium reports a full quota as QuotaExceededError, or (for Blob
 * writes) as an aborted transaction or "UnknownError": the quota estimate tells those apart.
 */
export async function storageFailure(error: unknown, bytes = 0): Promise<StorageError> {
  if (error instanceof StorageError) return error;
  const { name = 'Error', message = '' } = (error ?? {}) as { name?: string; message?: string };
  let full = name === 'QuotaExceededError';
  if (!full) {
    const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
    if (estimate?.quota) full = (estimate.usage ?? 0) + bytes + 64 * 1024 >= estimate.quota;
  }
  return full
    ? new StorageError('The browser storage is full.', true)
    : new StorageError(
        `The browser refused to store data (${name}: ${message || 'no details given'}).`,
        false,
      );
}

/**
 * Stores an image unless its class already holds the same picture or is full. The checks and the
 * write share one transaction, so parallel downloads cannot both slip past them. 'stored': this
 * very URL is already stored (a list dropped twice, another tab): not a failure.
 */
export async function addImage(
  db: StudioDb,
  record: ImageRecord,
  maxPerClass = Number.POSITIVE_INFINITY,
): Promise<'added' | 'stored' | 'duplicate' | 'full'> {
  // Relaxed durability: no fsync per image; a crash may lose the last few writes, never half of one.
  const tx = db.transaction([STORES.images, STORES.failures], 'readwrite', { durability: 'relaxed' });
  try {
    const images = tx.objectStore(STORES.images);
    const twin = await images.index('byClassHash').get([record.className, record.hash]);
    let outcome: 'added' | 'stored' | 'duplicate' | 'full' = 'added';
    if (twin) outcome = twin.url === record.url ? 'stored' : 'duplicate';
    else if ((await images.index('byClass').count(record.className)) >= maxPerClass) outcome = 'full';
    else {
      await images.add(record);
      await tx.objectStore(STORES.failures).delete([record.className, record.url]);
    }
    await tx.done;
    return outcome;
  } catch (error) {
    tx.done.catch(() => undefined);
    throw await storageFailure(tx.error ?? error, record.bytes);
  }
}

/** Every URL stored for a class, read from the index alone (no image data loaded). */
export async function storedUrls(db: StudioDb, className: string): Promise<Set<string>> {
  const urls = new Set<string>();
  const range = IDBKeyRange.bound([className, ''], [className, '\uffff']);
  let cursor = await db.transaction(STORES.images).store.index('byClassUrl').openKeyCursor(range);
  while (cursor) {
    urls.add((cursor.key as [string, string])[1]);
    cursor = await cursor.continue();
  }
  return urls;
}

export async function hasImage(db: StudioDb, className: string, url: string): Promise<boolean> {
  return (await db.countFromIndex(STORES.images, 'byClassUrl', [className, url])) > 0;
}

export async function putFailures(db: StudioDb, failures: FailureRecord[]): Promise<void> {
  const tx = db.transaction(STORES.failures, 'readwrite', { durability: 'relaxed' });
  try {
    await Promise.all([...failures.map((f) => tx.store.put(f)), tx.done]);
  } catch (error) {
    tx.done.catch(() => undefined);
    throw await storageFailure(tx.error ?? error);
  }
}

export async function countImages(db: StudioDb, className?: string): Promise<number> {
  return className === undefined
    ? db.count(STORES.images)
    : db.countFromIndex(STORES.images, 'byClass', className);
}

/** Stored images per class, sorted by class name. */
export async function classCounts(db: StudioDb): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let cursor = await db.transaction(STORES.images).store.index('byClass').openKeyCursor();
  while (cursor) {
    counts.set(cursor.key, (counts.get(cursor.key) ?? 0) + 1);
    cursor = await cursor.continue();
  }
  return new Map([...counts].sort(([a], [b]) => a.localeCompare(b)));
}

/** Images fetched through the relay, per class (from the index alone). */
export async function relayCounts(db: StudioDb): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  let cursor = await db.transaction(STORES.images).store.index('byRelayClass').openKeyCursor();
  while (cursor) {
    const className = cursor.key[1];
    counts.set(className, (counts.get(className) ?? 0) + 1);
    cursor = await cursor.continue();
  }
  return counts;
}

export async function listImages(db: StudioDb, className?: string): Promise<ImageRecord[]> {
  return className === undefined
    ? db.getAll(STORES.images)
    : db.getAllFromIndex(STORES.images, 'byClass', className);
}

export async function listFailures(db: StudioDb, className?: string): Promise<FailureRecord[]> {
  return className === undefined
    ? db.getAll(STORES.failures)
    : db.getAllFromIndex(STORES.failures, 'byClass', className);
}

/** Ids of a class's stored images, from the index alone (no image data loaded). */
export async function imageIdsOfClass(db: StudioDb, className: string): Promise<number[]> {
  return db.getAllKeysFromIndex(STORES.images, 'byClass', className);
}

export async function deleteImage(db: StudioDb, id: number): Promise<void> {
  await db.delete(STORES.images, id);
}

export async function relabelImage(db: StudioDb, id: number, className: string): Promise<void> {
  const tx = db.transaction(STORES.images, 'readwrite');
  const record = await tx.store.get(id);
  if (record) await tx.store.put({ ...record, className });
  await tx.done;
}

/** Stores a parsed list as a pending job, merged into the pending job of the same class if any. */
export async function savePendingList(
  db: StudioDb,
  parsed: ParsedUrlList,
  fileName: string,
): Promise<PendingList> {
  const tx = db.transaction([STORES.jobs, STORES.jobUrls], 'readwrite');
  try {
    const jobs = tx.objectStore(STORES.jobs);
    const stored = tx.objectStore(STORES.jobUrls);
    const pending = await jobs.index('byStatus').getAll('pending');
    const same = pending.find((j) => j.className === parsed.className);
    let job: JobRecord;
    let urls = parsed.urls;
    if (same) {
      const old = (await stored.get(same.id!))?.urls ?? [];
      const seen = new Set(old);
      const added = parsed.urls.filter((u) => !seen.has(u));
      urls = old.concat(added);
      const names = same.fileName.split(', ');
      job = {
        ...same,
        fileName: names.includes(fileName) ? same.fileName : `${same.fileName}, ${fileName}`,
        urlCount: urls.length,
        skipped: {
          blank: same.skipped.blank + parsed.skipped.blank,
          duplicate: same.skipped.duplicate + parsed.skipped.duplicate + parsed.urls.length - added.length,
          invalid: same.skipped.invalid + parsed.skipped.invalid,
        },
        refused: [...same.refused, ...parsed.refused].slice(0, MAX_REFUSED_KEPT),
      };
    } else {
      job = {
        className: parsed.className,
        fileName,
        urlCount: urls.length,
        skipped: parsed.skipped,
        refused: parsed.refused.slice(0, MAX_REFUSED_KEPT),
        status: 'pending',
        createdAt: Date.now(),
      };
    }
    job.id = await jobs.put(job);
    await stored.put({ jobId: job.id, urls });
    await tx.done;
    return pendingList(job);
  } catch (error) {
    tx.done.catch(() => undefined);
    throw await storageFailure(tx.error ?? error);
  }
}

/** Refused lines kept per job for the report (all are counted). */
export const MAX_REFUSED_KEPT = 1000;

function pendingList(job: JobRecord): PendingList {
  const { id, className, fileName, urlCount, skipped, refused } = job;
  return { jobId: id!, className, fileName, urlCount, skipped, refused };
}

export async function pendingLists(db: StudioDb): Promise<PendingList[]> {
  return (await db.getAllFromIndex(STORES.jobs, 'byStatus', 'pending')).map(pendingList);
}

export async function deleteJob(db: StudioDb, id: number): Promise<void> {
  const tx = db.transaction([STORES.jobs, STORES.jobUrls], 'readwrite');
  await Promise.all([
    tx.objectStore(STORES.jobs).delete(id),
    tx.objectStore(STORES.jobUrls).delete(id),
    tx.done,
  ]);
}

export async function updateJob(db: StudioDb, id: number, patch: Partial<JobRecord>): Promise<void> {
  const tx = db.transaction([STORES.jobs, STORES.jobUrls], 'readwrite');
  const job = await tx.objectStore(STORES.jobs).get(id);
  if (job) {
    await tx.objectStore(STORES.jobs).put({ ...job, ...patch });
    // A finished job keeps its counts, not its URL list.
    if (patch.status === 'done') await tx.objectStore(STORES.jobUrls).delete(id);
  }
  await tx.done;
}

export async function jobUrls(db: StudioDb, id: number): Promise<string[]> {
  return (await db.get(STORES.jobUrls, id))?.urls ?? [];
}

export async function getJob(db: StudioDb, id: number): Promise<JobRecord | undefined> {
  return db.get(STORES.jobs, id);
}

/** Jobs with the given statuses, read through the status index (never the whole store). */
export async function jobsWithStatus(db: StudioDb, ...statuses: JobStatus[]): Promise<JobRecord[]> {
  const found = await Promise.all(statuses.map((s) => db.getAllFromIndex(STORES.jobs, 'byStatus', s)));
  return found.flat().sort((a, b) => a.id! - b.id!);
}

/** Jobs a reload interrupted (or that never started): they resume on the next visit. */
export function unfinishedJobs(db: StudioDb): Promise<JobRecord[]> {
  return jobsWithStatus(db, 'queued', 'running');
}

export async function getMeta<T>(db: StudioDb, key: string): Promise<T | undefined> {
  return (await db.get(STORES.meta, key))?.value as T | undefined;
}

export async function setMeta(db: StudioDb, key: string, value: unknown): Promise<void> {
  await db.put(STORES.meta, { key, value });
}
