// Training BatchNorm's full-size passes as SIMD wasm over tfjs-wasm's own heap (the module imports
// that memory: no copies in or out). Forward: one pass for Σx and Σx² per channel, one for
// y = x·scale + shift (+ ReLU). Backward: one pass for Σg and Σg·x (g = dy, masked by y > 0 after a
// ReLU), one for dx = g·k + x·k₂ + k₃. tfjs's ops took ~15 full-size passes for the same, each on
// one thread; these run on every engine thread (reductions split by channels, the elementwise
// passes by rows). The per-channel vectors (scale, shift, k…) stay small tfjs ops (batchnorm.ts).
import { Code, I32, V128, type FunctionSpec } from './wasm-writer';

/** Channels per inner step: four f32x4 vectors, one 64-byte cache line. Rows must hold a whole number. */
export const CHANNEL_BLOCK = 16;
const BLOCK_BYTES = CHANNEL_BLOCK * 4;
/** Rows a reduction sums in registers before adding to the per-channel totals (pairwise-ish rounding). */
export const ROW_BLOCK = 32;
const VECTORS = CHANNEL_BLOCK / 4;

/** Reductions: (a, b, c, out, rows, rowBytes, c0, c1); out is [2, C]: out[0] += Σ…, out[1] += Σ…. */
export const REDUCTION_PARAMS = ['a', 'b', 'c', 'out', 'rows', 'rowBytes', 'c0', 'c1'] as const;
/** Elementwise: (a, b, c, out, v0, v1, v2, rows, rowBytes); v0…v2 per-channel vectors of C floats. */
export const ELEMENTWISE_PARAMS = ['a', 'b', 'c', 'out', 'v0', 'v1', 'v2', 'rows', 'rowBytes'] as const;

/**
 * The functions, in the order of their indices (heap-module.ts):
 * `moments` (a = x): Σx, Σx²; `gradSums` / `gradSumsRelu` (a = dy, b = x, c = y): Σg, Σg·x;
 * `affine` / `affineRelu` (a = x, v0 = scale, v1 = shift): out = x·scale + shift;
 * `gradInput` / `gradInputRelu` (a = dy, b = x, c = y, v0…v2 = k, k₂, k₃): out = g·k + x·k₂ + k₃;
 * `addRelu` (a, b): out = max(a + b, 0); `reluMask` (a = dy, c = y): out = dy where y > 0, else 0.
 */
export const BATCHNORM_FUNCTIONS = [
  'moments',
  'gradSums',
  'gradSumsRelu',
  'affine',
  'affineRelu',
  'gradInput',
  'gradInputRelu',
  'addRelu',
  'reluMask',
] as const;
export type BatchNormFunction = (typeof BATCHNORM_FUNCTIONS)[number];

type Reduction = 'moments' | 'gradSums';

/** Pushes the address param + offset local (the vector's base; the lane offset is the load's). */
function at(code: Code, param: number, offset: number): Code {
  return code.get(param).get(offset).add();
}

function reductionBody(kind: Reduction, relu: boolean): { code: Code; locals: FunctionSpec['locals'] } {
  const [A, B, C, OUT, ROWS, ROW_BYTES, C0, C1] = REDUCTION_PARAMS.map((_, i) => i);
  let next = REDUCTION_PARAMS.length;
  const [rowLeft, n, k, c, off, blockOff, s1, s2, addr] = Array.from({ length: 9 }, () => next++);
  const acc = Array.from({ length: 2 * VECTORS }, () => next++);
  const [v, zero] = [next++, next++];
  const code = new Code();
  code.v128Zero().set(zero);
  code.get(ROWS).set(rowLeft);
  code.i32(0).set(blockOff);
  code.whileNonZero(rowLeft, (rows) => {
    rows.get(rowLeft).i32(ROW_BLOCK).minU(s1, s2).set(n);
    rows.get(C0).set(c);
    rows.whileBelow(c, C1, (block) => {
      for (const a of acc) block.v128Zero().set(a);
      block.get(blockOff).get(c).add().set(off);
      block.get(n).set(k);
      block.countdown(k, (step) => {
        for (let u = 0; u < VECTORS; u++) {
          const [first, second] = [acc[2 * u], acc[2 * u + 1]];
          at(step, A, off).v128Load(16 * u);
          if (kind === 'gradSums' && relu)
            at(step, C, off)
              .v128Load(16 * u)
              .get(zero)
              .f32x4Gt()
              .v128And();
          step.set(v);
          step.get(first).get(v).f32x4Add().set(first);
          if (kind === 'moments') step.get(v).get(v);
          else
            at(step, B, off)
              .v128Load(16 * u)
              .get(v);
          step.f32x4Mul().get(second).f32x4Add().set(second);
        }
        step.bump(off, { local: ROW_BYTES });
      });
      // out[0][c…] += first sums, out[1][c…] (rowBytes further) += second sums.
      for (const [row, which] of [
        [0, 0],
        [1, 1],
      ]) {
        block.get(OUT).get(c).add();
        if (row === 1) block.get(ROW_BYTES).add();
        block.set(addr);
        for (let u = 0; u < VECTORS; u++)
          block
            .get(addr)
            .get(addr)
            .v128Load(16 * u)
            .get(acc[2 * u + which])
            .f32x4Add()
            .v128Store(16 * u);
      }
      block.bump(c, { value: BLOCK_BYTES });
    });
    rows.get(blockOff).get(n).get(ROW_BYTES).mul().add().set(blockOff);
    rows.get(rowLeft).get(n).sub().set(rowLeft);
  });
  return {
    code,
    locals: [
      { type: I32, count: 9 },
      { type: V128, count: acc.length + 2 },
    ],
  };
}

type Elementwise = 'affine' | 'gradInput' | 'addRelu' | 'reluMask';

function elementwiseBody(kind: Elementwise, relu: boolean): { code: Code; locals: FunctionSpec['locals'] } {
  const [A, B, C, OUT, V0, V1, V2, ROWS, ROW_BYTES] = ELEMENTWISE_PARAMS.map((_, i) => i);
  let next = ELEMENTWISE_PARAMS.length;
  const [rowLeft, c, off] = [next++, next++, next++];
  const zero = next++;
  const code = new Code();
  code.v128Zero().set(zero);
  code.get(ROWS).set(rowLeft);
  code.i32(0).set(off);
  code.countdown(rowLeft, (rows) => {
    rows.i32(0).set(c);
    rows.whileBelow(c, ROW_BYTES, (step) => {
      for (let u = 0; u < VECTORS; u++) {
        const o = 16 * u;
        at(step, OUT, off); // the store's address first
        if (kind === 'affine') {
          at(step, A, off).v128Load(o);
          at(step, V0, c).v128Load(o).f32x4Mul();
          at(step, V1, c).v128Load(o).f32x4Add();
          if (relu) step.get(zero).f32x4Max();
        } else if (kind === 'addRelu') {
          at(step, A, off).v128Load(o);
          at(step, B, off).v128Load(o).f32x4Add().get(zero).f32x4Max();
        } else if (kind === 'reluMask') {
          at(step, A, off).v128Load(o);
          at(step, C, off).v128Load(o).get(zero).f32x4Gt().v128And();
        } else {
          at(step, A, off).v128Load(o);
          if (relu) at(step, C, off).v128Load(o).get(zero).f32x4Gt().v128And();
          at(step, V0, c).v128Load(o).f32x4Mul();
          at(step, B, off).v128Load(o);
          at(step, V1, c).v128Load(o).f32x4Mul().f32x4Add();
          at(step, V2, c).v128Load(o).f32x4Add();
        }
        step.v128Store(o);
      }
      step.bump(c, { value: BLOCK_BYTES });
      step.bump(off, { value: BLOCK_BYTES });
    });
  });
  return {
    code,
    locals: [
      { type: I32, count: 3 },
      { type: V128, count: 1 },
    ],
  };
}

function spec(fn: BatchNormFunction): FunctionSpec {
  const relu = fn.endsWith('Relu');
  if (fn === 'moments' || fn.startsWith('gradSums')) {
    const { code, locals } = reductionBody(fn === 'moments' ? 'moments' : 'gradSums', relu);
    return { name: fn, params: REDUCTION_PARAMS.length, locals, code };
  }
  const kind: Elementwise =
    fn === 'addRelu' || fn === 'reluMask' ? fn : fn.startsWith('affine') ? 'affine' : 'gradInput';
  const { code, locals } = elementwiseBody(kind, relu && kind !== 'addRelu');
  return { name: fn, params: ELEMENTWISE_PARAMS.length, locals, code };
}

/** The functions, in BATCHNORM_FUNCTIONS order (heap-module.ts assembles the module). */
export function batchNormSpecs(): FunctionSpec[] {
  return BATCHNORM_FUNCTIONS.map(spec);
}
