// The arithmetic ceiling our kernels run under, measured by the same module: a register-resident
// multiply-add loop (the `peak` export beside the outer-product kernels), timed on all the engine's
// threads by OuterProductEngine.peak and printed beside every bench:speed result.
import { Code, I32, V128 } from './wasm-writer';

/** Where the loop finds its operands: the indices of the module's i32 parameters it reads. */
export interface PeakParams {
  /** Address of PEAK_ACCUMULATORS + 2 vectors: the accumulators, then v0 and v1. */
  b: number;
  /** Iterations of the loop. */
  count: number;
}

/** Independent accumulators of the peak loop: enough to hide the multiply-add latency. */
export const PEAK_ACCUMULATORS = 12;
/** Floating-point operations of one `peak` iteration (each accumulator: 4 lanes × multiply + add). */
export const PEAK_FLOPS_PER_ITERATION = PEAK_ACCUMULATORS * 8;

/**
 * The SIMD peak: `count` iterations of acc ← acc·v0 + v1 on PEAK_ACCUMULATORS f32x4 registers
 * (fused where relaxed SIMD has it), read from and written back to `b` (PEAK_ACCUMULATORS + 2
 * vectors), nothing else touching memory: the arithmetic ceiling our kernels run under.
 */
function peakBody(fma: boolean, params: number, P: PeakParams): Code {
  const code = new Code();
  const counter = params;
  const acc = counter + 1;
  const v0 = acc + PEAK_ACCUMULATORS;
  const v1 = v0 + 1;
  for (let r = 0; r < PEAK_ACCUMULATORS; r++)
    code
      .get(P.b)
      .v128Load(16 * r)
      .set(acc + r);
  code
    .get(P.b)
    .v128Load(16 * PEAK_ACCUMULATORS)
    .set(v0);
  code
    .get(P.b)
    .v128Load(16 * (PEAK_ACCUMULATORS + 1))
    .set(v1);
  code.get(P.count).set(counter);
  code.countdown(counter, (k) => {
    for (let r = 0; r < PEAK_ACCUMULATORS; r++) {
      // acc·v0 depends on acc, so the engine cannot hoist the product out of the loop.
      if (fma)
        k.get(acc + r)
          .get(v0)
          .get(v1)
          .f32x4RelaxedMadd()
          .set(acc + r);
      else
        k.get(acc + r)
          .get(v0)
          .f32x4Mul()
          .get(v1)
          .f32x4Add()
          .set(acc + r);
    }
  });
  for (let r = 0; r < PEAK_ACCUMULATORS; r++)
    code
      .get(P.b)
      .get(acc + r)
      .v128Store(16 * r);
  return code;
}

/** The `peak` export: the module's parameter list (all i32), its own locals and the loop. */
export function peakFunction(fma: boolean, params: number, P: PeakParams) {
  return {
    name: 'peak',
    params,
    locals: [
      { type: I32, count: 1 },
      { type: V128, count: PEAK_ACCUMULATORS + 2 },
    ],
    code: peakBody(fma, params, P),
  };
}
