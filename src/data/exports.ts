// The dataset leaving the browser: one portable dataset zip (images, labels.csv with split and
// hashes), or one zip of URL lists + manifest (what fast.ai's download_images reads back).
import { strToU8, zipSync } from 'fflate';
import { buildDatasetZip, folderName, type DatasetImage } from '../formats/dataset-zip';
import { getMeta, imageBlob, listImages, openStudioDb } from './db';
import { redactCredentials, toCsv, toUrlList } from './url-list';

const today = () => new Date().toISOString().slice(0, 10);

export async function datasetZip(): Promise<{ blob: Blob; fileName: string; images: number }> {
  const db = await openStudioDb();
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
