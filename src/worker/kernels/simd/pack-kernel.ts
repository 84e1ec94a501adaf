// Packing a convolution's filter as the `pixels` kernel reads it — panels of TILE_COLS output
// channels, [tiles][rows][TILE_COLS] — in place on tfjs's heap, split over the engine's threads by
// panels. Training packs every filter twice a step (the forward filter, and the flipped one of the
// input gradient); in JS, on one thread, that took ~80 ms of a 1.8 s step at 128 px.
//   packPanels: a panel's TILE_COLS floats lie side by side in the source (the forward filter), two
//   vector copies per row;
//   packPanelsStrided: they lie elementStep bytes apart (the flipped filter's transpose), one float
//   at a time.
// Rows come in outerCount groups of innerCount (the flipped filter: its taps in reverse order, then
// its output channels), each with its own byte step (a negative one walks backwards). Counts must be
// ≥ 1.
import { TILE_COLS } from './kernel-layout';
import { Code, I32, type FunctionSpec } from './wasm-writer';

export const PACK_PARAMS = [
  'src',
  'dst',
  'tiles',
  'tileStep',
  'outerCount',
  'outerStep',
  'innerCount',
  'innerStep',
  'elementStep',
] as const;
export type PackArgs = Record<(typeof PACK_PARAMS)[number], number>;

export const PACK_FUNCTIONS = ['packPanels', 'packPanelsStrided'] as const;

function packBody(strided: boolean): FunctionSpec {
  const [SRC, DST, TILES, TILE_STEP, OUTER_COUNT, OUTER_STEP, INNER_COUNT, INNER_STEP, ELEMENT_STEP] =
    PACK_PARAMS.map((_, i) => i);
  let next = PACK_PARAMS.length;
  const [tile, tileSrc, outer, rowSrc, inner, src, element] = Array.from({ length: 7 }, () => next++);
  const code = new Code();
  code.get(TILES).set(tile);
  code.get(SRC).set(tileSrc);
  code.countdown(tile, (c) => {
    c.get(tileSrc).set(rowSrc);
    c.get(OUTER_COUNT).set(outer);
    c.countdown(outer, (c2) => {
      c2.get(rowSrc).set(src);
      c2.get(INNER_COUNT).set(inner);
      c2.countdown(inner, (row) => {
        if (strided) {
          row.get(src).set(element);
          for (let u = 0; u < TILE_COLS; u++) {
            row
              .get(DST)
              .get(element)
              .f32Load(0)
              .f32Store(4 * u);
            row.bump(element, { local: ELEMENT_STEP });
          }
        } else
          for (let v = 0; v < TILE_COLS / 4; v++)
            row
              .get(DST)
              .get(src)
              .v128Load(16 * v)
              .v128Store(16 * v);
        row.bump(DST, { value: TILE_COLS * 4 });
        row.bump(src, { local: INNER_STEP });
      });
      c2.bump(rowSrc, { local: OUTER_STEP });
    });
    c.bump(tileSrc, { local: TILE_STEP });
  });
  return {
    name: strided ? 'packPanelsStrided' : 'packPanels',
    params: PACK_PARAMS.length,
    locals: [{ type: I32, count: next - PACK_PARAMS.length }],
    code,
  };
}

export function packSpecs(): FunctionSpec[] {
  return [packBody(false), packBody(true)];
}

export interface PackCall {
  fn: (typeof PACK_FUNCTIONS)[number];
  args: PackArgs;
  /** Bytes of one packed panel. */
  panelBytes: number;
}

/**
 * The arguments that pack filter [kh, kw, ci, co] at byte address `filterAt` into `at`: as is (panels
 * of co), or flipped for an input gradient (W'[kh−1−i, kw−1−j, o, c], panels of c).
 */
export function packArgs(
  filterAt: number,
  [kh, kw, ci, co]: number[],
  at: number,
  flipped: boolean,
): PackCall {
  if (!flipped) {
    const rows = kh * kw * ci;
    return {
      fn: 'packPanels',
      panelBytes: rows * TILE_COLS * 4,
      args: {
        src: filterAt,
        dst: at,
        tiles: co / TILE_COLS,
        tileStep: TILE_COLS * 4,
        outerCount: 1,
        outerStep: 0,
        innerCount: rows,
        innerStep: co * 4,
        elementStep: 4,
      },
    };
  }
  const tap = ci * co * 4;
  return {
    fn: 'packPanelsStrided',
    panelBytes: kh * kw * co * TILE_COLS * 4,
    args: {
      src: filterAt + (kh * kw - 1) * tap, // the last tap first
      dst: at,
      tiles: ci / TILE_COLS,
      tileStep: TILE_COLS * co * 4,
      outerCount: kh * kw,
      outerStep: -tap,
      innerCount: co,
      innerStep: 4,
      elementStep: co * 4,
    },
  };
}

/** The call's panels in at most `parts` shares of whole panels, as argument lists (none empty). */
export function packShares({ args, panelBytes }: PackCall, parts: number): number[][] {
  const count = Math.max(1, Math.min(parts, args.tiles));
  return Array.from({ length: count }, (_, k) => {
    const first = Math.floor((k * args.tiles) / count);
    const tiles = Math.floor(((k + 1) * args.tiles) / count) - first;
    const share = {
      ...args,
      src: args.src + first * args.tileStep,
      dst: args.dst + first * panelBytes,
      tiles,
    };
    return PACK_PARAMS.map((name) => share[name]);
  });
}
