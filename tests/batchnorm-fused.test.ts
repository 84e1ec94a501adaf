// Training BatchNorm's fused SIMD passes on wasm (kernels/batchnorm-*.ts, over tfjs's heap): the
// same values and gradients as autodiff of the textbook formula, the kernels actually taken, the
// per-channel sums against a float64 reference, and no tensor left behind.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { BATCHNORM_KERNELS, fusedBatchNormOps } from '../src/worker/kernels/batchnorm-ops';
import { shares } from '../src/worker/kernels/heap-calls';
import { registerWasmTrainingKernels } from '../src/worker/kernels/register';
import { batchNormInfer } from '../src/worker/ml/batchnorm';
import { expectBatchNormTrainMatchesFormula, maxRelError } from './support/batchnorm-reference';

/** Kernel names a function ran. */
async function kernelsRun(f: () => tf.TensorContainer): Promise<Set<string>> {
  const info = await tf.profile(f);
  tf.dispose(info.result as tf.TensorContainer);
  return new Set(info.kernelNames);
}

// Rows not a multiple of the kernel's row block (3·5·7 = 105), a 4×4 map, the head's [batch, 4096].
const SHAPES = [
  [3, 5, 7, 32],
  [2, 4, 4, 64],
  [16, 4096],
];

describe('fused BatchNorm kernels on wasm', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  it('splits work into even, non-empty shares', () => {
    expect(shares(4, 2)).toEqual([
      [0, 2],
      [2, 4],
    ]);
    expect(shares(5, 2)).toEqual([
      [0, 2],
      [2, 5],
    ]);
    expect(shares(1, 4)).toEqual([[0, 1]]);
  });

  it('apply to float32 activations with whole channel blocks only', () => {
    const x = tf.zeros([2, 3, 3, 32]);
    const odd = tf.zeros([2, 3, 3, 24]);
    expect(fusedBatchNormOps(x)).not.toBeNull();
    expect(fusedBatchNormOps(odd)).toBeNull();
    tf.dispose([x, odd]);
  });

  it('sum x and x² per channel as a float64 reference does', () => {
    const x = tf.randomNormal([3, 5, 7, 32], 1.5, 2, 'float32', 7);
    const ops = fusedBatchNormOps(x)!;
    const got = ops.moments(x);
    const data = x.dataSync();
    const expectSum = new Float64Array(32);
    const expectSquares = new Float64Array(32);
    data.forEach((v, i) => {
      expectSum[i % 32] += v;
      expectSquares[i % 32] += v * v;
    });
    for (let c = 0; c < 32; c++) {
      expect(got[0][c]).toBeCloseTo(expectSum[c], 3);
      expect(Math.abs(got[1][c] - expectSquares[c]) / expectSquares[c]).toBeLessThan(1e-6);
    }
    x.dispose();
  });

  for (const shape of SHAPES)
    for (const relu of [false, true])
      it(`batchNormTrain ${JSON.stringify(shape)} relu=${relu}: values and gradients of the formula`, async () => {
        const ran = await expectBatchNormTrainMatchesFormula(shape, relu);
        for (const name of Object.values(BATCHNORM_KERNELS)) expect(ran).toContain(name);
      });

  for (const relu of [false, true])
    it(`inference-mode BatchNorm (relu=${relu}) and its gradients, as training differentiates it`, async () => {
      const before = tf.memory().numTensors;
      const shape = [2, 3, 5, 48];
      const x = tf.randomNormal(shape, 0.3, 1.2, 'float32', 5);
      const gamma = tf.randomUniform([48], 0.5, 1.5, 'float32', 6) as tf.Tensor1D;
      const beta = tf.randomNormal([48], 0, 0.5, 'float32', 7) as tf.Tensor1D;
      const mean = tf.randomNormal([48], 0, 0.5, 'float32', 8) as tf.Tensor1D;
      const variance = tf.randomUniform([48], 0.5, 2, 'float32', 9) as tf.Tensor1D;
      const probe = tf.randomNormal(shape, 0, 1, 'float32', 10);
      const formula = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const y = tf.add(tf.mul(tf.div(tf.sub(a, mean), tf.sqrt(tf.add(variance, 1e-3))), g), b);
        return tf.sum(tf.mul(relu ? tf.relu(y) : y, probe));
      };
      const ours = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
        tf.sum(
          tf.mul(batchNormInfer(a, g as tf.Tensor1D, b as tf.Tensor1D, mean, variance, 1e-3, relu), probe),
        );
      const ran = await kernelsRun(() => tf.grads(ours)([x, gamma, beta]));
      expect(ran).toContain(BATCHNORM_KERNELS.affine);
      const [value, expected] = [tf.tidy(() => ours(x, gamma, beta)), tf.tidy(() => formula(x, gamma, beta))];
      expect(maxRelError(value, expected)).toBeLessThan(1e-5);
      const oursGrads = tf.grads(ours)([x, gamma, beta]);
      const refGrads = tf.grads(formula)([x, gamma, beta]);
      for (let i = 0; i < 3; i++) expect(maxRelError(oursGrads[i], refGrads[i])).toBeLessThan(1e-4);
      tf.dispose([x, gamma, beta, mean, variance, probe, value, expected, ...oursGrads, ...refGrads]);
      expect(tf.memory().numTensors).toBe(before);
    });
});
