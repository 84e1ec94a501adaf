// The filter-packing functions of the heap module (pack-kernel.ts) against the layout's definition:
// the forward filter in panels of its output channels, the input gradient's flipped filter in
// panels of its input channels, whole and split into shares of panels; nothing written outside.
import { describe, expect, it } from 'vitest';
import { HEAP_FUNCTIONS, heapFunctions, heapModule } from '../src/worker/kernels/simd/heap-module';
import { TILE_COLS } from '../src/worker/kernels/simd/kernel-layout';
import { packArgs, packShares } from '../src/worker/kernels/simd/pack-kernel';
import { seeded } from './support/conv-compare';

/** packed[t][row][u] by definition; rows (i, j, c) forward, (i, j, o) with taps reversed flipped. */
function reference(w: Float32Array, [kh, kw, ci, co]: number[], flipped: boolean): Float32Array {
  const out: number[] = [];
  const at = (i: number, j: number, c: number, o: number) => w[((i * kw + j) * ci + c) * co + o];
  if (!flipped) {
    for (let t = 0; t < co / TILE_COLS; t++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let c = 0; c < ci; c++)
            for (let u = 0; u < TILE_COLS; u++) out.push(at(i, j, c, t * TILE_COLS + u));
  } else {
    for (let t = 0; t < ci / TILE_COLS; t++)
      for (let i = 0; i < kh; i++)
        for (let j = 0; j < kw; j++)
          for (let o = 0; o < co; o++)
            for (let u = 0; u < TILE_COLS; u++) out.push(at(kh - 1 - i, kw - 1 - j, t * TILE_COLS + u, o));
  }
  return Float32Array.from(out);
}

const CANARY = 32;

/** Packs w on a fresh heap in `parts` shares of whole panels (as the engine splits it). */
function pack(w: Float32Array, shape: number[], flipped: boolean, parts: number): Float32Array {
  const memory = new WebAssembly.Memory({ initial: 1 + Math.ceil((w.length * 8 * 4 + 4096) / 65536) });
  const kernels = heapFunctions(
    new WebAssembly.Instance(new WebAssembly.Module(heapModule(false, false)), { env: { memory } }),
  );
  const heap = new Float32Array(memory.buffer);
  const filterAt = 64;
  heap.set(w, filterAt / 4);
  const outAt = filterAt + w.length * 4 + CANARY * 4;
  heap.fill(-3.25, filterAt / 4 + w.length, outAt / 4 + w.length + CANARY);
  const call = packArgs(filterAt, shape, outAt, flipped);
  const shares = packShares(call, parts);
  expect(shares).toHaveLength(Math.min(parts, call.args.tiles)); // counts must be ≥ 1
  for (const args of shares) kernels[HEAP_FUNCTIONS.indexOf(call.fn)](...args);
  expect(heap.subarray(filterAt / 4, filterAt / 4 + w.length)).toEqual(w); // the filter untouched
  expect(heap.subarray(filterAt / 4 + w.length, outAt / 4).every((v) => v === -3.25)).toBe(true);
  const after = outAt / 4 + w.length;
  expect(heap.subarray(after, after + CANARY).every((v) => v === -3.25)).toBe(true);
  return heap.slice(outAt / 4, after);
}

describe('filter packing on the heap module', () => {
  const shapes: number[][] = [
    [3, 3, 16, 24],
    [1, 1, 8, 8],
    [7, 7, 8, 16],
    [1, 1, 24, 40],
    [3, 2, 16, 8],
  ];
  for (const shape of shapes)
    for (const flipped of [false, true])
      it(`${shape.join('×')}${flipped ? ' flipped' : ''} equals the layout's definition, whole and in shares`, () => {
        const random = seeded(shape.reduce((a, b) => a * 31 + b, flipped ? 7 : 3));
        const w = Float32Array.from({ length: shape.reduce((a, b) => a * b) }, random);
        const expected = reference(w, shape, flipped);
        for (const parts of [1, 2, 3]) expect(pack(w, shape, flipped, parts)).toEqual(expected);
      });
});
