// The one data layer over IndexedDB (via idb), shared by the UI and the worker. Every write is a
// single transaction: a reload or crash leaves either the whole record or nothing. Every write
// announces the stores it changed (see changes.ts), so every view can stay live.
import { openDB, type IDBPDatabase, type IDBPObjectStore } from 'idb';
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
import { announce } from './changes';

export type StudioDb = IDBPDatabase<StudioSchema>;

/** A stored image as a Blob, whichever way it was stored. */
export function imageBlob(record: ImageRecord): Blob {
  return record.blob ?? new Blob([record.data!], { type: record.type ?? 'image/jpeg' });
}

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

export type AddOutcome = 'added' | 'stored' | 'duplicate' | 'full';

/**
 * Stores images unless their class already holds the same picture or is full. 'stored': this very
 * URL is already stored (a list dropped twice, another tab): not a failure. The checks and the
 * writes share one transaction, so parallel downloads cannot both slip past them; several images
 * share one commit (a commit per image halves the download rate).
 */
export async function addImages(
  db: StudioDb,
  records: ImageRecord[],
  maxPerClass = Number.POSITIVE_INFINITY,
): Promise<AddOutcome[]> {
  // Relaxed durability: no fsync per commit; a crash may lose the last few writes, never half of one.
  const tx = db.transaction([STORES.images, STORES.failures], 'readwrite', { durability: 'relaxed' });
  try {
    const images = tx.objectStore(STORES.images);
    // Every lookup is issued at once (requests in a transaction run in order, so pipelining them
    // saves a round trip each); counts, not gets, so no twin's image bytes are copied.
    const [sameHash, sameUrl, perClass] = await Promise.all([
      Promise.all(records.map((r) => images.index('byClassHash').count([r.className, r.hash]))),
      Promise.all(records.map((r) => images.index('byClassUrl').count([r.className, r.url]))),
      countClasses(images, records, maxPerClass),
    ]);
    const batchHashes = new Map<string, string>(); // class + hash → url, for twins within the batch
    const outcomes = records.map((record, i): AddOutcome => {
      const key = `${record.className}\n${record.hash}`;
      const twinUrl = batchHashes.get(key);
      if (sameHash[i] > 0 || twinUrl !== undefined)
        return sameUrl[i] > 0 || twinUrl === record.url ? 'stored' : 'duplicate';
      const count = perClass.get(record.className) ?? 0;
      if (count >= maxPerClass) return 'full';
      perClass.set(record.className, count + 1);
      batchHashes.set(key, record.url);
      // Not awaited one by one; a failure aborts the transaction and surfaces from tx.done.
      images.add(record).catch(() => undefined);
      tx.objectStore(STORES.failures)
        .delete([record.className, record.url])
        .catch(() => undefined);
      return 'added';
    });
    await tx.done;
    announce(STORES.images, STORES.failures);
    return outcomes;
  } catch (error) {
    tx.done.catch(() => undefined);
    throw await storageFailure(
      tx.error ?? error,
      records.reduce((n, r) => n + r.bytes, 0),
    );
  }
}

/** Stored images per class of these records (none counted when classes have no cap). */
async function countClasses(
  images: IDBPObjectStore<StudioSchema, ('images' | 'failures')[], 'images', 'readwrite'>,
  records: ImageRecord[],
  maxPerClass: number,
): Promise<Map<string, number>> {
  if (maxPerClass === Number.POSITIVE_INFINITY) return new Map();
  const classes = [...new Set(records.map((r) => r.className))];
  const counts = await Promise.all(classes.map((c) => images.index('byClass').count(c)));
  return new Map(classes.map((c, i) => [c, counts[i]]));
}

export async function addImage(db: StudioDb, record: ImageRecord, maxPerClass?: number): Promise<AddOutcome> {
  return (await addImages(db, [record], maxPerClass))[0];
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

export async function putFailures(db: StudioDb, failures: FailureRecord[]): Promise<void> {
  const tx = db.transaction(STORES.failures, 'readwrite', { durability: 'relaxed' });
  try {
    await Promise.all([...failures.map((f) => tx.store.put(f)), tx.done]);
    announce(STORES.failures);
  } catch (error) {
    tx.done.catch(() => undefined);
    throw await storageFailure(tx.error ?? error);
  }
}

/**
 * Stored images per class, sorted by class name: one step per class (a unique-key cursor, then a
 * count per class), not one per image, so a 5,400-image store is read in a few dozen round trips.
 */
export async function classCounts(db: StudioDb): Promise<Map<string, number>> {
  return countsPerClass(db, 'byClass', (key) => key);
}

/** Images fetched through the relay, per class. */
export async function relayCounts(db: StudioDb): Promise<Map<string, number>> {
  return countsPerClass(db, 'byRelayClass', (key) => key[1]);
}

async function countsPerClass<I extends 'byClass' | 'byRelayClass'>(
  db: StudioDb,
  index: I,
  className: (key: StudioSchema['images']['indexes'][I]) => string,
): Promise<Map<string, number>> {
  const store = db.transaction(STORES.images).store.index(index);
  const keys: StudioSchema['images']['indexes'][I][] = [];
  let cursor = await store.openKeyCursor(null, 'nextunique');
  while (cursor) {
    keys.push(cursor.key as StudioSchema['images']['indexes'][I]);
    cursor = await cursor.continue();
  }
  const counts = await Promise.all(keys.map((key) => store.count(IDBKeyRange.only(key))));
  return new Map(
    keys
      .map((key, i) => [className(key), counts[i]] as [string, number])
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

export async function listImages(db: StudioDb, className?: string): Promise<ImageRecord[]> {
  return className === undefined
    ? db.getAll(STORES.images)
    : db.getAllFromIndex(STORES.images, 'byClass', className);
}

/** The records of these ids that still exist, in that order (one transaction). */
export async function getImages(db: StudioDb, ids: number[]): Promise<ImageRecord[]> {
  const store = db.transaction(STORES.images).store;
  const found = await Promise.all(ids.map((id) => store.get(id)));
  return found.filter((r): r is ImageRecord => !!r);
}

/** Ids of the stored images (of a class, or all), from keys alone: no image data loaded. */
export async function imageIds(db: StudioDb, className?: string): Promise<number[]> {
  return className === undefined
    ? db.getAllKeys(STORES.images)
    : db.getAllKeysFromIndex(STORES.images, 'byClass', className);
}

/** Every record without its image data, read one at a time (no single long copy on the page). */
export async function listImageInfo(db: StudioDb): Promise<Omit<ImageRecord, 'data' | 'blob'>[]> {
  const out: Omit<ImageRecord, 'data' | 'blob'>[] = [];
  let cursor = await db.transaction(STORES.images).store.openCursor();
  while (cursor) {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { data, blob, ...info } = cursor.value;
    out.push(info);
    cursor = await cursor.continue();
  }
  return out;
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

/** Deletes one image; returns its record, so the deletion can be undone (restoreImage). */
export async function deleteImage(db: StudioDb, id: number): Promise<ImageRecord | undefined> {
  const tx = db.transaction(STORES.images, 'readwrite');
  const record = await tx.store.get(id);
  await Promise.all([tx.store.delete(id), tx.done]);
  announce(STORES.images);
  return record;
}

/** Puts a deleted image back, with its id, split and bytes (undo). */
export async function restoreImage(db: StudioDb, record: ImageRecord): Promise<void> {
  await db.put(STORES.images, record);
  announce(STORES.images);
}

/** Moves one image to another class; returns the class it had (for undo). */
export async function relabelImage(db: StudioDb, id: number, className: string): Promise<string | undefined> {
  const tx = db.transaction(STORES.images, 'readwrite');
  const record = await tx.store.get(id);
  if (record) await tx.store.put({ ...record, className });
  await tx.done;
  announce(STORES.images);
  return record?.className;
}

/** Deletes every image, failure and download job (checkpoints stay). */
export async function clearDataset(db: StudioDb): Promise<void> {
  const stores = [STORES.images, STORES.failures, STORES.jobs, STORES.jobUrls] as const;
  const tx = db.transaction(stores, 'readwrite');
  await Promise.all([...stores.map((s) => tx.objectStore(s).clear()), tx.done]);
  announce(...stores);
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
    announce(STORES.jobs);
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
  announce(STORES.jobs);
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
  announce(STORES.jobs);
}

export async function jobUrls(db: StudioDb, id: number): Promise<string[]> {
  return (await db.get(STORES.jobUrls, id))?.urls ?? [];
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
  announce(STORES.meta);
}
