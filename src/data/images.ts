// Stored images and the downloads' failures: every write one transaction that checks and writes
// together (duplicates, the per-class cap), every read from an index where one answers it.
import type { IDBPObjectStore } from 'idb';
import { STORES, type FailureRecord, type ImageRecord, type StudioSchema } from './schema';
import { announce } from './changes';
import { storageFailure, type StudioDb } from './db';

/** A stored image as a Blob, whichever way it was stored. */
export function imageBlob(record: ImageRecord): Blob {
  return record.blob ?? new Blob([record.data!], { type: record.type ?? 'image/jpeg' });
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
