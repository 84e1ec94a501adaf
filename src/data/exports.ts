// The dataset leaving the browser: one portable dataset zip (images, labels.csv with split and
// hashes), or one zip of URL lists + manifest (what fast.ai's download_images reads back).
import { strToU8, zipSync } from 'fflate';
import { buildDatasetZip, datasetFiles, folderName, type DatasetImage } from '../formats/dataset-zip';
import {
  addCheckpoint,
  checkpointFolder,
  PROJECT_FILE,
  PROJECT_FORMAT,
  ZipStream,
  type ProjectInfo,
} from '../formats/project-zip';
import { getMeta, openStudioDb, type StudioDb } from './db';
import { imageBlob, listImages } from './images';
import { STORES } from './schema';
import { redactCredentials, toCsv, toUrlList } from './url-list';

const today = () => new Date().toISOString().slice(0, 10);

export async function datasetImages(db: StudioDb): Promise<DatasetImage[]> {
  const records = await listImages(db);
  const images: DatasetImage[] = [];
  for (const r of records) {
    const blob = imageBlob(r);
    images.push({
      className: r.className,
      url: r.url,
      split: r.split,
      sourceHash: r.hash,
      width: r.width,
      height: r.height,
      type: blob.type || 'image/jpeg',
      bytes: new Uint8Array(await blob.arrayBuffer()),
    });
  }
  return images;
}

export async function datasetZip(): Promise<{ blob: Blob; fileName: string; images: number }> {
  const db = await openStudioDb();
  const images = await datasetImages(db);
  const zip = await buildDatasetZip(images, { splitSeed: await getMeta<number>(db, 'split-seed') });
  return {
    blob: new Blob([zip as unknown as ArrayBuffer], { type: 'application/zip' }),
    fileName: `dataset-${today()}.zip`,
    images: images.length,
  };
}

/** urls_<class>.csv per class (downloaded images only) + manifest.csv, in one zip. */
export async function urlListsZip(): Promise<{ blob: Blob; fileName: string }> {
  const db = await openStudioDb();
  const records = await listImages(db);
  const classes = [...new Set(records.map((r) => r.className))].sort();
  const files: Record<string, Uint8Array> = {};
  for (const c of classes)
    files[`urls_${folderName(c)}.csv`] = strToU8(
      toUrlList(records.filter((r) => r.className === c && !r.url.startsWith('file:')).map((r) => r.url)),
    );
  files['manifest.csv'] = strToU8(
    toCsv(
      ['id', 'class', 'split', 'url', 'width', 'height', 'bytes', 'source_sha256'],
      records.map((r) => [
        r.id!,
        r.className,
        r.split ?? '',
        redactCredentials(r.url),
        r.width,
        r.height,
        r.bytes,
        r.hash,
      ]),
    ),
  );
  const zip = zipSync(files);
  return {
    blob: new Blob([zip as unknown as ArrayBuffer], { type: 'application/zip' }),
    fileName: `url-lists-${today()}.zip`,
  };
}

/**
 * The whole project in one zip: the dataset, the chosen checkpoints (complete, so training continues
 * on another machine or browser) and the download settings. Dropped on the Data tab, it imports.
 */
export async function projectZip(
  checkpoints: string[],
  ingestSettings: unknown,
): Promise<{ blob: Blob; fileName: string }> {
  const db = await openStudioDb();
  const zip = new ZipStream();
  const images = await datasetImages(db);
  for (const [path, bytes] of await datasetFiles(images, {
    splitSeed: await getMeta<number>(db, 'split-seed'),
  }))
    await zip.add(path, [bytes]);
  const info: ProjectInfo = { format: PROJECT_FORMAT, version: 1, checkpoints: [], ingestSettings };
  for (const name of checkpoints) {
    const record = await db.get(STORES.checkpoints, name);
    if (!record) continue;
    const folder = checkpointFolder(name);
    await addCheckpoint(zip, record, folder);
    info.checkpoints.push({ name, folder });
  }
  await zip.add(PROJECT_FILE, [strToU8(JSON.stringify(info, null, 2))]);
  return { blob: await zip.finish(), fileName: `project-${today()}.zip` };
}
