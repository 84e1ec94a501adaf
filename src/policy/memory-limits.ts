// Images per training pass, per device and image size: a default from the device's limits, lowered
// (and remembered across reloads) whenever the device runs out of memory. Written by the worker
// when a pass fails, and by the UI when a pass stalls (multi-threaded wasm hangs instead of failing).
import { defaultImagesPerPass, lowerImagesPerPass } from '../ml/batching';
import { getMeta, openStudioDb, setMeta } from '../data/db';

const KEY = 'images-per-pass-limits';
type Limits = Record<string, number>;

const keyFor = (backend: string, size: number) => `${backend}@${size}`;

async function readLimits(): Promise<Limits> {
  return (await getMeta<Limits>(await openStudioDb(), KEY)) ?? {};
}

export async function imagesPerPass(
  backend: string,
  size: number,
  batch: number,
  requested?: number,
): Promise<number> {
  const learned = (await readLimits())[keyFor(backend, size)] ?? Number.POSITIVE_INFINITY;
  const wanted = requested && requested > 0 ? requested : defaultImagesPerPass(backend, size, batch);
  return Math.max(1, Math.min(wanted, learned, batch));
}

/** Stores the lowered limit after a failure at `failedAt` images; null when it cannot go lower. */
export async function rememberOutOfMemory(
  backend: string,
  size: number,
  failedAt: number,
): Promise<number | null> {
  const lowered = lowerImagesPerPass(failedAt);
  if (lowered === null) return null;
  const limits = await readLimits();
  const key = keyFor(backend, size);
  limits[key] = Math.min(limits[key] ?? Number.POSITIVE_INFINITY, lowered);
  await setMeta(await openStudioDb(), KEY, limits);
  return lowered;
}
