// The SIMD kernel behind our convolutions on wasm: C[m, n] += Σ_k A_k[m] · B_k[n], where every
// operand is read through strides (three nested ones for k, three for m). With the right strides
// that is any of a convolution's three products, straight from NHWC tensors, with no transpose and
// no im2col:
//   forward / input gradient (`pixels`): m = output pixel, n = output channel, k = (tap row, tap
//   column, channel), A read in place, B a packed filter;
//   filter gradient (`channelsPacked`, one call per tap): m = input channel, n = output channel,
//   k = pixel, both operands first copied into panels (packed-gradient-kernel.ts).
// One k step per loop iteration: unrolled by 4 with fixed offsets, V8 ran the same loops 10–45 %
// slower (measured in Chromium and Node, 2026-12-04).
// (tfjs-wasm's XNNPACK must repack a weight operand on every call whose weights are new, i.e. every
// training step, at 7–13 ns per element on one thread; for the filter gradient it must also
// transpose an activation. That cost more than the arithmetic.)
import {
  ACC,
  I32_LOCALS,
  KERNEL_PARAMS,
  L,
  P,
  SPLAT,
  TILE_COLS,
  TILE_ROWS,
  V0,
  V1,
  tileStep,
} from './kernel-layout';
import { packedGradientBody } from './packed-gradient-kernel';
import { peakFunction } from './peak-loop';
import { Code, I32, V128, moduleBytes, type FunctionSpec } from './wasm-writer';

export { KERNEL_PARAMS, TILE_COLS, TILE_ROWS, type KernelParam } from './kernel-layout';

/** One k step of the tile at pa[r] (each row of A its own pointer) and pb, then the pointers move on. */
function multiplyAccumulate(k: Code, fma: boolean): void {
  tileStep(k, fma, (code, r) => code.get(L.pa[r]).load32Splat(0));
  for (let r = 0; r < TILE_ROWS; r++) k.bump(L.pa[r], { local: P.aInner });
  k.bump(L.pb, { local: P.bInner });
}

/** The k loops for one tile, starting from aMidRow/bMidRow-style bases set per level. */
function kLoops(code: Code, fma: boolean): void {
  code.get(L.aTileBase).set(L.aOuterRow);
  code.get(P.b).get(L.colTile).get(P.bTile).mul().add().set(L.bOuterRow);
  code.get(P.outerCount).set(L.outer);
  code.countdown(L.outer, (c) => {
    c.get(L.aOuterRow).set(L.aMidRow);
    c.get(L.bOuterRow).set(L.bMidRow);
    c.get(P.midCount).set(L.mid);
    c.countdown(L.mid, (c2) => {
      c2.get(L.aMidRow).set(L.pa[0]);
      for (let r = 1; r < TILE_ROWS; r++)
        c2.get(L.pa[r - 1])
          .get(P.aRow)
          .add()
          .set(L.pa[r]);
      c2.get(L.bMidRow).set(L.pb);
      c2.get(P.innerCount).set(L.inner);
      c2.countdown(L.inner, (k) => multiplyAccumulate(k, fma));
      c2.bump(L.aMidRow, { local: P.aMid });
      c2.bump(L.bMidRow, { local: P.bMid });
    });
    c.bump(L.aOuterRow, { local: P.aOuter });
    c.bump(L.bOuterRow, { local: P.bOuter });
  });
}

function tile(code: Code, fma: boolean): void {
  // C rows of this tile: cTileBase + r·ldc (cTileBase includes the column tile).
  code
    .get(L.cTileBase)
    .get(L.colTile)
    .i32(TILE_COLS * 4)
    .mul()
    .add()
    .set(L.cRow[0]);
  for (let r = 1; r < TILE_ROWS; r++)
    code
      .get(L.cRow[r - 1])
      .get(P.ldc)
      .add()
      .set(L.cRow[r]);
  // Every row of the tile starts from the column tile's bias (pb is free until the k loops).
  code
    .get(P.bias)
    .get(L.colTile)
    .i32(TILE_COLS * 4)
    .mul()
    .add()
    .set(L.pb);
  code.get(L.pb).v128Load(0).set(V0);
  code.get(L.pb).v128Load(16).set(V1);
  for (let r = 0; r < TILE_ROWS; r++) {
    code.get(V0).set(ACC + 2 * r);
    code.get(V1).set(ACC + 2 * r + 1);
  }
  kLoops(code, fma);
  code.get(P.floor).load32Splat(0).set(SPLAT);
  for (let a = ACC; a < ACC + 2 * TILE_ROWS; a++) code.get(a).get(SPLAT).f32x4Max().set(a);
  for (let r = 0; r < TILE_ROWS; r++) {
    code
      .get(L.cRow[r])
      .get(ACC + 2 * r)
      .v128Store(0);
    code
      .get(L.cRow[r])
      .get(ACC + 2 * r + 1)
      .v128Store(16);
  }
  code.bump(L.aTileBase, { local: P.aTile });
  // The next tile starts TILE_ROWS rows of C further on.
  code.get(L.cTileBase).get(P.ldc).i32(TILE_ROWS).mul().add().set(L.cTileBase);
}

/** colTile → image → row → rowTile → tile. Column tiles outermost: each B panel is read once. */
function body(fma: boolean): Code {
  const code = new Code();
  code.countup(L.colTile, P.colTiles, (c) => {
    c.countup(L.image, P.imageCount, (c2) => {
      c2.countup(L.row, P.rowCount, (c3) => {
        // Bases of the row's first tile: a + image·aImage + row·aRowStep (likewise for C).
        c3.get(P.a)
          .get(L.image)
          .get(P.aImage)
          .mul()
          .add()
          .get(L.row)
          .get(P.aRowStep)
          .mul()
          .add()
          .set(L.aTileBase);
        c3.get(P.c)
          .get(L.image)
          .get(P.cImage)
          .mul()
          .add()
          .get(L.row)
          .get(P.cRowStep)
          .mul()
          .add()
          .set(L.cTileBase);
        c3.countup(L.rowTile, P.rowTiles, (t) => tile(t, fma));
      });
    });
  });
  return code;
}

/** The exported functions, in the order KernelCall.fn indexes them. */
export const KERNEL_FUNCTIONS = ['pixels', 'channelsPacked', 'peak'] as const;

export function kernelFunctions(instance: WebAssembly.Instance): ((...args: number[]) => void)[] {
  return KERNEL_FUNCTIONS.map((name) => instance.exports[name] as (...args: number[]) => void);
}

/**
 * The functions `pixels` (a whole convolution per call: C = max(bias + Σ_k, floor), each tile row
 * its own pointer into A, aRow apart), `channelsPacked` (a filter gradient's call: C += Σ_k over
 * packed copies of its operands, packed-gradient-kernel.ts) and `peak`, the multiply-add loop of
 * peak-loop.ts. Counts must be ≥ 1.
 */
export function outerProductSpecs(fma: boolean): FunctionSpec[] {
  const locals = [
    { type: I32, count: I32_LOCALS },
    { type: V128, count: 2 * TILE_ROWS + 3 },
  ];
  return [
    { name: 'pixels', params: KERNEL_PARAMS.length, locals, code: body(fma) },
    { name: 'channelsPacked', params: KERNEL_PARAMS.length, locals, code: packedGradientBody(fma) },
    peakFunction(fma, KERNEL_PARAMS.length, { b: P.b, count: P.outerCount }),
  ];
}

/** The outer-product functions alone, on a memory of their own (the peak loop, the tests). */
export function outerProductModule(maxPages: number, shared: boolean, fma = false): Uint8Array<ArrayBuffer> {
  return moduleBytes(outerProductSpecs(fma), maxPages, shared);
}
