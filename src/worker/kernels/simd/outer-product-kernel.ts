// The SIMD kernel behind our convolutions on wasm: C[m, n] += Σ_k A_k[m] · B_k[n], where every
// operand is read in place through strides (three nested ones for k, three for m). With the right
// strides that is any of a convolution's three products, straight from NHWC tensors, with no
// transpose, no im2col and no packing:
//   filter gradient (one call per tap): m = input channel, n = output channel, k = pixel;
//   forward / input gradient: m = output pixel, n = output channel, k = (tap row, tap column, channel).
// (tfjs-wasm's XNNPACK must repack a weight operand on every call whose weights are new, i.e. every
// training step, at 7–13 ns per element on one thread; for the filter gradient it must also
// transpose an activation. That cost more than the arithmetic.)
import { peakFunction } from './peak-loop';
import { Code, I32, V128, moduleBytes, type FunctionSpec } from './wasm-writer';

/** Rows of C per register tile (one f32 splat each) and columns (two f32x4 vectors). */
export const TILE_ROWS = 4;
export const TILE_COLS = 8;

/** Parameter order of both exported functions (all i32; addresses and strides in bytes). */
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
  // the convolutions' store (`pixels`, `pixelsPacked`): C = max(bias[n] + Σ_k, floor), with bias
  // TILE_COLS floats per column tile and floor one float (0: ReLU; −∞: none)
  'bias',
  'floor',
] as const;
export type KernelParam = (typeof KERNEL_PARAMS)[number];
const P = Object.fromEntries(KERNEL_PARAMS.map((name, i) => [name, i])) as Record<KernelParam, number>;

// Locals after the parameters.
let next = KERNEL_PARAMS.length;
const local = () => next++;
const L = {
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
};
const I32_LOCALS = next - KERNEL_PARAMS.length;
const ACC = next; // 2 · TILE_ROWS accumulators
const V0 = ACC + 2 * TILE_ROWS;
const V1 = V0 + 1;
const SPLAT = V0 + 2;

interface Variant {
  /** Tile rows 4 bytes apart in A (filter gradient: channels), else aRow apart (pixels). */
  contiguousRows: boolean;
  /** Relaxed-SIMD fused multiply-add instead of mul + add. */
  fma: boolean;
  /**
   * Accumulators start at the bias and C is only written, as max(Σ, floor) (a convolution: its whole
   * k in one call), else they start from what C holds (a filter gradient: k arrives in one call per
   * tap).
   */
  fresh: boolean;
  /**
   * > 1: k steps per loop iteration, for the packed layout only (A steps 4 bytes, B 32: constants,
   * so the steps read at fixed offsets and the pointers move once). innerCount counts iterations.
   */
  unroll: number;
}

/** Packed-filter k step in bytes: one float of A, TILE_COLS floats of B. */
const PACKED_A_STEP = 4;
const PACKED_B_STEP = TILE_COLS * 4;

function multiplyAccumulate(k: Code, v: Variant): void {
  const steps = Math.max(1, v.unroll);
  for (let u = 0; u < steps; u++) {
    const bOffset = v.unroll > 1 ? u * PACKED_B_STEP : 0;
    const aOffset = v.unroll > 1 ? u * PACKED_A_STEP : 0;
    k.get(L.pb).v128Load(bOffset).set(V0);
    k.get(L.pb)
      .v128Load(bOffset + 16)
      .set(V1);
    for (let r = 0; r < TILE_ROWS; r++) {
      if (v.contiguousRows) k.get(L.pa[0]).load32Splat(4 * r + aOffset);
      else k.get(L.pa[r]).load32Splat(aOffset);
      k.set(SPLAT);
      for (const [acc, vec] of [
        [ACC + 2 * r, V0],
        [ACC + 2 * r + 1, V1],
      ]) {
        if (v.fma) k.get(SPLAT).get(vec).get(acc).f32x4RelaxedMadd().set(acc);
        else k.get(acc).get(SPLAT).get(vec).f32x4Mul().f32x4Add().set(acc);
      }
    }
  }
  const pointers = v.contiguousRows ? 1 : TILE_ROWS;
  for (let r = 0; r < pointers; r++)
    k.bump(L.pa[r], v.unroll > 1 ? { value: steps * PACKED_A_STEP } : { local: P.aInner });
  k.bump(L.pb, v.unroll > 1 ? { value: steps * PACKED_B_STEP } : { local: P.bInner });
}

/** The k loops for one tile, starting from aMidRow/bMidRow-style bases set per level. */
function kLoops(code: Code, v: Variant): void {
  code.get(L.aTileBase).set(L.aOuterRow);
  code.get(P.b).get(L.colTile).get(P.bTile).mul().add().set(L.bOuterRow);
  code.get(P.outerCount).set(L.outer);
  code.countdown(L.outer, (c) => {
    c.get(L.aOuterRow).set(L.aMidRow);
    c.get(L.bOuterRow).set(L.bMidRow);
    c.get(P.midCount).set(L.mid);
    c.countdown(L.mid, (c2) => {
      c2.get(L.aMidRow).set(L.pa[0]);
      if (!v.contiguousRows)
        for (let r = 1; r < TILE_ROWS; r++)
          c2.get(L.pa[r - 1])
            .get(P.aRow)
            .add()
            .set(L.pa[r]);
      c2.get(L.bMidRow).set(L.pb);
      c2.get(P.innerCount).set(L.inner);
      c2.countdown(L.inner, (k) => multiplyAccumulate(k, v));
      c2.bump(L.aMidRow, { local: P.aMid });
      c2.bump(L.bMidRow, { local: P.bMid });
    });
    c.bump(L.aOuterRow, { local: P.aOuter });
    c.bump(L.bOuterRow, { local: P.bOuter });
  });
}

function tile(code: Code, v: Variant): void {
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
  if (v.fresh) {
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
  }
  for (let r = 0; r < TILE_ROWS; r++) {
    if (v.fresh) {
      code.get(V0).set(ACC + 2 * r);
      code.get(V1).set(ACC + 2 * r + 1);
      continue;
    }
    // Accumulate onto what C holds (the caller zeroes it once; k arrives in several calls).
    code
      .get(L.cRow[r])
      .v128Load(0)
      .set(ACC + 2 * r);
    code
      .get(L.cRow[r])
      .v128Load(16)
      .set(ACC + 2 * r + 1);
  }
  kLoops(code, v);
  if (v.fresh) {
    code.get(P.floor).load32Splat(0).set(SPLAT);
    for (let a = ACC; a < ACC + 2 * TILE_ROWS; a++) code.get(a).get(SPLAT).f32x4Max().set(a);
  }
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
function body(v: Variant): Code {
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
        c3.countup(L.rowTile, P.rowTiles, (t) => tile(t, v));
      });
    });
  });
  return code;
}

/** The exported functions, in the order KernelCall.fn indexes them. */
export const KERNEL_FUNCTIONS = ['channels', 'pixels', 'pixelsPacked', 'peak'] as const;

export function kernelFunctions(instance: WebAssembly.Instance): ((...args: number[]) => void)[] {
  return KERNEL_FUNCTIONS.map((name) => instance.exports[name] as (...args: number[]) => void);
}

/** Inner steps per iteration of `pixelsPacked` (the calls' innerCount is the channels / this). */
export const PACKED_UNROLL = 4;

/**
 * The functions `channels` (tile rows 4 bytes apart in A; C += Σ_k, for the filter gradient's one call
 * per tap), `pixels` (tile rows aRow apart) and `pixelsPacked` (pixels over a packed filter,
 * PACKED_UNROLL k steps per iteration; aInner and bInner are implied) — both C = max(bias + Σ_k,
 * floor), a whole convolution per call — then `peak`, the multiply-add loop of peak-loop.ts. Each computes its sum for
 * every TILE_ROWS × TILE_COLS tile of C. Counts must be ≥ 1.
 */
export function outerProductSpecs(fma: boolean): FunctionSpec[] {
  const locals = [
    { type: I32, count: I32_LOCALS },
    { type: V128, count: 2 * TILE_ROWS + 3 },
  ];
  return [
    ...(
      [
        ['channels', { contiguousRows: true, fma, fresh: false, unroll: 1 }],
        ['pixels', { contiguousRows: false, fma, fresh: true, unroll: 1 }],
        ['pixelsPacked', { contiguousRows: false, fma, fresh: true, unroll: PACKED_UNROLL }],
      ] as const
    ).map(([name, variant]) => ({ name, params: KERNEL_PARAMS.length, locals, code: body(variant) })),
    peakFunction(fma, KERNEL_PARAMS.length, { b: P.b, count: P.outerCount }),
  ];
}

/** The outer-product functions alone, on a memory of their own (the peak loop, the tests). */
export function outerProductModule(maxPages: number, shared: boolean, fma = false): Uint8Array<ArrayBuffer> {
  return moduleBytes(outerProductSpecs(fma), maxPages, shared);
}
