// The register layout shared by the outer-product functions (outer-product-kernel.ts) and the packed
// filter gradient (packed-gradient-kernel.ts): the tile, the parameters every function takes, and
// the locals and vector registers after them.
import type { Code } from './wasm-writer';

/** Rows of C per register tile (one f32 splat each) and columns (two f32x4 vectors). */
export const TILE_ROWS = 4;
export const TILE_COLS = 8;

/** Parameter order of every outer-product function (all i32; addresses and strides in bytes). */
export const KERNEL_PARAMS = [
  'a',
  'b',
  'c',
  // k: outer × mid × inner steps
  'outerCount',
  'midCount',
  'innerCount',
  'aOuter',
  'aMid',
  'aInner',
  'bOuter',
  'bMid',
  'bInner',
  // m: images × rows × tiles of TILE_ROWS (the rows of a tile are aRow apart in A, ldc apart in C)
  'imageCount',
  'aImage',
  'cImage',
  'rowCount',
  'aRowStep',
  'cRowStep',
  'rowTiles',
  'aTile',
  'aRow',
  // n: tiles of TILE_COLS (B advances bTile per tile: TILE_COLS floats, or a whole packed panel)
  'colTiles',
  'bTile',
  'ldc',
  // the convolution's store (`pixels`): C = max(bias[n] + Σ_k, floor), with bias
  // TILE_COLS floats per column tile and floor one float (0: ReLU; −∞: none)
  'bias',
  'floor',
  // the filter gradient's packed operands (`channelsPacked`): scratch of this call's share for A's
  // rowTiles panels and for B's colTiles panels (packedScratch)
  'packA',
  'packB',
] as const;
export type KernelParam = (typeof KERNEL_PARAMS)[number];
export const P = Object.fromEntries(KERNEL_PARAMS.map((name, i) => [name, i])) as Record<KernelParam, number>;

// Locals after the parameters.
let next = KERNEL_PARAMS.length;
const local = () => next++;
export const L = {
  colTile: local(),
  image: local(),
  row: local(),
  rowTile: local(),
  outer: local(),
  mid: local(),
  inner: local(),
  pb: local(),
  aTileBase: local(),
  cTileBase: local(),
  aOuterRow: local(),
  bOuterRow: local(),
  aMidRow: local(),
  bMidRow: local(),
  pa: Array.from({ length: TILE_ROWS }, local), // one pointer per tile row (strided variant)
  cRow: Array.from({ length: TILE_ROWS }, local),
  // channelsPacked: k, a packed panel's bytes in A and in B, a copy's source and target
  kSteps: local(),
  aPanel: local(),
  bPanel: local(),
  src: local(),
  dst: local(),
};
export const I32_LOCALS = next - KERNEL_PARAMS.length;
export const ACC = next; // 2 · TILE_ROWS accumulators
export const V0 = ACC + 2 * TILE_ROWS;
export const V1 = V0 + 1;
export const SPLAT = V0 + 2;

/**
 * One k step on the tile: V0, V1 ← B's TILE_COLS floats at pb; for each row r, SPLAT ← A's float
 * (`loadA` leaves it splatted), then the row's accumulators += SPLAT · V0, V1.
 */
export function tileStep(k: Code, fma: boolean, loadA: (code: Code, row: number) => void): void {
  k.get(L.pb).v128Load(0).set(V0);
  k.get(L.pb).v128Load(16).set(V1);
  for (let r = 0; r < TILE_ROWS; r++) {
    loadA(k, r);
    k.set(SPLAT);
    for (const [acc, vec] of [
      [ACC + 2 * r, V0],
      [ACC + 2 * r + 1, V1],
    ]) {
      if (fma) k.get(SPLAT).get(vec).get(acc).f32x4RelaxedMadd().set(acc);
      else k.get(acc).get(SPLAT).get(vec).f32x4Mul().f32x4Add().set(acc);
    }
  }
}
