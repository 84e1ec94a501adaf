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
});
