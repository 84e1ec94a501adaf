// FusedConv2D on our engine (inference with BatchNorm folded, the frozen body): conv + bias (→ ReLU)
// in one call over tfjs's heap against the cpu backend, the packed-filter cache (hits, drops stale
// entries, freed with the caches), and what stays with the stock kernel.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { releaseKernelCaches } from '../src/worker/kernels/register';
import { onBackend, relativeError, seeded, withWasmKernels } from './support/conv-compare';

withWasmKernels();

type Shape4 = [number, number, number, number];
interface FusedCase {
  name: string;
  x: Shape4;
  w: Shape4;
  strides: number;
  pad: 'same' | 'valid';
  bias: boolean;
  activation: 'linear' | 'relu' | 'elu';
}

const CASES: FusedCase[] = [
  {
    name: '1×1 + bias + ReLU, in place',
    x: [2, 4, 8, 16],
    w: [1, 1, 16, 24],
    strides: 1,
    pad: 'valid',
    bias: true,
    activation: 'relu',
  },
  {
    name: '3×3 same + bias + ReLU',
    x: [3, 8, 8, 8],
    w: [3, 3, 8, 16],
    strides: 1,
    pad: 'same',
    bias: true,
    activation: 'relu',
  },
  {
    name: '3×3 + bias, rows not whole tiles',
    x: [2, 7, 7, 8],
    w: [3, 3, 8, 8],
    strides: 1,
    pad: 'same',
    bias: true,
    activation: 'linear',
  },
  {
    name: '7×7 stride 2 from 3 channels + ReLU',
    x: [2, 21, 21, 3],
    w: [7, 7, 3, 16],
    strides: 2,
    pad: 'same',
    bias: true,
    activation: 'relu',
  },
  {
    name: '1×1 stride 2, no bias',
    x: [2, 8, 8, 8],
    w: [1, 1, 8, 32],
    strides: 2,
    pad: 'valid',
    bias: false,
    activation: 'linear',
  },
  {
    name: 'ELU (stock kernel)',
    x: [1, 4, 4, 8],
    w: [1, 1, 8, 8],
    strides: 1,
    pad: 'valid',
    bias: true,
    activation: 'elu',
  },
];

function operands(c: FusedCase, seed: number) {
  const random = seeded(seed);
  const size = (shape: number[]) => shape.reduce((a, b) => a * b);
  return {
    x: Float32Array.from({ length: size(c.x) }, random),
    w: Float32Array.from({ length: size(c.w) }, random),
    b: Float32Array.from({ length: c.w[3] }, random),
  };
}

const fused = (c: FusedCase, x: tf.Tensor4D, w: tf.Tensor4D, b?: tf.Tensor1D) =>
  tf.fused.conv2d({ x, filter: w, bias: b, strides: c.strides, pad: c.pad, activation: c.activation });

/** Backend buffers (tensors' data and our cached packed filters). */
const buffers = () => (tf.backend() as unknown as { numDataIds(): number }).numDataIds();

describe('FusedConv2D on our engine', () => {
  for (const c of CASES) {
    it(`${c.name} equals tfjs cpu`, async () => {
      const { x, w, b } = operands(c, 9);
      const run = (backend: string) =>
        onBackend(backend, () =>
          tf.tidy(() =>
            fused(c, tf.tensor4d(x, c.x), tf.tensor4d(w, c.w), c.bias ? tf.tensor1d(b) : undefined),
          ),
        );
      const expected = await run('cpu');
      const actual = await run('wasm');
      expect(actual.length).toBe(expected.length);
      expect(relativeError(actual, expected)).toBeLessThan(1e-5);
      if (c.activation === 'relu') expect(Math.min(...actual)).toBe(0); // the floor applied
    });
  }

  it('packs a filter once: later calls reuse it, a disposed filter’s copy is dropped, the caches free all', async () => {
    await tf.setBackend('wasm');
    releaseKernelCaches();
    const c = CASES[1];
    const { x, w, b } = operands(c, 4);
    const [xt, bt] = [tf.tensor4d(x, c.x), tf.tensor1d(b)];
    const start = [tf.memory().numTensors, buffers()];
    const w1 = tf.tensor4d(w, c.w);
    fused(c, xt, w1, bt).dispose();
    // The filter's data, and its packed copy (no tensor of tfjs's).
    expect([tf.memory().numTensors, buffers()]).toEqual([start[0] + 1, start[1] + 2]);
    const first = await onBackend('wasm', () => fused(c, xt, w1, bt));
    fused(c, xt, w1, bt).dispose();
    expect([tf.memory().numTensors, buffers()]).toEqual([start[0] + 1, start[1] + 2]); // a hit
    // New weights (training, a checkpoint): packed anew; the old copy goes once its filter is gone.
    w1.dispose();
    const w2 = tf.tensor4d(
      w.map((v) => -v),
      c.w,
    );
    const second = await onBackend('wasm', () => fused(c, xt, w2, bt));
    expect(relativeError(second, first)).toBeGreaterThan(0.1); // not the stale packing
    expect([tf.memory().numTensors, buffers()]).toEqual([start[0] + 1, start[1] + 2]);
    releaseKernelCaches();
    expect(buffers()).toBe(start[1] + 1);
    tf.dispose([xt, bt, w2]);
    expect([tf.memory().numTensors, buffers()]).toEqual([start[0] - 2, start[1] - 2]);
  });
});
