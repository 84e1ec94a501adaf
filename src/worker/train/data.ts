// The dataset for training: seeded 80/20 split kept in IndexedDB, classes sorted by name, and
// batches decoded by the browser, cropped and resized as train.py's Pillow does, augmented on the backend.
import * as tf from '@tensorflow/tfjs';
import { StudioError } from '../../protocol';
import { getMeta, setMeta, type StudioDb } from '../../data/db';
import { imageBlob, listImages } from '../../data/images';
import { STORES, type ImageRecord, type Split } from '../../data/schema';
import { drawAugment, pixelTransform, type AugmentDraw } from '../../ml/augment';
import { seededRandom, splitIds } from '../../ml/random';
import type { Pixels } from '../../ml/resample';
import { decodeCropped } from '../decode-image';
import { unreadableImage } from '../errors';
// tf.image.transform on the cpu backend warps every image of a batch (see cpu-transform.ts).
import '../kernels/cpu-transform';

export interface Example {
  id: number;
  label: number;
  blob: Blob;
  /** Where the image came from (its URL, or file:<path>), to name it when it fails. */
  url?: string;
}

export interface Dataset {
  classes: string[];
  train: Example[];
  valid: Example[];
}

/**
 * The dataset's images in an order that depends only on what they are (class, content hash, URL),
 * not on when they were stored: downloads finish in any order, and a split or a shuffle over ids
 * would differ from one ingest of the same images to the next.
 */
export function stableOrder<T extends Pick<ImageRecord, 'className' | 'hash' | 'url'>>(images: T[]): T[] {
  const key = (i: T) => `${i.className}\n${i.hash}\n${i.url}`;
  return [...images].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Assigns the split once per image (seeded) and keeps it, so validation stays fixed forever. */
export async function loadDataset(db: StudioDb, seed: number): Promise<Dataset> {
  const images = stableOrder(await listImages(db));
  const classes = [...new Set(images.map((i) => i.className))].sort();
  if (classes.length < 2)
    throw new StudioError(
      'invalid-input',
      'Training needs images of at least two classes (see the Data tab).',
    );
  const storedSeed = await getMeta<number>(db, 'split-seed');
  const fresh = storedSeed !== seed || images.every((i) => !i.split);
  const splits = new Map<number, Split>();
  if (fresh) {
    // Positions in the stable order, not ids: the same images get the same split in every ingest.
    const { valid } = splitIds(
      images.map((_, k) => k),
      seed,
    );
    const validSet = new Set(valid.map((k) => images[k].id!));
    for (const i of images) splits.set(i.id!, validSet.has(i.id!) ? 'valid' : 'train');
  } else {
    // Images added after the split: a seeded coin per id keeps 80/20 without moving old ones.
    for (const i of images)
      splits.set(i.id!, i.split ?? (seededRandom(seed ^ (i.id! * 2654435761))() < 0.2 ? 'valid' : 'train'));
  }
  const changed = images.filter((i) => i.split !== splits.get(i.id!));
  if (changed.length) {
    const tx = db.transaction(STORES.images, 'readwrite');
    await Promise.all(changed.map((i) => tx.store.put({ ...i, split: splits.get(i.id!) })));
    await tx.done;
  }
  await setMeta(db, 'split-seed', seed);
  const example = (i: ImageRecord): Example => ({
    id: i.id!,
    label: classes.indexOf(i.className),
    blob: imageBlob(i),
    url: i.url,
  });
  return {
    classes,
    train: images.filter((i) => splits.get(i.id!) === 'train').map(example),
    valid: images.filter((i) => splits.get(i.id!) === 'valid').map(example),
  };
}

export type { Pixels } from '../../ml/resample';

/**
 * Decodes an image into a size × size square. `crop`: where the square sits along the free width
 * and height, 0–1 (0.5: centred). The browser's decoder; tests in Node hand the learner their own.
 */
export type DecodeImage = (blob: Blob, size: number, crop: [number, number]) => Promise<Pixels>;

export interface RawBatch {
  pixels: Pixels[];
  labels: number[];
  ids: number[];
  draws: AugmentDraw[] | null;
}

/**
 * Decoding happens in the browser's image decoder, so it overlaps with the step in flight. A failure
 * names the image and the browser's reason (`stored`: the examples are stored images, by id).
 */
export async function decodeBatch(
  examples: Example[],
  size: number,
  random: (() => number) | null,
  decode: DecodeImage = decodeCropped,
  stored = true,
): Promise<RawBatch> {
  // Every random draw happens now, in example order, before any decode: images decode in parallel
  // and finish in any order, so drawing after them would make a seeded run irreproducible.
  const crops = examples.map((): [number, number] => (random ? [random(), random()] : [0.5, 0.5]));
  const draws = random ? examples.map(() => drawAugment(random)) : null;
  const pixels = await Promise.all(
    examples.map((e, i) =>
      decode(e.blob, size, crops[i]).catch((error: unknown) => {
        throw unreadableImage(error, stored ? e : null);
      }),
    ),
  );
  return { pixels, labels: examples.map((e) => e.label), ids: examples.map((e) => e.id), draws };
}

/**
 * Each chunk decoded in order, the next one's decode started before the current one is handed over:
 * the browser decodes while the caller's body pass computes (the feature and statistics passes;
 * the fit loop prefetches the same way). Draws stay in chunk order, so seeded runs are unchanged.
 */
export async function* decodedChunks(
  chunks: readonly Example[][],
  size: number,
  random: (() => number) | null,
  decode: DecodeImage = decodeCropped,
): AsyncGenerator<RawBatch> {
  const start = (i: number) => {
    if (i >= chunks.length) return null;
    const pending = decodeBatch(chunks[i], size, random, decode);
    // Awaited below; until then a failure must not count as unhandled (a cancelled pass drops it).
    pending.catch(() => undefined);
    return pending;
  };
  let next = start(0);
  for (let i = 0; i < chunks.length; i++) {
    const current = next!;
    next = start(i + 1);
    yield await current;
  }
}

/** RGB 0–255 NHWC, augmented in one resampling pass (reflection padding) plus lighting. */
export function batchTensor(batch: RawBatch, size: number): tf.Tensor4D {
  return tf.tidy(() => {
    const x = tf
      .stack(batch.pixels.map((p) => tf.browser.fromPixels(p as tf.PixelData | ImageData, 3)))
      .toFloat() as tf.Tensor4D;
    if (!batch.draws) return x;
    const transforms = tf.tensor2d(batch.draws.map((d) => pixelTransform(d, size)));
    const warped = tf.image.transform(x, transforms, 'bilinear', 'reflect', 0, [size, size]);
    // Lighting in logit space, as fast.ai: brightness shifts, contrast scales.
    const p = tf.clipByValue(tf.div(warped, 255), 1e-4, 1 - 1e-4);
    const logit = tf.log(tf.div(p, tf.sub(1, p)));
    const contrast = tf.tensor4d(
      batch.draws.map((d) => d.contrast),
      [batch.draws.length, 1, 1, 1],
    );
    const brightness = tf.tensor4d(
      batch.draws.map((d) => d.brightness),
      [batch.draws.length, 1, 1, 1],
    );
    return tf.mul(tf.sigmoid(tf.add(tf.mul(logit, contrast), brightness)), 255) as tf.Tensor4D;
  });
}

export function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
