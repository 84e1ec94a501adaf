// The portable dataset zip, in Node: a round trip keeps every class, split, URL (commas and
// semicolons included), source hash and byte; damaged or missing files are named; a file that is not
// a dataset fails with a typed reason.
import { strFromU8, unzipSync, zipSync, strToU8 } from 'fflate';
import { describe, expect, it } from 'vitest';
import {
  buildDatasetZip,
  DatasetZipError,
  folderName,
  readDatasetZip,
  sha256Hex,
  type DatasetImage,
} from '../src/formats/dataset-zip';

const bytes = (...values: number[]) => Uint8Array.from(values);

const IMAGES: DatasetImage[] = [
  {
    className: 'cubism',
    url: 'https://example.org/a,b;c.jpg?x=1,2',
    split: 'train',
    sourceHash: 'aa'.repeat(32),
    width: 400,
    height: 300,
    type: 'image/jpeg',
    bytes: bytes(255, 216, 1, 2, 3),
  },
  {
    className: 'pop/art',
    url: 'file:pop/warhol.png',
    split: 'valid',
    sourceHash: 'bb'.repeat(32),
    width: 20,
    height: 10,
    type: 'image/png',
    bytes: bytes(137, 80, 78, 71, 9),
  },
  {
    className: '-dada',
    url: 'https://user:secret@host.example/x.jpg',
    sourceHash: 'cc'.repeat(32),
    width: 1,
    height: 1,
    type: 'image/jpeg',
    bytes: bytes(255, 216, 7),
  },
];

describe('dataset zip', () => {
  it('round-trips classes, splits, URLs, hashes and bytes', async () => {
    const zip = await buildDatasetZip(IMAGES, { splitSeed: 43 });
    const { info, images } = await readDatasetZip(zip);
    expect(info.splitSeed).toBe(43);
    expect(images.map((i) => i.problem)).toEqual([undefined, undefined, undefined]);
    expect(images.map((i) => [i.className, i.split, i.sourceHash, i.width, i.height, i.type])).toEqual(
      IMAGES.map((i) => [i.className, i.split, i.sourceHash, i.width, i.height, i.type]),
    );
    expect(images.map((i) => Array.from(i.bytes))).toEqual(IMAGES.map((i) => Array.from(i.bytes)));
    expect(images[0].url).toBe(IMAGES[0].url);
    expect(images[2].url).not.toContain('secret'); // credentials never leave in an export
    // Class folders, a file-level SHA-256 a user can check with sha256sum.
    const files = unzipSync(zip);
    expect(
      Object.keys(files)
        .filter((f) => f.startsWith('images/'))
        .map((f) => f.split('/')[1]),
    ).toEqual(['cubism', 'pop_art', '-dada']);
    const labels = strFromU8(files['labels.csv']);
    expect(labels.split('\n')[0]).toBe('file,class,split,url,sha256,source_sha256,width,height');
    expect(labels).toContain(await sha256Hex(IMAGES[1].bytes));
  });

  it('names a damaged or missing file, and keeps the rest', async () => {
    const files = unzipSync(await buildDatasetZip(IMAGES, {}));
    const [first, second] = Object.keys(files).filter((f) => f.startsWith('images/'));
    files[first] = bytes(1, 2, 3);
    delete files[second];
    const { images } = await readDatasetZip(zipSync(files));
    expect(images[0].problem).toMatch(/does not match its SHA-256/);
    expect(images[1].problem).toMatch(/listed but not in the zip/);
    expect(images[2].problem).toBeUndefined();
  });

  it('refuses what is not a dataset, with a typed reason', async () => {
    const code = async (data: Uint8Array) =>
      readDatasetZip(data).then(
        () => 'read',
        (e: unknown) => (e instanceof DatasetZipError ? e.code : String(e)),
      );
    expect(await code(strToU8('not a zip at all'))).toBe('not-a-zip');
    expect(await code(zipSync({ 'a.txt': strToU8('x') }))).toBe('not-a-dataset');
    expect(await code(zipSync({ 'labels.csv': strToU8('name,label\nx,y\n') }))).toBe('bad-labels');
  });

  it('makes any class name a safe folder name', () => {
    expect(folderName('a/b\\c')).toBe('a_b_c');
    expect(folderName('..')).toBe('_..');
    expect(folderName('early renaissance')).toBe('early renaissance');
  });
});
