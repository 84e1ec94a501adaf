// Imports a dataset zip (see formats/dataset-zip.ts): every image is checked as a download would be
// (a known image format, within the pixel limit, decodable), then stored with its class, source URL,
// source hash and split, byte for byte, so an export → import round trip restores the dataset
// exactly. Into an empty store the split seed comes along too, so the same split is used.
import { readImageHeader } from '../../data/image/header';
import { getMeta, openStudioDb, setMeta, storageFailure } from '../../data/db';
import { addImages, imageIds } from '../../data/images';
import type { ImageRecord } from '../../data/schema';
import { readDatasetZip, type ReadImage } from '../../formats/dataset-zip';
import { readProject } from '../../formats/project-zip';
import { announce } from '../../data/changes';
import { STORES } from '../../data/schema';
import type { DatasetImportResult } from '../../protocol';
import { MAX_PIXELS } from './verify';
import { freeCheckpointName } from '../train/checkpoints';

const BATCH = 32;

/** Why an image from a zip cannot be stored, or null when it can (as it is). */
async function check(image: ReadImage): Promise<string | null> {
  if (image.problem) return image.problem;
  const verdict = readImageHeader(image.bytes);
  if (!verdict.ok) return `${image.file}: ${verdict.detail}`;
  if (verdict.header.decodePixels > MAX_PIXELS) return `${image.file}: over ${MAX_PIXELS / 1e6} MP`;
  try {
    const bitmap = await createImageBitmap(
      new Blob([image.bytes as unknown as ArrayBuffer], { type: image.type }),
    );
    image.width = bitmap.width;
    image.height = bitmap.height;
    bitmap.close();
  } catch {
    return `${image.file}: the image data could not be decoded`;
  }
  return null;
}

export async function importDataset(file: Blob): Promise<DatasetImportResult> {
  const { info, images, files } = await readDatasetZip(new Uint8Array(await file.arrayBuffer()));
  const project = readProject(files); // checked before anything is stored
  const db = await openStudioDb();
  const wasEmpty = (await imageIds(db)).length === 0;
  const result: DatasetImportResult = {
    stored: 0,
    duplicates: 0,
    rejected: [],
    splitSeed: undefined,
    checkpoints: [],
    ingestSettings: project.info?.ingestSettings,
  };
  const now = Date.now();
  let pending: ImageRecord[] = [];
  let stopped = false;
  const flush = async () => {
    try {
      for (const outcome of await addImages(db, pending)) {
        if (outcome === 'added') result.stored++;
        else result.duplicates++;
      }
    } catch (error) {
      const failure = await storageFailure(error);
      stopped = true;
      result.message = failure.full
        ? `Storage full after ${result.stored} images: free space, then import the same zip again (stored images are skipped).`
        : `Stopped after ${result.stored} images: ${failure.message}`;
    }
    pending = [];
  };
  for (const image of images) {
    const problem = await check(image);
    if (problem) {
      result.rejected.push(problem);
      continue;
    }
    pending.push({
      className: image.className,
      url: image.url,
      width: image.width,
      height: image.height,
      bytes: image.bytes.byteLength,
      data: image.bytes.slice().buffer,
      type: image.type,
      hash: image.sourceHash,
      addedAt: now,
      ...(image.split ? { split: image.split } : {}),
    });
    if (pending.length >= BATCH) await flush();
    if (stopped) return result;
  }
  if (pending.length) await flush();
  if (stopped) return result;
  // The split travels with the images; its seed too when nothing else was stored before.
  const everySplit = images.every((i) => i.split);
  if (wasEmpty && everySplit && typeof info.splitSeed === 'number' && result.stored > 0) {
    await setMeta(db, 'split-seed', info.splitSeed);
    result.splitSeed = info.splitSeed;
  } else result.splitSeed = await getMeta<number>(db, 'split-seed');
  // A project's checkpoints; one whose name is taken here is kept beside it, renamed.
  for (const record of project.checkpoints) {
    const name = await freeCheckpointName(record.name);
    await db.put(STORES.checkpoints, { ...record, name });
    result.checkpoints.push(name);
  }
  if (project.checkpoints.length) announce(STORES.checkpoints);
  return result;
}
