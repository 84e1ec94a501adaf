// How one training batch is computed in passes that fit the device's memory. Gradients of the
// passes are summed, so the optimizer still sees one batch and the schedule is unchanged.

/**
 * Images per pass with no failure seen yet. wasm32 addresses 4 GB: measured on ResNet50, 8 images
 * train at 128 px and 4 at 224 px, 16 at 128 px run out. GPUs: the whole batch, lowered on failure.
 */
export function defaultImagesPerPass(backend: string, size: number, batch: number): number {
  if (backend !== 'wasm' && backend !== 'cpu') return batch;
  return Math.max(2, Math.min(batch, Math.floor(13 * (128 / size) ** 2)));
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
