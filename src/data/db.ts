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
  type StudioSchema,
} from './schema';

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

export class QuotaError extends Error {}

function rethrowQuota(error: unknown): never {
  if (error instanceof DOMException && error.name === 'QuotaExceededError') {
    throw new QuotaError('The browser storage quota is full: no more images can be stored.');
  }
  throw error;
}

/**
 * Stores an image unless its class already holds the same picture or is full. The checks and the
 * write share one transaction, so parallel downloads cannot both slip past them.
 */
export async function addImage(
  db: StudioDb,
  record: ImageRecord,
  maxPerClass = Number.POSITIVE_INFINITY,
): Promise<'added' | 'duplicate' | 'full'> {
  try {
    // Relaxed durability: no fsync per image; a crash may lose the last few writes, never half of one.
    const tx = db.transaction([STORES.images, STORES.failures], 'readwrite', { durability: 'relaxed' });
    const images = tx.objectStore(STORES.images);
    if ((await images.index('byClassHash').count([record.className, record.hash])) > 0) {
      await tx.done;
      return 'duplicate';
    }
    if ((await images.index('byClass').count(record.className)) >= maxPerClass) {
      await tx.done;
      return 'full';
    }
    await images.add(record);
    await tx.objectStore(STORES.failures).delete([record.className, record.url]);
    await tx.done;
    return 'added';
  } catch (error) {
    rethrowQuota(error);
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

export async function putFailure(db: StudioDb, failure: FailureRecord): Promise<void> {
  try {
    await db.put(STORES.failures, failure);
  } catch (error) {
    rethrowQuota(error);
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

export async function addJob(db: StudioDb, job: JobRecord): Promise<number> {
  return db.add(STORES.jobs, job);
}

export async function updateJob(db: StudioDb, id: number, patch: Partial<JobRecord>): Promise<void> {
  const tx = db.transaction(STORES.jobs, 'readwrite');
  const job = await tx.store.get(id);
  if (job) await tx.store.put({ ...job, ...patch });
  await tx.done;
}

/** Jobs a reload interrupted (or that never started): they resume on the next visit. */
export async function unfinishedJobs(db: StudioDb): Promise<JobRecord[]> {
  const jobs = await db.getAll(STORES.jobs);
  return jobs.filter((j) => j.status === 'running' || j.status === 'queued');
}

export async function allJobs(db: StudioDb): Promise<JobRecord[]> {
  return db.getAll(STORES.jobs);
}

export async function getMeta<T>(db: StudioDb, key: string): Promise<T | undefined> {
  return (await db.get(STORES.meta, key))?.value as T | undefined;
}

export async function setMeta(db: StudioDb, key: string, value: unknown): Promise<void> {
  await db.put(STORES.meta, { key, value });
}
