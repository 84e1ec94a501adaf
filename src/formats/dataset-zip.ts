// The portable dataset: one .zip with the images in class folders and labels.csv (file, class,
// split, source URL, SHA-256 of the file, SHA-256 of the bytes first downloaded, size), plus
// dataset.json (format, version, split seed). Written and read here, with no storage and no DOM, so
// Node tests cover it; the Data tab exports it and the worker imports it.
import { strFromU8, strToU8, unzipSync, zipSync, type Zippable } from 'fflate';
import { csvFields, redactCredentials, toCsv } from '../data/url-list';

export const DATASET_FORMAT = 'deep-art-studio/dataset';
export const DATASET_VERSION = 1;
export const LABELS_FILE = 'labels.csv';
export const INFO_FILE = 'dataset.json';
const LABEL_COLUMNS = [
  'file',
  'class',
  'split',
  'url',
  'sha256',
  'source_sha256',
  'width',
  'height',
] as const;

export interface DatasetImage {
  className: string;
  url: string;
  split?: 'train' | 'valid';
  /** SHA-256 of the bytes first downloaded (the app's duplicate key; the stored file may be re-encoded). */
  sourceHash: string;
  width: number;
  height: number;
  type: string;
  bytes: Uint8Array;
}

export interface DatasetInfo {
  format: typeof DATASET_FORMAT;
  version: number;
  /** The seed the stored split was drawn with (absent: no split yet). */
  splitSeed?: number;
  exportedAt: string;
}

export type DatasetZipFailure = 'not-a-zip' | 'not-a-dataset' | 'bad-labels';

export class DatasetZipError extends Error {
  constructor(
    readonly code: DatasetZipFailure,
    message: string,
  ) {
    super(message);
    this.name = 'DatasetZipError';
  }
}

/** One image of a read zip, checked against labels.csv; `problem` says why it cannot be used. */
export interface ReadImage extends DatasetImage {
  file: string;
  problem?: string;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

const EXTENSIONS: Record<string, string> = {
  'image/jpeg': 'jpg',
  'image/png': 'png',
  'image/webp': 'webp',
  'image/gif': 'gif',
  'image/bmp': 'bmp',
  'image/avif': 'avif',
};
const TYPES = Object.fromEntries(Object.entries(EXTENSIONS).map(([t, e]) => [e, t]));
TYPES.jpeg = 'image/jpeg';

/** A class name as a folder name: no separators, no dot-only names, nothing a file system refuses. */
export function folderName(className: string): string {
  const safe = [...className]
    .map((ch) => (ch.charCodeAt(0) < 32 || '\\/:*?"<>|'.includes(ch) ? '_' : ch))
    .join('')
    .trim();
  return /^\.*$/.test(safe) ? `_${safe}` : safe;
}

/** The zip's bytes. Images are stored, not deflated: JPEG and PNG are compressed already. */
export async function buildDatasetZip(
  images: readonly DatasetImage[],
  info: Omit<DatasetInfo, 'format' | 'version' | 'exportedAt'>,
): Promise<Uint8Array> {
  const files: Zippable = {};
  for (const [path, bytes] of await datasetFiles(images, info))
    files[path] = path.startsWith('images/') ? [bytes, { level: 0 }] : bytes;
  return zipSync(files);
}

/** The dataset's files by path: images/<class>/…, labels.csv, dataset.json. */
export async function datasetFiles(
  images: readonly DatasetImage[],
  info: Omit<DatasetInfo, 'format' | 'version' | 'exportedAt'>,
): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const rows: (string | number)[][] = [];
  const counters = new Map<string, number>();
  for (const image of images) {
    const folder = folderName(image.className);
    const n = (counters.get(folder) ?? 0) + 1;
    counters.set(folder, n);
    const hash = await sha256Hex(image.bytes);
    const file = `images/${folder}/${String(n).padStart(5, '0')}-${hash.slice(0, 8)}.${EXTENSIONS[image.type] ?? 'jpg'}`;
    files.set(file, image.bytes);
    rows.push([
      file,
      image.className,
      image.split ?? '',
      redactCredentials(image.url),
      hash,
      image.sourceHash,
      image.width,
      image.height,
    ]);
  }
  const full: DatasetInfo = {
    format: DATASET_FORMAT,
    version: DATASET_VERSION,
    ...info,
    exportedAt: new Date().toISOString(),
  };
  files.set(LABELS_FILE, strToU8(toCsv(LABEL_COLUMNS, rows)));
  files.set(INFO_FILE, strToU8(JSON.stringify(full, null, 2) + '\n'));
  return files;
}

/** toCsv's guard against spreadsheet formulas, undone. */
const unguard = (cell: string) => (/^'[=+\-@\t\r]/.test(cell) ? cell.slice(1) : cell);

/** Reads a dataset zip; every labelled image comes back, with a problem where it is unusable. */
export async function readDatasetZip(
  bytes: Uint8Array,
): Promise<{ info: DatasetInfo; images: ReadImage[]; files: Record<string, Uint8Array> }> {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes);
  } catch (error) {
    throw new DatasetZipError('not-a-zip', `This is not a readable .zip file (${(error as Error).message}).`);
  }
  const labels = files[LABELS_FILE];
  if (!labels)
    throw new DatasetZipError(
      'not-a-dataset',
      `The zip has no ${LABELS_FILE}: it is not a dataset exported by the studio.`,
    );
  let info: DatasetInfo = { format: DATASET_FORMAT, version: DATASET_VERSION, exportedAt: '' };
  if (files[INFO_FILE]) {
    try {
      info = { ...info, ...(JSON.parse(strFromU8(files[INFO_FILE])) as Partial<DatasetInfo>) };
    } catch {
      throw new DatasetZipError('not-a-dataset', `${INFO_FILE} in the zip is not valid JSON.`);
    }
    if (info.format !== DATASET_FORMAT)
      throw new DatasetZipError(
        'not-a-dataset',
        `${INFO_FILE} describes "${String(info.format)}", not a dataset.`,
      );
  }
  const lines = strFromU8(labels)
    .split(/\r?\n/)
    .filter((l) => l.trim());
  const header = csvFields(lines[0] ?? '').map((h) => h.toLowerCase());
  const column = (name: string) => header.indexOf(name);
  const [fileAt, classAt] = [column('file'), column('class')];
  if (fileAt < 0 || classAt < 0)
    throw new DatasetZipError('bad-labels', `${LABELS_FILE} needs at least the columns "file" and "class".`);
  const images: ReadImage[] = [];
  for (const line of lines.slice(1)) {
    const cells = csvFields(line).map(unguard);
    const cell = (name: string) => (column(name) >= 0 ? (cells[column(name)] ?? '') : '');
    const file = cells[fileAt] ?? '';
    const data = files[file];
    const extension = file.split('.').pop()?.toLowerCase() ?? '';
    const split = cell('split');
    const image: ReadImage = {
      file,
      className: cells[classAt] ?? '',
      url: cell('url') || `file:${file}`,
      split: split === 'train' || split === 'valid' ? split : undefined,
      sourceHash: cell('source_sha256') || cell('sha256'),
      width: Number(cell('width')) || 0,
      height: Number(cell('height')) || 0,
      type: TYPES[extension] ?? 'image/jpeg',
      bytes: data ?? new Uint8Array(0),
    };
    if (!image.className) image.problem = 'no class';
    else if (!data) image.problem = `${file} is listed but not in the zip`;
    else if (cell('sha256') && (await sha256Hex(data)) !== cell('sha256').toLowerCase())
      image.problem = `${file} does not match its SHA-256 in ${LABELS_FILE} (damaged or altered)`;
    if (!image.sourceHash && data) image.sourceHash = await sha256Hex(data);
    images.push(image);
  }
  return { info, images, files };
}
