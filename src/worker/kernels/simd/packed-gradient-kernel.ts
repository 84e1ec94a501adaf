// The filter gradient's function `channelsPacked`: C[ci, co] += Σ_k x_k[ci] · dy_k[co] for one call of
// the filter-gradient plan (one tap, a group of pixels). It first copies the call's operands into
// panels of its own scratch — A as [rowTile][k][TILE_ROWS], B as [colTile][k][TILE_COLS] — then
// multiplies panel by panel, each k step 16 and 32 bytes on.
// Why: read in place, consecutive k steps of one tile are a whole pixel of channels apart, and
// ResNet's channel counts make that a multiple of 4 KB (1024 channels and up): every step of a
// panel then falls into the same few cache sets, and a panel that should stay in L1 is fetched
// again from L3 for every tile (measured on one thread: 1×1 512→2048 at 27 GFLOP/s against 44 with
// 520→2040). Packed, a panel is contiguous, and the copy costs one read of each operand per call.
import { ACC, L, P, TILE_COLS, TILE_ROWS, tileStep } from './kernel-layout';
import { copyPanels, type PanelCopy } from './pack-kernel';
import { Code } from './wasm-writer';

const A_STEP = TILE_ROWS * 4;
const B_STEP = TILE_COLS * 4;

/**
 * Packs one operand (tiles of `vectors` f32x4, read through the call's three k loops with the given
 * strides) into consecutive panels from `into`.
 */
function pack(
  code: Code,
  vectors: number,
  operand: Pick<PanelCopy, 'src' | 'tiles' | 'tileStep'>,
  strides: { outer: number; mid: number; inner: number },
  into: number,
): void {
  code.get(into).set(L.dst);
  copyPanels(
    code,
    {
      ...operand,
      dst: L.dst,
      levels: [
        { count: P.outerCount, step: strides.outer },
        { count: P.midCount, step: strides.mid },
        { count: P.innerCount, step: strides.inner },
      ],
      row: { vectors },
    },
    {
      tile: L.rowTile,
      tileSrc: L.cTileBase,
      counters: [L.outer, L.mid, L.inner],
      pointers: [L.aOuterRow, L.aMidRow, L.src],
    },
  );
}

function multiplyPanels(code: Code, fma: boolean): void {
  code.get(L.kSteps).set(L.inner);
  code.countdown(L.inner, (k) => {
    tileStep(k, fma, (step, r) => step.get(L.pa[0]).load32Splat(4 * r));
    k.bump(L.pa[0], { value: A_STEP });
    k.bump(L.pb, { value: B_STEP });
  });
}

/** The body of `channelsPacked` (its calls: the filter-gradient plan's, with packA and packB set). */
export function packedGradientBody(fma: boolean): Code {
  const code = new Code();
  // k = outer · mid · inner steps; a panel's bytes in A and in B.
  code.get(P.outerCount).get(P.midCount).mul().get(P.innerCount).mul().set(L.kSteps);
  code.get(L.kSteps).i32(A_STEP).mul().set(L.aPanel);
  code.get(L.kSteps).i32(B_STEP).mul().set(L.bPanel);
  const a = { src: P.a, tiles: P.rowTiles, tileStep: P.aTile };
  const b = { src: P.b, tiles: P.colTiles, tileStep: P.bTile };
  pack(code, 1, a, { outer: P.aOuter, mid: P.aMid, inner: P.aInner }, P.packA);
  pack(code, 2, b, { outer: P.bOuter, mid: P.bMid, inner: P.bInner }, P.packB);
  // Column tiles outermost: a B panel stays in L1 while every A panel streams past it.
  code.countup(L.colTile, P.colTiles, (c) => {
    c.countup(L.rowTile, P.rowTiles, (t) => {
      // C rows of this tile: c + (rowTile·TILE_ROWS + r)·ldc + colTile·TILE_COLS floats.
      t.get(P.c).get(L.rowTile).get(P.ldc).i32(TILE_ROWS).mul().mul().add();
      t.get(L.colTile)
        .i32(TILE_COLS * 4)
        .mul()
        .add()
        .set(L.cRow[0]);
      for (let r = 1; r < TILE_ROWS; r++)
        t.get(L.cRow[r - 1])
          .get(P.ldc)
          .add()
          .set(L.cRow[r]);
      for (let r = 0; r < TILE_ROWS; r++) {
        t.get(L.cRow[r])
          .v128Load(0)
          .set(ACC + 2 * r);
        t.get(L.cRow[r])
          .v128Load(16)
          .set(ACC + 2 * r + 1);
      }
      t.get(P.packA).get(L.rowTile).get(L.aPanel).mul().add().set(L.pa[0]);
      t.get(P.packB).get(L.colTile).get(L.bPanel).mul().add().set(L.pb);
      multiplyPanels(t, fma);
      for (let r = 0; r < TILE_ROWS; r++) {
        t.get(L.cRow[r])
          .get(ACC + 2 * r)
          .v128Store(0);
        t.get(L.cRow[r])
          .get(ACC + 2 * r + 1)
          .v128Store(16);
      }
    });
  });
  return code;
}

/** Scratch bytes one share of a call of k steps needs: packA's panels, then packB's. */
export function packedScratch(k: number, rowTiles: number, colTiles: number): { a: number; b: number } {
  return { a: rowTiles * k * A_STEP, b: colTiles * k * B_STEP };
}
