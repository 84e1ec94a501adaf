// The project file: the portable dataset (see dataset-zip.ts) plus chosen checkpoints — complete,
// with Adam's moments, history, settings and the LR finder's sweep, so training continues where it
// stopped — and the download settings, in one zip. Written as a stream (a checkpoint of the unfrozen
// stage is ~300 MB: the zip never holds two copies of it), read by the worker.
import { strFromU8, strToU8, Zip, ZipPassThrough } from 'fflate';
import type { CheckpointRecord } from '../data/schema';
import { folderName } from './dataset-zip';

export const PROJECT_FILE = 'project.json';
export const PROJECT_FORMAT = 'deep-art-studio/project';

export interface ProjectInfo {
  format: typeof PROJECT_FORMAT;
  version: 1;
  /** Checkpoint names and their folders in the zip. */
  checkpoints: { name: string; folder: string }[];
  /** The Data tab's download settings. */
  ingestSettings?: unknown;
}

type RecordHeader = Omit<CheckpointRecord, 'tensors'> & {
  tensors: { name: string; shape: number[]; offset: number; bytes: number }[];
};

/** A streaming zip writer whose output is collected as Blob parts. */
export class ZipStream {
  private readonly parts: Uint8Array[] = [];
  private readonly zip: Zip;
  private done!: Promise<Blob>;

  constructor() {
    let resolve!: (blob: Blob) => void;
    let reject!: (error: Error) => void;
    this.done = new Promise<Blob>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    this.zip = new Zip((error, chunk, final) => {
      if (error) return reject(error);
      this.parts.push(chunk);
      if (final) resolve(new Blob(this.parts as unknown as ArrayBuffer[], { type: 'application/zip' }));
    });
  }

  /** Adds a file from chunks, stored (not deflated). */
  async add(path: string, chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<void> {
    const file = new ZipPassThrough(path);
    this.zip.add(file);
    let previous: Uint8Array | null = null;
    for await (const chunk of chunks) {
      if (previous) file.push(previous);
      previous = chunk;
    }
    file.push(previous ?? new Uint8Array(0), true);
  }

  finish(): Promise<Blob> {
    this.zip.end();
    return this.done;
  }
}

/** A checkpoint as record.json (everything but the values) and tensors.bin (every tensor, in order). */
export async function addCheckpoint(zip: ZipStream, record: CheckpointRecord, folder: string): Promise<void> {
  let offset = 0;
  const header: RecordHeader = {
    ...record,
    tensors: record.tensors.map((t) => {
      const entry = { name: t.name, shape: t.shape, offset, bytes: t.data.size };
      offset += t.data.size;
      return entry;
    }),
  };
  await zip.add(`${folder}/record.json`, [strToU8(JSON.stringify(header))]);
  await zip.add(
    `${folder}/tensors.bin`,
    (async function* () {
      for (const t of record.tensors) yield new Uint8Array(await t.data.arrayBuffer());
    })(),
  );
}

export function checkpointFolder(name: string): string {
  return `checkpoints/${folderName(name)}`;
}

/** The checkpoints of an unzipped project, or [] when the zip is a plain dataset. */
export function readProject(files: Record<string, Uint8Array>): {
  info: ProjectInfo | null;
  checkpoints: CheckpointRecord[];
} {
  const raw = files[PROJECT_FILE];
  if (!raw) return { info: null, checkpoints: [] };
  const info = JSON.parse(strFromU8(raw)) as ProjectInfo;
  if (info.format !== PROJECT_FORMAT) throw new Error(`${PROJECT_FILE} describes "${String(info.format)}".`);
  const checkpoints = info.checkpoints.map(({ name, folder }) => {
    const json = files[`${folder}/record.json`];
    const bin = files[`${folder}/tensors.bin`];
    if (!json || !bin) throw new Error(`The project's checkpoint "${name}" is incomplete.`);
    const header = JSON.parse(strFromU8(json)) as RecordHeader;
    if (header.tensors.some((t) => t.offset + t.bytes > bin.byteLength))
      throw new Error(`The project's checkpoint "${name}" is truncated.`);
    return {
      ...header,
      name,
      tensors: header.tensors.map((t) => ({
        name: t.name,
        shape: t.shape,
        data: new Blob([bin.slice(t.offset, t.offset + t.bytes)]),
      })),
    } as CheckpointRecord;
  });
  return { info, checkpoints };
}
