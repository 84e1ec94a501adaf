// How one training batch is computed in passes that fit the device's memory. Gradients of the
// passes are summed, so the optimizer still sees one batch and the schedule is unchanged.
import { isHostMemoryBackend } from '../protocol';

/**
 * Images per pass with no failure seen yet. wasm32 addresses 4 GiB; ResNet50's training step takes
 * ~1.1 GiB plus ~0.1 GiB per image at 128 px (tfjs's heap after an unfrozen step: 2.0 GiB with 8 per
 * pass, 2.9 with 16 — tests/pass-memory.test.ts), so at 128 px a batch of 16 is one pass: BatchNorm
 * over exactly the batch, as PyTorch's, and no statistics pass (see whole-batch.ts for more passes).
 * GPUs: the whole batch. Either way lowered, and remembered, after a failure.
 */
export function defaultImagesPerPass(backend: string, size: number, batch: number): number {
  if (!isHostMemoryBackend(backend)) return batch;
  return Math.max(2, Math.min(batch, Math.floor(16 * (128 / size) ** 2)));
}

/**
 * Splits n images into the fewest passes of at most `perPass`, as even as possible, never leaving a
 * pass of one image (BatchNorm cannot normalise a single value).
 */
export function splitIntoPasses(n: number, perPass: number): number[] {
  if (n <= 0) return [];
  const count = Math.ceil(n / Math.max(1, perPass));
  const base = Math.floor(n / count);
  const sizes = Array.from({ length: count }, (_, i) => base + (i < n % count ? 1 : 0));
  if (sizes.length > 1 && sizes[sizes.length - 1] < 2) {
    const last = sizes.pop()!;
    sizes[sizes.length - 1] += last;
  }
  return sizes;
}

/** Half as many images per pass after running out of memory; null when already at the minimum. */
export function lowerImagesPerPass(current: number): number | null {
  return current > 2 ? Math.max(2, Math.floor(current / 2)) : null;
}
