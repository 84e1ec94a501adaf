// Image resizing as Pillow's Image.resize(size, Image.BILINEAR, box) computes it — the resampling
// train.py (the "Train elsewhere" script) decodes with — so the studio trains, validates and predicts
// on the same pixels in the browser as in PyTorch, on every machine. Bilinear here means Pillow's:
// a triangle filter widened by the scale when shrinking, so every source pixel counts (no aliasing);
// a canvas's drawImage at its default quality samples 4 pixels per output pixel, whatever the scale,
// and a 500-pixel image shrunk to 128 loses most of its detail to aliasing. Two separable passes
// (rows, then columns) rounding to 8 bits between them, 22-bit fixed-point weights: Pillow's own
// arithmetic, so the results agree to the last level (tests/resample.test.ts runs Pillow).

/** RGBA pixels, 8 bits per channel, row by row (an ImageData is one). */
export interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;
const HALF = 2 ** (PRECISION_BITS - 1);

/** Pillow's bilinear (triangle) filter, support 1. */
const triangle = (x: number) => Math.max(0, 1 - Math.abs(x));

interface Coefficients {
  /** Per output pixel: first source pixel and how many. */
  first: Int32Array;
  count: Int32Array;
  /** Per output pixel, `taps` fixed-point weights (22 bits) from `first` on. */
  weights: Int32Array;
  taps: number;
}

/** Pillow's precompute_coeffs + normalize_coeffs_8bpc for one axis: [in0, in1) of inSize onto outSize. */
function coefficients(inSize: number, in0: number, in1: number, outSize: number): Coefficients {
  // Pillow takes the box as C floats.
  const scale = Math.fround(Math.fround(in1) - Math.fround(in0)) / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * taps);
  const w = new Float64Array(taps);
  for (let i = 0; i < outSize; i++) {
    const center = Math.fround(in0) + (i + 0.5) * scale;
    const lo = Math.max(0, Math.trunc(center - support + 0.5));
    const n = Math.min(inSize, Math.trunc(center + support + 0.5)) - lo;
    let sum = 0;
    for (let k = 0; k < n; k++) sum += w[k] = triangle((k + lo - center + 0.5) / filterScale);
    for (let k = 0; k < n; k++) {
      const normalised = sum !== 0 ? w[k] / sum : w[k];
      weights[i * taps + k] = Math.trunc(normalised * ONE + (normalised < 0 ? -0.5 : 0.5));
    }
    first[i] = lo;
    count[i] = n;
  }
  return { first, count, weights, taps };
}

/** Pillow's clip8: a fixed-point sum to 0–255. */
const clip8 = (sum: number) => (sum <= 0 ? 0 : sum >= ONE * 256 ? 255 : Math.floor(sum / ONE));

/**
 * The box [x0, y0, x1, y1) of `src` (fractional edges allowed) resized to outWidth × outHeight:
 * RGBA out, alpha 255 (Pillow's RGB). Pillow copies an axis whose box is the whole image at its
 * size; filtering it gives the same bytes (weights 1 and 0, then the rounding gives each level back),
 * so both passes always run.
 */
export function resizeBox(
  src: Pixels,
  box: readonly [number, number, number, number],
  outWidth: number,
  outHeight: number,
): Uint8ClampedArray<ArrayBuffer> {
  const [x0, y0, x1, y1] = box;
  const h = coefficients(src.width, x0, x1, outWidth);
  const v = coefficients(src.height, y0, y1, outHeight);
  // Horizontal pass over the rows the vertical pass reads, 8 bits out (RGB in 4-byte pixels).
  const rowFirst = v.first[0];
  const rows = v.first[outHeight - 1] + v.count[outHeight - 1] - rowFirst;
  const mid = new Uint8ClampedArray(outWidth * rows * 4);
  for (let y = 0; y < rows; y++) {
    const rowIn = (y + rowFirst) * src.width * 4;
    for (let x = 0; x < outWidth; x++) {
      let r = HALF;
      let g = HALF;
      let b = HALF;
      const base = x * h.taps;
      const lo = h.first[x];
      for (let k = 0; k < h.count[x]; k++) {
        const weight = h.weights[base + k];
        const p = rowIn + (lo + k) * 4;
        r += src.data[p] * weight;
        g += src.data[p + 1] * weight;
        b += src.data[p + 2] * weight;
      }
      const o = (y * outWidth + x) * 4;
      mid[o] = clip8(r);
      mid[o + 1] = clip8(g);
      mid[o + 2] = clip8(b);
    }
  }
  // Vertical pass: `mid` starts at source row rowFirst.
  const out = new Uint8ClampedArray(outWidth * outHeight * 4);
  for (let y = 0; y < outHeight; y++) {
    const base = y * v.taps;
    const lo = v.first[y] - rowFirst;
    for (let x = 0; x < outWidth; x++) {
      let r = HALF;
      let g = HALF;
      let b = HALF;
      for (let k = 0; k < v.count[y]; k++) {
        const weight = v.weights[base + k];
        const p = ((lo + k) * outWidth + x) * 4;
        r += mid[p] * weight;
        g += mid[p + 1] * weight;
        b += mid[p + 2] * weight;
      }
      const o = (y * outWidth + x) * 4;
      out[o] = clip8(r);
      out[o + 1] = clip8(g);
      out[o + 2] = clip8(b);
      out[o + 3] = 255;
    }
  }
  return out;
}

/**
 * The studio's crop: the largest square at `crop` (0–1 along the free side; 0.5 centred) scaled to
 * size × size, as train.py's decode (an image already size × size comes back unchanged).
 */
export function cropSquare(
  src: Pixels,
  size: number,
  crop: readonly [number, number],
): Pixels & { data: Uint8ClampedArray<ArrayBuffer> } {
  if (!(src.width > 0 && src.height > 0)) throw new Error(`invalid image size ${src.width}×${src.height}`);
  const side = Math.min(src.width, src.height);
  const sx = crop[0] * (src.width - side);
  const sy = crop[1] * (src.height - side);
  const data = resizeBox(src, [sx, sy, sx + side, sy + side], size, size);
  return { width: size, height: size, data };
}
