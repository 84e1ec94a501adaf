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

/**
 * Copies NHWC x (at float index `from` of `heap`) zero-padded into the layout's padded input at
 * `to`, with its slack zeroed too. One pass in order: each float is written once (the padding
 * zeroed where it lies, not the whole buffer before the copy).
 */
export function copyPadded(
  heap: Float32Array,
  from: number,
  s: ConvShape,
  layout: ConvolutionLayout,
  to: number,
): void {
  const { paddedHeight: hp, paddedWidth: wp } = layout;
  const ci = s.inChannels;
  const rowLength = s.inWidth * ci;
  const left = s.padLeft * ci;
  const right = (wp - s.inWidth - s.padLeft) * ci;
  let at = to;
  const zeros = (count: number) => {
    heap.fill(0, at, at + count);
    at += count;
  };
  for (let b = 0; b < s.batch; b++) {
    zeros(s.padTop * wp * ci);
    for (let y = 0; y < s.inHeight; y++) {
      zeros(left);
      const row = from + (b * s.inHeight + y) * rowLength;
      heap.copyWithin(at, row, row + rowLength);
      at += rowLength;
      zeros(right);
    }
    zeros((hp - s.inHeight - s.padTop) * wp * ci);
  }
  zeros(layout.inputSlack);
}

/** Copies an output computed with rows of `rowPixels` (whole tiles) from `from` to NHWC at `to`. */
export function copyWholeRows(
  heap: Float32Array,
  from: number,
  s: ConvShape,
  rowPixels: number,
  to: number,
): void {
  const rowLength = s.outWidth * s.outChannels;
  for (let row = 0; row < s.batch * s.outHeight; row++) {
    const at = from + row * rowPixels * s.outChannels;
    heap.copyWithin(to + row * rowLength, at, at + rowLength);
  }
}

/** Floats of a convolution's epilogue: its bias (one per output channel), then its floor. */
export const epilogueLength = (s: ConvShape) => s.outChannels + 1;

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
