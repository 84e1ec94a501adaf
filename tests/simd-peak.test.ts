// The measured SIMD peak (bench:speed's ceiling): the `peak` loop computes what it says on every
// accumulator, with and without relaxed-SIMD FMA, each thread share in its own memory, and the
// engine reports GFLOP/s from it.
import { describe, expect, it } from 'vitest';
import type { KernelCall } from '../src/worker/kernels/simd/filter-gradient-plan';
import { splitCall } from '../src/worker/kernels/simd/thread-shares';
import { OuterProductEngine } from '../src/worker/kernels/simd/engine';
import { PEAK_ACCUMULATORS, PEAK_FLOPS_PER_ITERATION } from '../src/worker/kernels/simd/peak-loop';
import {
  KERNEL_FUNCTIONS,
  KERNEL_PARAMS,
  kernelFunctions,
  outerProductModule,
} from '../src/worker/kernels/simd/outer-product-kernel';

const REGION = (PEAK_ACCUMULATORS + 2) * 16;

describe('SIMD peak loop', () => {
  for (const fma of [false, true]) {
    it(`acc ← acc·v0 + v1, ${PEAK_ACCUMULATORS} accumulators, own region per share (fma ${fma})`, () => {
      const bytes = outerProductModule(4, false, fma);
      if (fma && !WebAssembly.validate(bytes)) return; // no relaxed SIMD in this Node: the plain loop is covered
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 4 });
      const kernels = kernelFunctions(
        new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } }),
      );
      const heap = new Float32Array(memory.buffer);
      const shares = 3;
      for (let t = 0; t < shares; t++) {
        const at = (t * REGION) / 4;
        heap.fill(1 + t, at, at + PEAK_ACCUMULATORS * 4);
        heap.fill(2, at + PEAK_ACCUMULATORS * 4, at + (PEAK_ACCUMULATORS + 1) * 4);
        heap.fill(1, at + (PEAK_ACCUMULATORS + 1) * 4, at + (PEAK_ACCUMULATORS + 2) * 4);
      }
      const call = Object.fromEntries(KERNEL_PARAMS.map((n) => [n, 1])) as KernelCall;
      Object.assign(call, {
        fn: KERNEL_FUNCTIONS.indexOf('peak'),
        b: 0,
        bTile: REGION,
        colTiles: shares,
        outerCount: 3,
      });
      const parts = splitCall(call, shares);
      expect(parts.map((p) => p.b)).toEqual([0, REGION, 2 * REGION]);
      for (const p of parts) kernels[p.fn](...KERNEL_PARAMS.map((n) => p[n]));
      for (let t = 0; t < shares; t++) {
        // x → 2x + 1, three times, from x0 = 1 + t.
        let x = 1 + t;
        for (let i = 0; i < 3; i++) x = 2 * x + 1;
        const at = (t * REGION) / 4;
        expect(Array.from(heap.subarray(at, at + PEAK_ACCUMULATORS * 4))).toEqual(
          new Array(PEAK_ACCUMULATORS * 4).fill(x),
        );
      }
    });
  }

  it('the engine measures GFLOP/s from the loop (one thread in Node)', () => {
    const engine = OuterProductEngine.create(1)!;
    const { gflops, threads, seconds } = engine.peak(2_000_000);
    expect(threads).toBe(1);
    expect(seconds).toBeGreaterThan(0);
    expect(gflops).toBeCloseTo((2_000_000 * PEAK_FLOPS_PER_ITERATION) / seconds / 1e9, 6);
    expect(gflops).toBeGreaterThan(0.5);
  });
});
