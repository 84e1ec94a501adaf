// Getting images in: download settings, the image relay, per-class progress, URL lists, local files.
import type { RefusedLine } from '../data/url-list.ts';

export interface IngestSettings {
  maxPerClass: number;
  parallel: number;
  timeoutMs: number;
  retries: number;
  /** Longest side of stored images, like verify_images(max_size=500). */
  maxSize: number;
  /** Larger downloads are refused ("too large"), checked from Content-Length and while streaming. */
  maxBytes: number;
  /** Fetch images from hosts that refuse CORS through the app server's relay, when it has one. */
  relay: boolean;
  corsProxy: string;
}

export const DEFAULT_INGEST_SETTINGS: IngestSettings = {
  maxPerClass: 300,
  parallel: 8,
  timeoutMs: 10_000,
  retries: 2,
  maxSize: 500,
  maxBytes: 20_000_000,
  relay: true,
  corsProxy: '',
};

/** The app server's same-origin image relay (see src/server/relay.ts); absent on static hosts. */
export const RELAY_PATH = '/__relay';
/** Every answer of the relay carries this header: a static host's 404 page does not. */
export const RELAY_HEADER = 'X-Image-Relay';

/** The relay's JSON body when it could not return an image. */
export interface RelayFailure {
  reason: 'invalid-url' | 'cors' | 'http' | 'timeout' | 'network' | 'not-image' | 'unsupported' | 'too-large';
  detail: string;
  /** Worth another try (a 5xx or 429 upstream, a busy relay). */
  retry?: boolean;
}

export interface ClassProgress {
  className: string;
  /** URLs this run will try (after skipping those already stored). */
  total: number;
  done: number;
  stored: number;
  failed: number;
  /** Of the stored: fetched through the relay. */
  viaRelay: number;
}

export interface IngestProgress {
  running: boolean;
  startedAt: number;
  classes: ClassProgress[];
  /** Why the run stopped early (quota, cancel), if it did. */
  message?: string;
  /** The browser storage is full: the run stopped; it resumes once space is freed. */
  storageFull?: boolean;
  /** This progress comes from the download running in another tab of the studio. */
  elsewhere?: boolean;
}

/** What parsing a dropped URL list left as a pending download (its URLs stay in IndexedDB). */
export interface PendingList {
  jobId: number;
  className: string;
  fileName: string;
  urlCount: number;
  skipped: { blank: number; duplicate: number; invalid: number };
  refused: RefusedLine[];
}

/** UI → list worker: parse this file into a pending job (merged with a pending job of its class). */
export interface ParseListCommand {
  id: number;
  file: Blob;
  fileName: string;
}

/** List worker → UI. */
export type ParseListEvent =
  | { id: number; type: 'progress'; bytes: number; total: number }
  | { id: number; type: 'done'; list: PendingList }
  | { id: number; type: 'failed'; code: 'storage-full' | 'storage' | 'unreadable'; message: string };

export interface LocalImage {
  className: string;
  path: string;
  file: Blob;
}

/**
 * What a classifier can be exported as: our own file (re-importable, with optimizer state and
 * history), a standard TF.js LayersModel zip (model.json + shards + README) for any TF.js app, or
 * an ONNX model (onnxruntime in Python, C++, on phones).
 */
export const MODEL_EXPORT_FORMATS = {
  artmodel: { label: 'Studio file (.artmodel, re-importable)', extension: '.artmodel' },
  tfjs: { label: 'TF.js LayersModel (.zip)', extension: '-tfjs.zip' },
  tfjs16: { label: 'TF.js LayersModel, float16 weights (.zip, half size)', extension: '-tfjs-f16.zip' },
  onnx: { label: 'ONNX (.onnx, NHWC input)', extension: '.onnx' },
} as const;
export type ModelExportFormat = keyof typeof MODEL_EXPORT_FORMATS;

export interface DatasetImportResult {
  stored: number;
  /** Already in the store (same class and image). */
  duplicates: number;
  /** One line per image that could not be used, naming the file and the reason. */
  rejected: string[];
  /** The split seed now in force (the zip's, when it was imported into an empty store). */
  splitSeed?: number;
  /** Why the import stopped early (storage full), when it did. */
  message?: string;
  /** A project's checkpoints, as stored here (renamed when the name was taken). */
  checkpoints: string[];
  /** A project's download settings (the Data tab applies them). */
  ingestSettings?: unknown;
}
