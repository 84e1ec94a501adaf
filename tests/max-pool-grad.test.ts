// Our wasm MaxPoolGrad against tfjs's cpu backend, ties included: the SIMD kernel on the engine's
// threads (unpadded windows, channels in fours: split by images) and the plain-JS one (the rest).
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { withWasmKernels } from './support/conv-compare';

withWasmKernels();

async function poolGradient(
  backend: string,
  x: Float32Array,
  shape: [number, number, number, number],
  filter: number,
  stride: number,
  pad: 'same' | 'valid',
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const dx = tf.tidy(() => {
    const input = tf.tensor4d(x, shape);
    const pooled = tf.maxPool(input, filter, stride, pad);
    const weights = tf.range(1, pooled.size + 1).reshape(pooled.shape); // a distinct dy per output
    return tf.grad((t) => tf.sum(tf.mul(tf.maxPool(t as tf.Tensor4D, filter, stride, pad), weights)))(input);
  });
  const values = (await dx.data()) as Float32Array;
  dx.dispose();
  return values;
}

describe('MaxPoolGrad on wasm', () => {
  const cases: [string, [number, number, number, number], number, number, 'same' | 'valid', boolean][] = [
    ['ResNet50 stem pool 3×3/2 same', [2, 9, 9, 8], 3, 2, 'same', false],
    ['2×2/2 valid, odd size', [1, 7, 5, 3], 2, 2, 'valid', false],
    ['3×3/1 same with many ties', [2, 6, 6, 4], 3, 1, 'same', true],
    // SIMD: ResNet50's stem pool after its explicit padding (66 → 32 at 128 px), here 3 images.
    ['SIMD: 3×3/2 valid, 3 images', [3, 13, 13, 16], 3, 2, 'valid', false],
    ['SIMD: 3×3/2 valid with many ties', [4, 11, 9, 8], 3, 2, 'valid', true],
    ['SIMD: 2×2/2 valid, one image', [1, 8, 6, 12], 2, 2, 'valid', true],
  ];
  for (const [name, shape, filter, stride, pad, ties] of cases) {
    it(`${name} equals tfjs cpu`, async () => {
      const size = shape.reduce((a, b) => a * b);
      let seed = 5;
      const x = Float32Array.from({ length: size }, () => {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const u = seed / 0x7fffffff;
        return ties ? Math.floor(u * 3) : u - 0.5;
      });
      const expected = await poolGradient('cpu', x, shape, filter, stride, pad);
      const actual = await poolGradient('wasm', x, shape, filter, stride, pad);
      expect(Array.from(actual)).toEqual(Array.from(expected));
    });
  }
});
