// The one data layer over IndexedDB (via idb), shared by the UI and the worker. Every write is a
// single transaction: a reload or crash leaves either the whole record or nothing. Every write
// announces the stores it changed (see changes.ts), so every view can stay live.
// This module opens the database and names write failures; images.ts and jobs.ts hold the records.
import { openDB, type IDBPDatabase } from 'idb';
import { DB_NAME, DB_VERSION, MIGRATIONS, STORES, type StudioSchema } from './schema';
import { announce } from './changes';

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
    /** What the quota estimate and the browser said, e.g. "4.21 GB of this site's 4.33 GB quota in use, 307.0 MB more needed". */
    readonly detail = '',
  ) {
    super(message);
  }
}

/** Storage sizes as the Data tab and the storage messages show them. */
export function formatBytes(bytes: number): string {
  return bytes > 1e9 ? `${(bytes / 1e9).toFixed(2)} GB` : `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The quota's figures as a person reads them (pure; see storageFailure). */
export function quotaDetail(usage: number, quota: number, needed: number, browserSaid: string): string {
  const figures = `${formatBytes(usage)} of this site's ${formatBytes(quota)} quota in use`;
  const more = needed > 0 ? `, ${formatBytes(needed)} more needed` : '';
  return `${figures}${more}; the browser said ${browserSaid}`;
}

/**
 * Names a failed write truly. Chromium reports a full quota as QuotaExceededError, or (for Blob
 * writes) as an aborted transaction or "UnknownError": the quota estimate tells those apart, and its
 * figures go with the message (a private window's quota is a share of memory, far below a profile's).
 */
export async function storageFailure(error: unknown, bytes = 0): Promise<StorageError> {
  if (error instanceof StorageError) return error;
  const { name = 'Error', message = '' } = (error ?? {}) as { name?: string; message?: string };
  const estimate = await navigator.storage?.estimate?.().catch(() => undefined);
  const usage = estimate?.usage ?? 0;
  const quota = estimate?.quota ?? 0;
  const full = name === 'QuotaExceededError' || (quota > 0 && usage + bytes + 64 * 1024 >= quota);
  if (!full)
    return new StorageError(
      `The browser refused to store data (${name}: ${message || 'no details given'}).`,
      false,
    );
  const detail = quota > 0 ? quotaDetail(usage, quota, bytes, name) : `the browser said ${name}`;
  return new StorageError(`The browser storage is full (${detail}).`, true, detail);
}

/** Deletes every image, failure and download job (checkpoints stay). */
export async function clearDataset(db: StudioDb): Promise<void> {
  const stores = [STORES.images, STORES.failures, STORES.jobs, STORES.jobUrls] as const;
  const tx = db.transaction(stores, 'readwrite');
  await Promise.all([...stores.map((s) => tx.objectStore(s).clear()), tx.done]);
  announce(...stores);
}

export async function getMeta<T>(db: StudioDb, key: string): Promise<T | undefined> {
  return (await db.get(STORES.meta, key))?.value as T | undefined;
}

export async function setMeta(db: StudioDb, key: string, value: unknown): Promise<void> {
  await db.put(STORES.meta, { key, value });
  announce(STORES.meta);
}
