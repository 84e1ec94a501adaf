// Plans a convolution (forward, or an input gradient written as one) as a single call of the
// outer-product kernel's `pixels` function: m runs over output pixels, n over output channels, and
// k over (filter row, filter column, input channel), reading the input through strides. The input
// is copied zero-padded (so every tap reads inside it) and the output rows are rounded up to whole
// tiles of TILE_ROWS pixels; the extra pixels are computed and dropped.
import type { ConvShape, KernelCall } from './filter-gradient-plan';
import { TILE_COLS, TILE_ROWS } from './outer-product-kernel';

export interface ConvolutionLayout {
  /** Padded input: [batch, paddedHeight, paddedWidth, inChannels]. */
  paddedHeight: number;
  paddedWidth: number;
  /** Output row length in our buffer: outWidth rounded up to whole tiles. */
  rowPixels: number;
  /** Floats after the padded input that the dropped pixels may read (kept in bounds). */
  inputSlack: number;
}

export function convolutionFits(shape: ConvShape): boolean {
  return shape.outChannels % TILE_COLS === 0;
}

export function convolutionLayout(s: ConvShape, padBottom: number, padRight: number): ConvolutionLayout {
  const paddedWidth = s.inWidth + s.padLeft + padRight;
  const rowPixels = Math.ceil(s.outWidth / TILE_ROWS) * TILE_ROWS;
  return {
    paddedHeight: s.inHeight + s.padTop + padBottom,
    paddedWidth,
    rowPixels,
    // The dropped pixels of the last row read up to (rowPixels − outWidth)·stride pixels further.
    inputSlack: ((rowPixels - s.outWidth) * s.strideWidth + 1) * s.inChannels,
  };
}

/** Floats of a convolution's epilogue: its bias (one per output channel), then its floor. */
export const epilogueLength = (s: ConvShape) => s.outChannels + 1;

/**
 * The filter packed in panels of TILE_COLS output channels, [co / TILE_COLS][kh·kw·ci][TILE_COLS],
 * so the kernel streams each panel sequentially (rows of the plain filter are co floats apart, a
 * new cache line and often a new page for every step of k).
 */
export function packFilter(
  filter: Float32Array,
  rows: number,
  co: number,
  out: Float32Array,
  at: number,
): void {
  const panels = co / TILE_COLS;
  for (let t = 0; t < panels; t++) {
    let dst = at + t * rows * TILE_COLS;
    for (let k = 0; k < rows; k++) {
      const src = k * co + t * TILE_COLS;
      for (let u = 0; u < TILE_COLS; u++) out[dst++] = filter[src + u];
    }
  }
}

/**
 * For an input gradient: W[kh, kw, ci, co] packed as the filter of the convolution of dy that gives
 * dx, i.e. W'[kh−1−i, kw−1−j, o, c] (taps reversed, channels swapped), in panels of TILE_COLS of c.
 * Reading W in place saves materialising the flipped filter (two transposes on wasm).
 */
export function packFlippedFilter(
  filter: Float32Array,
  [kh, kw, ci, co]: number[],
  out: Float32Array,
  at: number,
): void {
  const rows = kh * kw * co;
  for (let t = 0; t < ci / TILE_COLS; t++) {
    let dst = at + t * rows * TILE_COLS;
    for (let i = 0; i < kh; i++)
      for (let j = 0; j < kw; j++) {
        const tap = ((kh - 1 - i) * kw + (kw - 1 - j)) * ci * co;
        for (let o = 0; o < co; o++) {
          const src = tap + t * TILE_COLS * co + o;
          for (let u = 0; u < TILE_COLS; u++) out[dst++] = filter[src + u * co];
        }
      }
  }
}

/**
 * Offsets are bytes relative to the padded input, the packed filter, the output and the epilogue
 * (`epilogueLength` floats: the bias per output channel, then the floor).
 */
export function planConvolution(s: ConvShape, layout: ConvolutionLayout): KernelCall {
  const ci = s.inChannels;
  const co = s.outChannels;
  const inRow = layout.paddedWidth * ci * 4;
  return {
    fn: 0,
    a: 0,
    b: 0,
    c: 0,
    outerCount: s.filterHeight,
    midCount: s.filterWidth,
    innerCount: ci,
    aOuter: s.dilationHeight * inRow,
    aMid: s.dilationWidth * ci * 4,
    aInner: 4,
    bOuter: s.filterWidth * ci * TILE_COLS * 4,
    bMid: ci * TILE_COLS * 4,
    bInner: TILE_COLS * 4,
    imageCount: s.batch,
    aImage: layout.paddedHeight * inRow,
    cImage: s.outHeight * layout.rowPixels * co * 4,
    rowCount: s.outHeight,
    aRowStep: s.strideHeight * inRow,
    cRowStep: layout.rowPixels * co * 4,
    rowTiles: layout.rowPixels / TILE_ROWS,
    aTile: TILE_ROWS * s.strideWidth * ci * 4,
    aRow: s.strideWidth * ci * 4,
    colTiles: co / TILE_COLS,
    bTile: s.filterHeight * s.filterWidth * ci * TILE_COLS * 4,
    ldc: co * 4,
    bias: 0,
    floor: co * 4,
    packA: 0,
    packB: 0,
  };
}
