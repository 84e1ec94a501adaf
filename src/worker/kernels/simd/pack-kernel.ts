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

/** Free i32 locals of the function a panel copy is emitted into. */
export interface PanelCopyLocals {
  tile: number;
  /** The current tile's source. */
  tileSrc: number;
  /** One counter and one pointer per level of rows. */
  counters: number[];
  pointers: number[];
  /** For rows whose floats lie apart (absent where rows are whole vectors). */
  element?: number;
}

/** A copy of tiles of a strided operand into consecutive panels (locals and params by index). */
export interface PanelCopy {
  /** The first tile's source, and the target, which advances as it is written. */
  src: number;
  dst: number;
  tiles: number;
  tileStep: number;
  /** A panel's rows: nested loops, outermost first, each a count and a byte step. */
  levels: { count: number; step: number }[];
  /** A row: `vectors` f32x4 side by side, or TILE_COLS floats `elementStep` bytes apart. */
  row: { vectors: number } | { elementStep: number };
}

/**
 * Emits the copy of every tile's rows, one panel after another at dst (the filter packing here and
 * the filter gradient's operands, packed-gradient-kernel.ts). Counts must be ≥ 1.
 */
export function copyPanels(code: Code, copy: PanelCopy, locals: PanelCopyLocals): void {
  const copyRow = (c: Code, src: number) => {
    const { row } = copy;
    if ('vectors' in row)
      for (let v = 0; v < row.vectors; v++)
        c.get(copy.dst)
          .get(src)
          .v128Load(16 * v)
          .v128Store(16 * v);
    else {
      const { element } = locals;
      if (element === undefined) throw new Error('copyPanels: rows of floats apart need an element local');
      c.get(src).set(element);
      for (let u = 0; u < TILE_COLS; u++) {
        c.get(copy.dst)
          .get(element)
          .f32Load(0)
          .f32Store(4 * u);
        c.bump(element, { local: row.elementStep });
      }
    }
    c.bump(copy.dst, { value: 'vectors' in row ? 16 * row.vectors : TILE_COLS * 4 });
  };
  const walk = (c: Code, level: number, from: number) => {
    const { count, step } = copy.levels[level];
    const [counter, pointer] = [locals.counters[level], locals.pointers[level]];
    c.get(from).set(pointer);
    c.get(count).set(counter);
    c.countdown(counter, (inner) => {
      if (level + 1 < copy.levels.length) walk(inner, level + 1, pointer);
      else copyRow(inner, pointer);
      inner.bump(pointer, { local: step });
    });
  };
  code.get(copy.src).set(locals.tileSrc);
  code.get(copy.tiles).set(locals.tile);
  code.countdown(locals.tile, (c) => {
    walk(c, 0, locals.tileSrc);
    c.bump(locals.tileSrc, { local: copy.tileStep });
  });
}

function packBody(strided: boolean): FunctionSpec {
  const [SRC, DST, TILES, TILE_STEP, OUTER_COUNT, OUTER_STEP, INNER_COUNT, INNER_STEP, ELEMENT_STEP] =
    PACK_PARAMS.map((_, i) => i);
  let next = PACK_PARAMS.length;
  const local = () => next++;
  const locals = {
    tile: local(),
    tileSrc: local(),
    counters: [local(), local()],
    pointers: [local(), local()],
    element: local(),
  };
  const code = new Code();
  copyPanels(
    code,
    {
      src: SRC,
      dst: DST,
      tiles: TILES,
      tileStep: TILE_STEP,
      levels: [
        { count: OUTER_COUNT, step: OUTER_STEP },
        { count: INNER_COUNT, step: INNER_STEP },
      ],
      row: strided ? { elementStep: ELEMENT_STEP } : { vectors: TILE_COLS / 4 },
    },
    locals,
  );
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
