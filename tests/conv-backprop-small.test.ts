// Our wasm convolution-gradient kernels on random small shapes and through tf.grads.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { compare, withWasmKernels, type ConvCase } from './support/conv-compare';

withWasmKernels();

describe('random small shapes', () => {
  const shapes: ConvCase[] = [];
  let seed = 1;
  const rand = (n: number) => Math.floor(((((Math.sin(seed++ * 12.9898) * 43758.5453) % 1) + 1) % 1) * n);
  for (let i = 0; i < 12; i++) {
    const k = [1, 2, 3, 5][rand(4)];
    const s = 1 + rand(2);
    const pad = (['valid', 'same'] as const)[rand(2)];
    const h = k + 2 + rand(9);
    const w = k + 2 + rand(9);
    shapes.push({
      name: `random-${i}`,
      xShape: [1 + rand(3), h, w, 1 + rand(6)],
      filterShape: [k, k, 0, 1 + rand(6)].map((v, j) => (j === 2 ? 0 : v)) as ConvCase['filterShape'],
      strides: [s, s],
      pad,
    });
    shapes[i].filterShape[2] = shapes[i].xShape[3];
  }
  shapes.push({
    name: 'explicit padding',
    xShape: [2, 9, 7, 3],
    filterShape: [3, 3, 3, 4],
    strides: [2, 1],
    pad: [
      [0, 0],
      [1, 2],
      [0, 1],
      [0, 0],
    ],
  });
  for (const c of shapes) {
    it(`${c.name}: x ${c.xShape.join('×')} w ${c.filterShape.join('×')} s${c.strides.join(',')} ${JSON.stringify(c.pad)}`, async () => {
      const { filter, input } = await compare(c, 3);
      expect(filter).toBeLessThan(1e-4);
      expect(input).toBeLessThan(1e-4);
    });
  }
});

describe('gradients through a model on wasm', () => {
  it('tf.grad of conv2d uses the registered kernels and leaks nothing', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 4], 0, 1, 'float32', 2) as tf.Tensor4D;
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))),
    )([x, w]);
    expect(dx.shape).toEqual([2, 8, 8, 3]);
    expect(dw.shape).toEqual([3, 3, 3, 4]);
    tf.dispose([x, w, dx, dw]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a strided 1×1 input gradient runs on the engine and spreads (no transpose, no pad)', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    // Odd sizes: the last row and column are read (9 = 4·2 + 1); 32 → 48 channels, batch 3.
    const x = tf.randomNormal([3, 9, 7, 32], 0, 1, 'float32', 3) as tf.Tensor4D;
    const w = tf.randomNormal([1, 1, 32, 48], 0, 1, 'float32', 4) as tf.Tensor4D;
    const probe = tf.randomNormal([3, 5, 4, 48], 0, 1, 'float32', 5);
    const loss = (a: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, w, 2, 'valid'), probe));
    const info = await tf.profile(() => tf.grad(loss)(x));
    const dx = info.result as tf.Tensor;
    expect(info.kernelNames).toContain('Conv2DBackpropInput');
    expect(info.kernelNames).not.toContain('Transpose');
    expect(info.kernelNames).not.toContain('PadV2');
    const ours = dx.dataSync().slice();
    await tf.setBackend('cpu');
    const [xc, wc, pc] = [x, w, probe].map((t) => tf.tensor(t.dataSync(), t.shape));
    const expected = tf.grad((a: tf.Tensor) =>
      tf.sum(tf.mul(tf.conv2d(a as tf.Tensor4D, wc as tf.Tensor4D, 2, 'valid'), pc)),
    )(xc);
    const want = expected.dataSync();
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(ours[i] - want[i]));
    expect(worst).toBeLessThan(1e-4);
    // Rows and columns no output reads (odd rows 1, 3 … and column 6 of 7 is read: 6 = 3·2) are zero.
    expect(ours[(0 * 9 + 1) * 7 * 32]).toBe(0);
    expect(Math.abs(ours[(0 * 9 + 8) * 7 * 32 + 6 * 32])).toBeGreaterThan(0);
    tf.dispose([xc, wc, pc, expected]);
    await tf.setBackend('wasm');
    tf.dispose([x, w, probe, dx]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
