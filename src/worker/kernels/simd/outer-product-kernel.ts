// The SIMD kernel behind our filter gradients on wasm: C[m, n] += Σ_k A_k[m] · B_k[n], where each
// step k reads a row of A and a row of B wherever they lie in memory (three nested strides). That is
// exactly a convolution's filter gradient for one filter tap — A the input pixels, B the output
// gradient's pixels — read straight from NHWC tensors: no transpose, no im2col, no packing.
// (tfjs-wasm's matrix product must transpose one operand and pack the other, at 7–11 ns per element,
// single-threaded; that cost more than the arithmetic itself.)
import { Code, I32, V128, moduleBytes } from './wasm-writer';

/** Rows of C per register tile (one f32 splat each) and columns (two f32x4 vectors). */
export const TILE_ROWS = 4;
export const TILE_COLS = 8;

// Parameters, in order (all i32; addresses and strides in bytes).
const P = {
  aBase: 0,
  bBase: 1,
  cBase: 2,
  outerCount: 3,
  midCount: 4,
  innerCount: 5,
  aOuter: 6,
  aMid: 7,
  aInner: 8,
  bOuter: 9,
  bMid: 10,
  bInner: 11,
  rowTiles: 12,
  colTiles: 13,
  ldc: 14,
} as const;
const PARAMS = 15;

// Locals after the parameters.
const L = {
  rowTile: 15,
  colTile: 16,
  outer: 17,
  mid: 18,
  inner: 19,
  pa: 20,
  pb: 21,
  aOuterRow: 22,
  bOuterRow: 23,
  aMidRow: 24,
  bMidRow: 25,
  cRow0: 26, // TILE_ROWS consecutive locals: the address of each C row of the tile
} as const;
const I32_LOCALS = 11 + TILE_ROWS;
const ACC = PARAMS + I32_LOCALS; // 2 · TILE_ROWS accumulators
const V0 = ACC + 2 * TILE_ROWS;
const V1 = V0 + 1;
const SPLAT = V0 + 2;

function tileBody(code: Code, fma: boolean): void {
  // cRow[r] = cBase + (rowTile·TILE_ROWS + r)·ldc + colTile·TILE_COLS·4
  for (let r = 0; r < TILE_ROWS; r++) {
    code
      .get(P.cBase)
      .get(L.rowTile)
      .i32(TILE_ROWS)
      .mul()
      .i32(r)
      .add()
      .get(P.ldc)
      .mul()
      .add()
      .get(L.colTile)
      .i32(TILE_COLS * 4)
      .mul()
      .add()
      .set(L.cRow0 + r);
  }
  // Accumulate onto what C holds (the caller zeroes it once; K may arrive in several calls).
  for (let r = 0; r < TILE_ROWS; r++) {
    code
      .get(L.cRow0 + r)
      .v128Load(0)
      .set(ACC + 2 * r);
    code
      .get(L.cRow0 + r)
      .v128Load(16)
      .set(ACC + 2 * r + 1);
  }
  code
    .get(P.aBase)
    .get(L.rowTile)
    .i32(TILE_ROWS * 4)
    .mul()
    .add()
    .set(L.aOuterRow);
  code
    .get(P.bBase)
    .get(L.colTile)
    .i32(TILE_COLS * 4)
    .mul()
    .add()
    .set(L.bOuterRow);
  code.get(P.outerCount).set(L.outer);
  code.countdown(L.outer, (c) => {
    c.get(L.aOuterRow).set(L.aMidRow);
    c.get(L.bOuterRow).set(L.bMidRow);
    c.get(P.midCount).set(L.mid);
    c.countdown(L.mid, (c2) => {
      c2.get(L.aMidRow).set(L.pa);
      c2.get(L.bMidRow).set(L.pb);
      c2.get(P.innerCount).set(L.inner);
      c2.countdown(L.inner, (k) => {
        k.get(L.pb).v128Load(0).set(V0);
        k.get(L.pb).v128Load(16).set(V1);
        for (let r = 0; r < TILE_ROWS; r++) {
          k.get(L.pa)
            .load32Splat(4 * r)
            .set(SPLAT);
          for (const [acc, v] of [
            [ACC + 2 * r, V0],
            [ACC + 2 * r + 1, V1],
          ]) {
            if (fma) k.get(SPLAT).get(v).get(acc).f32x4RelaxedMadd().set(acc);
            else k.get(acc).get(SPLAT).get(v).f32x4Mul().f32x4Add().set(acc);
          }
        }
        k.bump(L.pa, { local: P.aInner });
        k.bump(L.pb, { local: P.bInner });
      });
      c2.bump(L.aMidRow, { local: P.aMid });
      c2.bump(L.bMidRow, { local: P.bMid });
    });
    c.bump(L.aOuterRow, { local: P.aOuter });
    c.bump(L.bOuterRow, { local: P.bOuter });
  });
  for (let r = 0; r < TILE_ROWS; r++) {
    code
      .get(L.cRow0 + r)
      .get(ACC + 2 * r)
      .v128Store(0);
    code
      .get(L.cRow0 + r)
      .get(ACC + 2 * r + 1)
      .v128Store(16);
  }
}

/**
 * accumulate(aBase, bBase, cBase, outerCount, midCount, innerCount, aOuter, aMid, aInner,
 * bOuter, bMid, bInner, rowTiles, colTiles, ldc): for every tile of TILE_ROWS × TILE_COLS
 * (rowTiles × colTiles of them), C += Σ over the outer × mid × inner steps of A-row ⊗ B-row.
 * Counts must be ≥ 1.
 */
export function outerProductModule(maxPages: number, shared: boolean, fma = false): Uint8Array<ArrayBuffer> {
  const code = new Code();
  code.countup(L.colTile, P.colTiles, (c) => {
    c.countup(L.rowTile, P.rowTiles, (tile) => tileBody(tile, fma));
  });
  return moduleBytes(
    [
      {
        name: 'accumulate',
        params: PARAMS,
        locals: [
          { type: I32, count: I32_LOCALS },
          { type: V128, count: 2 * TILE_ROWS + 3 },
        ],
        code,
      },
    ],
    maxPages,
    shared,
  );
}
