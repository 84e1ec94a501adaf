// Our wasm BatchMatMul for transposed operands (the dense layers' backward pass) against tfjs's cpu
// backend: every combination of transposes, batched and not, a dense layer's gradients, no leak.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { relativeError, withWasmKernels } from './support/conv-compare';

withWasmKernels();

async function onBackend(backend: string, run: () => tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const out = run();
  const values = await Promise.all(out.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose(out);
  return values;
}

function values(n: number, seed: number): Float32Array {
  return Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 2);
}

describe('BatchMatMul with transposed operands on wasm', () => {
  const cases: [string, number[], number[], boolean, boolean][] = [
    ['x^T·dy, the head weight gradient shape', [16, 4096], [16, 512], true, false],
    ['dy·W^T, the head input gradient shape', [16, 512], [4096, 512], false, true],
    ['both transposed', [33, 7], [5, 33], true, true],
    ['batched, A transposed', [3, 9, 4], [3, 9, 6], true, false],
    ['batched, B transposed', [2, 5, 8], [2, 6, 8], false, true],
  ];
  for (const [name, aShape, bShape, ta, tb] of cases)
    it(name, async () => {
      const input = (shape: number[], seed: number): tf.Tensor =>
        tf.tensor(values(tf.util.sizeFromShape(shape), seed), shape);
      const run = () => [tf.tidy(() => tf.matMul(input(aShape, 1), input(bShape, 2), ta, tb))];
      const [reference] = await onBackend('cpu', run);
      const before = tf.memory().numTensors;
      const [ours] = await onBackend('wasm', run);
      expect(tf.memory().numTensors).toBe(before);
      expect(ours.length).toBe(reference.length);
      expect(relativeError(ours, reference)).toBeLessThan(1e-5);
    });

  it("a dense layer's gradients (both transposed products) match the cpu backend's", async () => {
    const run = () =>
      tf.tidy(() => {
        const x = tf.tensor2d(values(16 * 64, 3), [16, 64]);
        const w = tf.variable(tf.tensor2d(values(64 * 10, 4), [64, 10]), true, 'dense-grad-test/w');
        const { grads } = tf.variableGrads(
          () => tf.sum(tf.square(tf.relu(tf.matMul(x, w)))) as tf.Scalar,
          [w],
        );
        const g = grads[w.name];
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.square(tf.matMul(t as tf.Tensor2D, w))))(x);
        return [g, dx];
      });
    const reference = await onBackend('cpu', run);
    tf.disposeVariables();
    const before = tf.memory().numTensors;
    const ours = await onBackend('wasm', run);
    tf.disposeVariables();
    expect(tf.memory().numTensors).toBe(before);
    for (let i = 0; i < ours.length; i++) expect(relativeError(ours[i], reference[i])).toBeLessThan(1e-5);
  });
});
