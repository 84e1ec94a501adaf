// How an outer-product run's calls are shared over the threads: one list of calls per thread, the
// lists writing disjoint outputs, so that each output float gets its sums from one thread in the
// plan's order (the same bits on any number of threads).
import { TILE_COLS, TILE_ROWS } from './outer-product-kernel';
import type { KernelCall } from './filter-gradient-plan';

/** Splits a call's output columns (or rows, when there are too few columns) into `parts` calls. */
export function splitCall(call: KernelCall, parts: number): KernelCall[] {
  const byCols = call.colTiles >= parts;
  const tiles = byCols ? call.colTiles : call.rowTiles;
  const count = Math.min(parts, tiles);
  const out: KernelCall[] = [];
  let start = 0;
  for (let p = 0; p < count; p++) {
    const size = Math.floor(tiles / count) + (p < tiles % count ? 1 : 0);
    if (byCols) {
      out.push({
        ...call,
        b: call.b + start * call.bTile,
        c: call.c + start * TILE_COLS * 4,
        bias: call.bias + start * TILE_COLS * 4,
        colTiles: size,
      });
    } else {
      out.push({
        ...call,
        a: call.a + start * call.aTile,
        c: call.c + start * TILE_ROWS * call.ldc,
        rowTiles: size,
      });
    }
    start += size;
  }
  return out;
}

/** Every call split into one part per thread (by columns, or rows when columns are too few). */
export function splitEachCall(calls: KernelCall[], threads: number): KernelCall[][] {
  const parts = calls.map((call) => splitCall(call, threads));
  return Array.from({ length: threads }, (_, k) => parts.flatMap((p) => (p[k] ? [p[k]] : [])));
}

/**
 * A filter gradient's calls as `threads` shares that write disjoint weights, each weight summed by
 * one share in the plan's order (the same bits as on one thread). Whole taps go to one share each,
 * balanced by their work, so each call packs its pixels once; the taps left over (fewer than the
 * threads) have every call split by columns, one part per share, as all taps were before (there
 * every share packed the whole input side of every call: for a 3×3 64-channel gradient, half again
 * the packing a share needs for its own calls).
 */
export function shareFilterGradient(calls: KernelCall[], threads: number): KernelCall[][] {
  const taps = new Map<number, KernelCall[]>();
  for (const call of calls) {
    const tap = taps.get(call.c);
    if (tap) tap.push(call);
    else taps.set(call.c, [call]);
  }
  const groups = [...taps.values()];
  const whole = groups.length - (groups.length % threads);
  const work = (tap: KernelCall[]) =>
    tap.reduce((sum, c) => sum + c.outerCount * c.midCount * c.innerCount * c.rowTiles * c.colTiles, 0);
  const shares: KernelCall[][] = Array.from({ length: threads }, () => []);
  const load = new Array<number>(threads).fill(0);
  // Largest first, each to the least loaded share.
  const byWork = groups.slice(0, whole).sort((a, b) => work(b) - work(a));
  for (const tap of byWork) {
    const k = load.indexOf(Math.min(...load));
    shares[k].push(...tap);
    load[k] += work(tap);
  }
  for (const tap of groups.slice(whole))
    for (const call of tap) splitCall(call, threads).forEach((part, k) => shares[k].push(part));
  return shares;
}
