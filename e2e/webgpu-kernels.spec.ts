// Our WebGPU filter-gradient kernel (tiled WGSL) in the app's worker, on the adapter this browser has
// (SwiftShader here): every distinct ResNet50 shape against tfjs-cpu, and odd shapes against tfjs-cpu
// in Node, with a flat tensor count.
import { test, expect } from '@playwright/test';
import * as tf from '@tensorflow/tfjs';
import { device, openApp, request } from './support/app';

test('WebGPU Conv2DBackpropFilter (ours) equals tfjs-cpu on every ResNet50 shape and on odd shapes', async ({
  page,
}) => {
  test.setTimeout(360_000);
  await openApp(page, 'webgpu');
  const active = await device(page);
  expect(active.backend, 'this Chromium must offer a WebGPU adapter (--enable-unsafe-webgpu)').toBe('webgpu');

  // ResNet50 at 64 px, batch 4: the stem's 7×7 stride 2 over 3 channels, the strided projections,
  // 'same' and 'valid' padding, and split-K where the filter rows × tiles are few.
  const report = await request(page, 'gpuKernels', { size: 64, batch: 4, check: true, time: false });
  for (const row of report.rows)
    console.log(
      `[webgpu kernels] ${row.shape} ×${row.layers}, ${row.splits} split(s): ${row.relativeError?.toExponential(2)}`,
    );
  expect(report.rows.length).toBeGreaterThanOrEqual(20);
  expect(report.rows.reduce((n, r) => n + r.layers, 0)).toBe(53); // every convolution of ResNet50
  expect(report.rows.some((r) => r.splits > 1)).toBe(true);
  expect(report.rows.some((r) => r.strides[0] === 2)).toBe(true);
  for (const row of report.rows) {
    expect(row.ours, `${row.shape}: our kernel ran`).toBe(true);
    expect(row.relativeError, row.shape).toBeLessThan(1e-4);
  }
  expect(report.tensorsLeaked).toBe(0);

  // Shapes no tile divides: 5 input and 7 output channels, odd sizes, stride 2, 'same' padding.
  await tf.setBackend('cpu');
  const odd = { xShape: [3, 9, 11, 5], filterShape: [3, 3, 5, 7], strides: [2, 2], pad: 'same' } as const;
  const info = tf.backend_util.computeConv2DInfo(
    [...odd.xShape],
    [...odd.filterShape],
    [...odd.strides],
    1,
    odd.pad,
  );
  const dyShape: [number, number, number, number] = [3, info.outHeight, info.outWidth, 7];
  const [x, dy, filter] = [odd.xShape, dyShape, odd.filterShape].map((shape, i) =>
    tf.tidy(() => Array.from(tf.randomNormal([...shape], 0, 1, 'float32', i + 11).dataSync())),
  );
  const ours = await page.evaluate(
    async (a) => {
      const studio = (
        window as unknown as {
          __studio: { request(n: string, a: unknown): Promise<{ dFilter: Float32Array }> };
        }
      ).__studio;
      const r = await studio.request('convGradients', {
        ...a,
        x: new Float32Array(a.x),
        dy: new Float32Array(a.dy),
        filter: new Float32Array(a.filter),
      });
      return Array.from(r.dFilter);
    },
    {
      x,
      dy,
      filter,
      xShape: odd.xShape,
      dyShape,
      filterShape: odd.filterShape,
      strides: odd.strides,
      pad: odd.pad,
    },
  );
  const expected = Array.from(
    tf.tidy(() =>
      (
        tf.engine().runKernel(
          'Conv2DBackpropFilter',
          { x: tf.tensor4d(x, [...odd.xShape]), dy: tf.tensor4d(dy, dyShape) },
          {
            strides: [...odd.strides],
            pad: odd.pad,
            dataFormat: 'NHWC',
            filterShape: [...odd.filterShape],
          },
        ) as tf.Tensor
      ).dataSync(),
    ),
  );
  const scale = Math.max(...expected.map(Math.abs));
  const diff = Math.max(...expected.map((v, i) => Math.abs(v - ours[i])));
  console.log(`[webgpu kernels] odd shape: relative error ${(diff / scale).toExponential(2)}`);
  expect(ours.length).toBe(expected.length);
  expect(diff / scale).toBeLessThan(1e-4);
});
