// Our wasm Slice (views of the heap, one memcpy per contiguous run) against the cpu backend's.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../src/ml/random';
import { copySlice } from '../src/worker/kernels/slice';
import { withWasmKernels } from './support/conv-compare';

withWasmKernels();

/** Random boxes inside random shapes of rank 1–5, whole spans and cuts in every position. */
function cases(count: number): { shape: number[]; begin: number[]; size: number[] }[] {
  const random = seededRandom(7);
  const out = [];
  for (let i = 0; i < count; i++) {
    const rank = 1 + Math.floor(random() * 5);
    const shape = Array.from({ length: rank }, () => 1 + Math.floor(random() * 5));
    const begin = shape.map((n) => (random() < 0.5 ? 0 : Math.floor(random() * n)));
    const size = shape.map((n, d) =>
      random() < 0.4 ? n - begin[d] : Math.floor(random() * (n - begin[d] + 1)),
    );
    out.push({ shape, begin, size });
  }
  return out;
}

describe('copySlice', () => {
  it('matches tf.slice on the cpu backend for 200 boxes of rank 1–5', async () => {
    await tf.setBackend('cpu');
    for (const { shape, begin, size } of cases(200)) {
      const n = shape.reduce((a, b) => a * b, 1);
      const x = Float32Array.from({ length: n }, (_, i) => i);
      const out = new Float32Array(size.reduce((a, b) => a * b, 1));
      copySlice(x, shape, begin, size, out);
      const expected = tf.tidy(() => tf.slice(tf.tensor(x, shape), begin, size).dataSync());
      expect(Array.from(out), `${shape} ${begin} ${size}`).toEqual(Array.from(expected));
    }
  });

  it('copies a whole array and a leading-axis part as one run', () => {
    const x = Float32Array.from({ length: 24 }, (_, i) => i);
    const whole = new Float32Array(24);
    copySlice(x, [2, 3, 4], [0, 0, 0], [2, 3, 4], whole);
    expect(Array.from(whole)).toEqual(Array.from(x));
    const second = new Float32Array(12);
    copySlice(x, [2, 3, 4], [1, 0, 0], [1, 3, 4], second);
    expect(Array.from(second)).toEqual(Array.from(x.subarray(12)));
  });
});

describe('wasm Slice kernel', () => {
  it('agrees with cpu for float32, int32 and bool, and leaves no tensor behind', async () => {
    const x = tf.tidy(() => tf.randomNormal([3, 66, 66, 8], 0, 1, 'float32', 3));
    const values = x.dataSync().slice();
    x.dispose();
    const run = (dtype: 'float32' | 'int32' | 'bool') =>
      tf.tidy(() => {
        const t = tf.tensor(values, [3, 66, 66, 8]);
        const typed =
          dtype === 'float32' ? t : dtype === 'int32' ? tf.cast(tf.mul(t, 100), 'int32') : tf.greater(t, 0);
        return [
          tf.slice(typed, [0, 1, 1, 0], [3, 64, 64, 8]), // ZeroPadding's gradient
          tf.slice(typed, [1], [2]), // a pass of a batch
          tf.slice(typed, [0, 0, 0, 2], [3, 66, 66, 3]), // channels
        ].map((s) => Array.from(s.dataSync()));
      });
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      await tf.setBackend('cpu');
      const expected = run(dtype);
      await tf.setBackend('wasm');
      const before = tf.memory().numTensors;
      expect(run(dtype)).toEqual(expected);
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it('shares the data of a slice of the whole tensor instead of copying it', async () => {
    await tf.setBackend('wasm');
    const t = tf.tensor4d(
      Float32Array.from({ length: 2 * 3 * 4 * 5 }, (_, i) => i),
      [2, 3, 4, 5],
    );
    const buffers = tf.memory().numDataBuffers;
    const whole = tf.slice(t, [0, 0, 0, 0], [2, 3, 4, 5]);
    const part = tf.slice(t, [0, 1, 0, 0], [2, 2, 4, 5]);
    expect(whole.dataId).toBe(t.dataId);
    expect(part.dataId).not.toBe(t.dataId);
    expect(tf.memory().numDataBuffers - buffers).toBe(1); // the part's; the whole one is t's
    t.dispose();
    expect(Array.from(whole.dataSync())).toEqual(Array.from({ length: 120 }, (_, i) => i)); // still held
    tf.dispose([whole, part]);
  });
});
