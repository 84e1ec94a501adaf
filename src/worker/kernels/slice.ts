// Slice for wasm over views of the backend's heap. tfjs-wasm 4.22's Slice reads its input with
// readSync, which copies the whole input out of the heap into a fresh buffer before the slice copies
// the part it keeps: 23 ms for a full [8, 32, 32, 256] slice, 34 ms for the 66×66 → 64×64 crop that
// is ZeroPadding's gradient in a ResNet50 step (measured in Chromium, 2 threads, batch 16, 128 px).
// Here every run of contiguous elements is one TypedArray.set (memcpy) from a view.

type Elements = Float32Array | Int32Array | Uint8Array;

/**
 * Copies the box `begin` + `size` of a row-major array of `shape` into `out` (dense, row-major).
 * The trailing dimensions the box spans whole, and the first one it cuts, form one contiguous run;
 * the leading ones are walked index by index.
 */
export function copySlice(
  x: Elements,
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
  out: Elements,
): void {
  const rank = shape.length;
  if (size.some((n) => n === 0)) return;
  const strides = new Array<number>(rank);
  strides[rank - 1] = 1;
  for (let d = rank - 2; d >= 0; d--) strides[d] = strides[d + 1] * shape[d + 1];
  // cut: the innermost dimension the box does not span whole (-1: the whole array).
  let cut = rank - 1;
  while (cut >= 0 && begin[cut] === 0 && size[cut] === shape[cut]) cut--;
  if (cut < 0) {
    out.set(x.subarray(0, out.length));
    return;
  }
  const run = size[cut] * strides[cut];
  const index = new Array<number>(cut).fill(0); // position in the leading dimensions
  let base = begin[cut] * strides[cut];
  for (let d = 0; d < cut; d++) base += begin[d] * strides[d];
  for (let at = 0; at < out.length; at += run) {
    let from = base;
    for (let d = 0; d < cut; d++) from += index[d] * strides[d];
    out.set(x.subarray(from, from + run), at);
    for (let d = cut - 1; d >= 0; d--) {
      if (++index[d] < size[d]) break;
      index[d] = 0;
    }
  }
}

/**
 * A strided convolution's input gradient from its value on the output grid: g [b, ho, wo, c] onto
 * every (sh, sw)-th pixel of dx [b, h, w, c], zeros elsewhere (the pixels no output reads).
 */
export function spreadStrided(
  g: Float32Array,
  dx: Float32Array,
  [batch, height, width, channels]: readonly number[],
  outHeight: number,
  outWidth: number,
  strideHeight: number,
  strideWidth: number,
): void {
  dx.fill(0);
  let from = 0;
  for (let b = 0; b < batch; b++)
    for (let y = 0; y < outHeight; y++) {
      let to = (b * height + y * strideHeight) * width * channels;
      for (let x = 0; x < outWidth; x++, from += channels, to += strideWidth * channels)
        dx.set(g.subarray(from, from + channels), to);
    }
}
