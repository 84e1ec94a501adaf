// The AdamW update of one weight tensor as one SIMD pass over tfjs-wasm's heap: reads p, g, m, v and
// writes p', m', v' (new tensors: tfjs data is immutable). tfjs's ops made ~14 full passes of it,
// each on one thread. The arithmetic is src/ml/adamw.ts's, operation for operation in the same
// order and precision, so both give the same bits.
import type { AdamWScalars } from '../../../ml/adamw';
import { Code, I32, V128, type FunctionSpec } from './wasm-writer';

/** (p, g, m, v, pOut, mOut, vOut, scalars, vectors): `vectors` f32x4 steps (size / 4). */
export const ADAMW_PARAMS = ['p', 'g', 'm', 'v', 'pOut', 'mOut', 'vOut', 'scalars', 'vectors'] as const;

/** The float32 scalars the kernel reads from `scalars`, in this order. */
export const ADAMW_SCALARS: readonly (keyof AdamWScalars)[] = [
  'beta1',
  'oneMinusBeta1',
  'beta2',
  'oneMinusBeta2',
  'decay',
  'sqrtBiasCorrection2',
  'epsilon',
  'stepSize',
];

/**
 * m' = m·β1 + g·(1 − β1); v' = v·β2 + g²·(1 − β2);
 * p' = p·decay − m' / (√v' / √bc2 + ε) · stepSize.
 */
export function adamwSpec(): FunctionSpec {
  const [P, G, M, V, P_OUT, M_OUT, V_OUT, S, VECTORS] = ADAMW_PARAMS.map((_, i) => i);
  let next = ADAMW_PARAMS.length;
  const [off, left] = [next++, next++];
  const scalar = Object.fromEntries(ADAMW_SCALARS.map((name) => [name, next++])) as Record<
    keyof AdamWScalars,
    number
  >;
  const [mNew, vNew] = [next++, next++];
  const code = new Code();
  ADAMW_SCALARS.forEach((name, i) =>
    code
      .get(S)
      .load32Splat(4 * i)
      .set(scalar[name]),
  );
  const load = (param: number) => code.get(param).get(off).add().v128Load(0);
  const address = (param: number) => code.get(param).get(off).add();
  code.get(VECTORS).set(left);
  code.i32(0).set(off);
  code.countdown(left, (c) => {
    load(M);
    c.get(scalar.beta1).f32x4Mul();
    load(G);
    c.get(scalar.oneMinusBeta1).f32x4Mul().f32x4Add().set(mNew);
    address(M_OUT);
    c.get(mNew).v128Store(0);
    load(V);
    c.get(scalar.beta2).f32x4Mul();
    load(G);
    load(G);
    c.f32x4Mul().get(scalar.oneMinusBeta2).f32x4Mul().f32x4Add().set(vNew);
    address(V_OUT);
    c.get(vNew).v128Store(0);
    address(P_OUT);
    load(P);
    c.get(scalar.decay).f32x4Mul();
    c.get(mNew).get(vNew).f32x4Sqrt().get(scalar.sqrtBiasCorrection2).f32x4Div();
    c.get(scalar.epsilon).f32x4Add().f32x4Div().get(scalar.stepSize).f32x4Mul();
    c.f32x4Sub().v128Store(0);
    c.bump(off, { value: 16 });
  });
  return {
    name: 'adamw',
    params: ADAMW_PARAMS.length,
    locals: [
      { type: I32, count: 2 },
      { type: V128, count: ADAMW_SCALARS.length + 2 },
    ],
    code,
  };
}
