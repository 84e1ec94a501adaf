// Compares our wasm convolution-gradient kernels with the reference cpu backend's.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { registerWasmTrainingKernels } from '../../src/worker/kernels/register';
import { resnetConvShapes, type ConvCase } from './resnet-shapes';

export const MODEL = JSON.parse(readFileSync('public/models/resnet50/model.json', 'utf8'));

export function withWasmKernels(): void {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });
}

/** A seeded uniform generator on [−0.5, 0.5). */
export function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x7fffffff - 0.5;
  };
}

/** Normwise relative error: max |a − b| / max |b|. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return diff / (scale || 1);
}

/** Runs `run` on `backend` and reads its result (then freed). */
export async function onBackend(backend: string, run: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(backend);
  const out = run();
  const values = (await out.data()) as Float32Array;
  out.dispose();
  return values;
}

function randomInputs(c: ConvCase, seed: number) {
  const info = tf.backend_util.computeConv2DInfo(c.xShape, c.filterShape, c.strides, 1, c.pad);
  const dyShape: [number, number, number, number] = [
    c.xShape[0],
    info.outHeight,
    info.outWidth,
    c.filterShape[3],
  ];
  return {
    x: Float32Array.from(tf.randomNormal(c.xShape, 0, 1, 'float32', seed).dataSync()),
    dy: Float32Array.from(tf.randomNormal(dyShape, 0, 1, 'float32', seed + 1).dataSync()),
    w: Float32Array.from(tf.randomNormal(c.filterShape, 0, 0.1, 'float32', seed + 2).dataSync()),
    dyShape,
  };
}

export async function compare(c: ConvCase, seed: number): Promise<{ filter: number; input: number }> {
  const { x, dy, w, dyShape } = randomInputs(c, seed);
  const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC' };
  const filterGrad = () =>
    tf
      .engine()
      .runKernel(
        'Conv2DBackpropFilter',
        { x: tf.tensor4d(x, c.xShape), dy: tf.tensor4d(dy, dyShape) },
        { ...attrs, filterShape: c.filterShape },
      ) as tf.Tensor;
  const inputGrad = () =>
    tf
      .engine()
      .runKernel(
        'Conv2DBackpropInput',
        { dy: tf.tensor4d(dy, dyShape), filter: tf.tensor4d(w, c.filterShape) },
        { ...attrs, inputShape: c.xShape },
      ) as tf.Tensor;
  const tidyRun = (f: () => tf.Tensor) => () => tf.tidy(f);
  const filter = relativeError(
    await onBackend('wasm', tidyRun(filterGrad)),
    await onBackend('cpu', tidyRun(filterGrad)),
  );
  const input = relativeError(
    await onBackend('wasm', tidyRun(inputGrad)),
    await onBackend('cpu', tidyRun(inputGrad)),
  );
  await tf.setBackend('wasm');
  return { filter, input };
}

export { resnetConvShapes, type ConvCase };

/**
 * One file's parity suite: every ResNet50 convolution shape at `size` px (or, with `share`, every
 * `share.of`-th one starting at `share.part`, so a slow size spreads over files that run in parallel),
 * both gradients against the cpu backend within 1e-4.
 */
export function resnetConvParity(size: number, share = { part: 0, of: 1 }): void {
  withWasmKernels();
  const label = share.of > 1 ? ` (shapes ${share.part} mod ${share.of})` : '';
  describe(`ResNet50 convolutions at ${size} px${label}`, () => {
    const all = resnetConvShapes(MODEL, size, 1);
    const cases = all.filter((_, i) => i % share.of === share.part);
    it(`covers ${all.length} distinct shapes, ${cases.length} of them here`, () => {
      expect(all.length).toBeGreaterThan(10);
    });
    for (const c of cases) {
      it(`${c.name}: x ${c.xShape.join('×')} w ${c.filterShape.join('×')} s${c.strides[0]} ${c.pad}`, async () => {
        const { filter, input } = await compare(c, 7);
        expect(filter).toBeLessThan(1e-4);
        expect(input).toBeLessThan(1e-4);
      });
    }
  });
}
