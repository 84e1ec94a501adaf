// The residual add + ReLU on our wasm heap kernels (kernels/residual-ops.ts): the same bits as
// tfjs's relu(add) forward and backward, the kernels actually taken, both inputs' gradients, the
// fallback where they do not apply, and no tensor left behind.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { RESIDUAL_KERNELS, residualAddRelu } from '../src/worker/kernels/residual-ops';
import { registerWasmTrainingKernels } from '../src/worker/kernels/register';

const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));

describe('residual add + ReLU on wasm', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  // Rows not a multiple of the threads' shares (3·5·7), a 4×4 map, an odd channel count (fallback).
  for (const shape of [
    [3, 5, 7, 32],
    [2, 4, 4, 256],
    [2, 3, 3, 24],
  ])
    it(`${JSON.stringify(shape)}: relu(a + b) and both gradients, bit for bit`, async () => {
      const before = tf.memory().numTensors;
      const a = tf.randomNormal(shape, 0, 1, 'float32', 1);
      const b = tf.randomNormal(shape, -0.2, 1, 'float32', 2);
      const probe = tf.randomNormal(shape, 0, 1, 'float32', 3);
      const loss = (f: (x: tf.Tensor, y: tf.Tensor) => tf.Tensor) => (x: tf.Tensor, y: tf.Tensor) =>
        tf.sum(tf.mul(f(x, y), probe));
      const ours = loss(residualAddRelu);
      const stock = loss((x, y) => tf.relu(tf.addN([x, y])));
      const info = await tf.profile(() => tf.grads(ours)([a, b]));
      tf.dispose(info.result as tf.Tensor[]);
      const fused = shape[3] % 16 === 0;
      expect(info.kernelNames.includes(RESIDUAL_KERNELS.addRelu)).toBe(fused);
      expect(info.kernelNames.includes(RESIDUAL_KERNELS.reluMask)).toBe(fused);
      const [y, yStock] = [tf.tidy(() => residualAddRelu(a, b)), tf.tidy(() => tf.relu(tf.add(a, b)))];
      expect(bits(y)).toEqual(bits(yStock));
      expect(y.dataSync().some((v) => v === 0)).toBe(true);
      const [ga, gb] = tf.grads(ours)([a, b]);
      const [sa, sb] = tf.grads(stock)([a, b]);
      // Where the ReLU is off tfjs gives dy·0 (−0 for a negative dy), we give +0: equal as numbers.
      const numbers = (t: tf.Tensor) => Array.from(t.dataSync(), (v) => v + 0); // −0 + 0 = +0
      expect(numbers(ga)).toEqual(numbers(sa));
      expect(numbers(gb)).toEqual(numbers(sb));
      expect(ga.dataSync().some((v) => v === 0) && ga.dataSync().some((v) => v !== 0)).toBe(true);
      tf.dispose([a, b, probe, y, yStock, ga, gb, sa, sb]);
      expect(tf.memory().numTensors).toBe(before);
    });
});
