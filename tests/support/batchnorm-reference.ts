// The reference our training BatchNorm is held to, in both its tests (tfjs ops, and our fused wasm
// kernels): autodiff of the textbook formula, in value, gradients and batch statistics.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { batchNormTrain } from '../../src/worker/ml/batchnorm';

export function naive(
  x: tf.Tensor,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  eps: number,
  relu: boolean,
): tf.Tensor {
  const axes = [...Array(x.rank - 1).keys()];
  const { mean, variance } = tf.moments(x, axes);
  const y = tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
  return relu ? tf.relu(y) : y;
}

export function maxRelError(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(
    () => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] / Math.max(1e-6, tf.max(tf.abs(b)).dataSync()[0]),
  );
}

/**
 * batchNormTrain on a generated activation of `shape` against autodiff of the formula: gradients to
 * 1e-4, output and mean to 1e-5, variance to 1e-4, and no tensor left behind. Returns the names of
 * the kernels its gradient computation ran.
 */
export async function expectBatchNormTrainMatchesFormula(
  shape: number[],
  relu: boolean,
): Promise<Set<string>> {
  const before = tf.memory().numTensors;
  const channels = shape.at(-1)!;
  const x = tf.tidy(() => tf.add(tf.mul(tf.randomNormal(shape, 0, 1, 'float32', 1), 2), 0.5));
  const gamma = tf.randomUniform([channels], 0.5, 1.5, 'float32', 2) as tf.Tensor1D;
  const beta = tf.randomNormal([channels], 0, 1, 'float32', 3) as tf.Tensor1D;
  const probe = tf.randomNormal(shape, 0, 1, 'float32', 4);
  const ours = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
    const { y, stats } = batchNormTrain(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-3, relu);
    tf.dispose([stats.mean, stats.variance]);
    return tf.sum(tf.mul(y, probe));
  };
  const reference = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(naive(a, g, b, 1e-3, relu), probe));
  const profile = await tf.profile(() => tf.grads(ours)([x, gamma, beta]));
  tf.dispose(profile.result as tf.Tensor[]);
  const oursGrads = tf.grads(ours)([x, gamma, beta]);
  const refGrads = tf.grads(reference)([x, gamma, beta]);
  for (let i = 0; i < 3; i++) expect(maxRelError(oursGrads[i], refGrads[i])).toBeLessThan(1e-4);
  const { y, stats } = batchNormTrain(x, gamma, beta, 1e-3, relu);
  const expected = tf.tidy(() => naive(x, gamma, beta, 1e-3, relu));
  expect(maxRelError(y, expected)).toBeLessThan(1e-5);
  const { mean, variance } = tf.moments(x, [...Array(x.rank - 1).keys()]);
  expect(maxRelError(stats.mean, mean)).toBeLessThan(1e-5);
  expect(maxRelError(stats.variance, variance)).toBeLessThan(1e-4);
  tf.dispose([x, gamma, beta, probe, ...oursGrads, ...refGrads, y, expected, mean, variance]);
  tf.dispose([stats.mean, stats.variance]);
  expect(tf.memory().numTensors).toBe(before);
  return new Set(profile.kernelNames);
}
