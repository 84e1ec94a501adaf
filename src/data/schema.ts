// The IndexedDB schema: store names in one table, records typed, migrations written as code.
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { LrFindResult, TrainConfig } from '../protocol';
import type { RefusedLine } from './url-list';

export const DB_NAME = 'deep-art-studio';

export const STORES = {
  images: 'images',
  failures: 'failures',
  jobs: 'jobs',
  meta: 'meta',
  checkpoints: 'checkpoints',
  jobUrls: 'jobUrls',
} as const;

export type Split = 'train' | 'valid';

export interface ImageRecord {
  id?: number;
  className: string;
  /** Source URL, or `file:<relative path>` for dropped local files. */
  url: string;
  width: number;
  height: number;
  bytes: number;
  /** The encoded image. New records hold it as bytes (`data` + `type`): small values sit inside
   * IndexedDB's own files, where a Blob costs a file of its own per image (half the download rate).
   * Records stored before that hold a Blob. Read either with imageBlob(). */
  data?: ArrayBuffer;
  type?: string;
  blob?: Blob;
  /** SHA-256 of the downloaded bytes: the same picture twice in a class is a duplicate. */
  hash: string;
  addedAt: number;
  split?: Split;
  /** 1: fetched through the app server's image relay (the host refused CORS). A number, not a
   * boolean, so that the byRelayClass index (booleans are no IndexedDB keys) lists these records. */
  viaRelay?: 1;
}

export type FailureReason =
  | 'invalid-url'
  | 'http'
  | 'timeout'
  | 'cors'
  | 'network'
  | 'not-image'
  | 'unsupported'
  | 'corrupt'
  | 'truncated'
  | 'too-large'
  | 'duplicate';

export interface FailureRecord {
  className: string;
  url: string;
  reason: FailureReason;
  detail: string;
  at: number;
}

/**
 * A dropped URL list. Light (the tab reads these): its URLs live in `jobUrls` under the same id, and
 * are deleted once the job is done (a finished 1-million-URL list keeps only its counts).
 */
export interface JobRecord {
  id?: number;
  className: string;
  /** The dropped file(s) this list came from (a list dropped twice is merged: both names). */
  fileName: string;
  urlCount: number;
  skipped: { blank: number; duplicate: number; invalid: number };
  /** The first refused lines (line number, redacted text, reason); all are counted in skipped. */
  refused: RefusedLine[];
  /** pending: parsed, not yet sent to download (the user may rename or remove it). */
  status: JobStatus;
  message?: string;
  createdAt: number;
}

export type JobStatus = 'pending' | 'queued' | 'running' | 'done' | 'cancelled' | 'stopped';

export interface JobUrlsRecord {
  jobId: number;
  urls: string[];
}

export interface CheckpointRecord {
  name: string;
  savedAt: number;
  stage: 'frozen' | 'unfrozen';
  classes: string[];
  seed: number;
  size: number;
  errorRate: number | null;
  history: unknown[];
  /** The training settings (absent in checkpoints saved before it was stored). */
  config?: TrainConfig;
  /** Variables by stable name; Adam moments as `<name>#m` / `<name>#v`. Blobs: the browser keeps
   * them as files, so a 300 MB checkpoint does not have to fit in one in-memory value. */
  tensors: { name: string; shape: number[]; data: Blob }[];
  optimizerStep: number;
  /** The LR finder's sweep and the user's pick (absent in older checkpoints). */
  lrFind?: LrFindResult | null;
}

export interface MetaRecord {
  key: string;
  value: unknown;
}

export interface StudioSchema extends DBSchema {
  images: {
    key: number;
    value: ImageRecord;
    indexes: {
      byClass: string;
      byClassUrl: [string, string];
      byClassHash: [string, string];
      byRelayClass: [number, string];
    };
  };
  failures: { key: [string, string]; value: FailureRecord; indexes: { byClass: string } };
  jobs: { key: number; value: JobRecord; indexes: { byStatus: string } };
  meta: { key: string; value: MetaRecord };
  checkpoints: { key: string; value: CheckpointRecord };
  jobUrls: { key: number; value: JobUrlsRecord };
}

type UpgradeTx = IDBPTransaction<StudioSchema, StoreNames<StudioSchema>[], 'versionchange'>;
type Migration = (db: IDBPDatabase<StudioSchema>, tx: UpgradeTx) => void;

/** MIGRATIONS[i] upgrades version i to i + 1. Append, never edit: users have old versions. */
export const MIGRATIONS: Migration[] = [
  (db) => {
    const images = db.createObjectStore(STORES.images, { keyPath: 'id', autoIncrement: true });
    images.createIndex('byClass', 'className');
    images.createIndex('byClassUrl', ['className', 'url']);
    images.createIndex('byClassHash', ['className', 'hash']);
    const failures = db.createObjectStore(STORES.failures, { keyPath: ['className', 'url'] });
    failures.createIndex('byClass', 'className');
    const jobs = db.createObjectStore(STORES.jobs, { keyPath: 'id', autoIncrement: true });
    jobs.createIndex('byStatus', 'status');
    db.createObjectStore(STORES.meta, { keyPath: 'key' });
  },
  // v2: trained models.
  (db) => {
    db.createObjectStore(STORES.checkpoints, { keyPath: 'name' });
  },
  // v3: images fetched through the relay indexed; job URLs apart from the job records (a tab reads jobs without their URL lists); finished
  // jobs are compacted.
  (db, tx) => {
    tx.objectStore(STORES.images).createIndex('byRelayClass', ['viaRelay', 'className']);
    db.createObjectStore(STORES.jobUrls, { keyPath: 'jobId' });
    const jobs = tx.objectStore(STORES.jobs);
    const urls = tx.objectStore(STORES.jobUrls);
    void jobs.openCursor().then(async function move(cursor): Promise<void> {
      if (!cursor) return;
      const old = cursor.value as JobRecord & { urls?: string[] };
      const finished = old.status !== 'queued' && old.status !== 'running' && old.status !== 'stopped';
      if (!finished && old.urls) await urls.put({ jobId: old.id!, urls: old.urls });
      const { urls: list = [], ...rest } = old;
      await cursor.update({ ...rest, urlCount: list.length, refused: [] });
      return move(await cursor.continue());
    });
  },
];

export const DB_VERSION = MIGRATIONS.length;
