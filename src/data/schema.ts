// The IndexedDB schema: store names in one table, records typed, migrations written as code.
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { TrainConfig } from '../protocol';

export const DB_NAME = 'deep-art-studio';

export const STORES = {
  images: 'images',
  failures: 'failures',
  jobs: 'jobs',
  meta: 'meta',
  checkpoints: 'checkpoints',
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
  blob: Blob;
  /** SHA-256 of the downloaded bytes: the same picture twice in a class is a duplicate. */
  hash: string;
  addedAt: number;
  split?: Split;
}

export type FailureReason =
  'http' | 'timeout' | 'cors' | 'network' | 'not-image' | 'truncated' | 'too-large' | 'duplicate';

export interface FailureRecord {
  className: string;
  url: string;
  reason: FailureReason;
  detail: string;
  at: number;
}

export interface JobRecord {
  id?: number;
  className: string;
  fileName: string;
  urls: string[];
  skipped: { blank: number; duplicate: number; invalid: number };
  status: 'queued' | 'running' | 'done' | 'cancelled' | 'stopped';
  message?: string;
  createdAt: number;
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
}

export interface MetaRecord {
  key: string;
  value: unknown;
}

export interface StudioSchema extends DBSchema {
  images: {
    key: number;
    value: ImageRecord;
    indexes: { byClass: string; byClassUrl: [string, string]; byClassHash: [string, string] };
  };
  failures: { key: [string, string]; value: FailureRecord; indexes: { byClass: string } };
  jobs: { key: number; value: JobRecord; indexes: { byStatus: string } };
  meta: { key: string; value: MetaRecord };
  checkpoints: { key: string; value: CheckpointRecord };
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
];

export const DB_VERSION = MIGRATIONS.length;
