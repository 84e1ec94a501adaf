// Our wasm convolution-gradient kernels, run in Chromium by the app's worker, against tfjs CPU in Node.
import { test, expect } from '@playwright/test';
import * as tf from '@tensorflow/tfjs';
import { device, openApp, request } from './support/app';

const CASES = [
  // 8 → 32 channels: our SIMD kernel's tiles fit, and its work is split between threads.
  { name: '3×3 same', xShape: [3, 12, 12, 8], filterShape: [3, 3, 8, 32], strides: [1, 1], pad: 'same' },
  {
    name: '1×1 stride 2',
    xShape: [2, 12, 12, 16],
    filterShape: [1, 1, 16, 8],
    strides: [2, 2],
    pad: 'valid',
  },
  { name: '7×7 stride 2', xShape: [1, 22, 22, 3], filterShape: [7, 7, 3, 8], strides: [2, 2], pad: 'valid' },
  // 49 taps × 4 images × 4 row groups = 784 filter-gradient calls per thread: more than one round
  // of the helpers' call list (MAX_CALLS), which once sent the whole gradient to one thread.
  {
    name: '7×7 same, 784 calls',
    xShape: [4, 32, 32, 4],
    filterShape: [7, 7, 4, 16],
    strides: [1, 1],
    pad: 'same',
    allThreads: true,
  },
] as const;

test('wasm Conv2DBackpropFilter/Input in the browser equal tfjs CPU', async ({ page }) => {
  await openApp(page, 'wasm');
  expect((await device(page)).backend).toBe('wasm');
  await tf.setBackend('cpu');
  for (const c of CASES) {
    const info = tf.backend_util.computeConv2DInfo(
      [...c.xShape],
      [...c.filterShape],
      [...c.strides],
      1,
      c.pad,
    );
    const dyShape = [c.xShape[0], info.outHeight, info.outWidth, c.filterShape[3]] as [
      number,
      number,
      number,
      number,
    ];
    const [x, dy, filter] = [c.xShape, dyShape, c.filterShape].map((shape, i) =>
      tf.tidy(() => Array.from(tf.randomNormal([...shape], 0, 1, 'float32', i + 1).dataSync())),
    );
    const browser = await page.evaluate(
      async (args) => {
        const studio = (
          window as unknown as {
            __studio: {
              request(
                n: string,
                a: unknown,
              ): Promise<{
                dFilter: Float32Array;
                dInput: Float32Array;
                engineThreads: number;
                filterGradientThreads: number;
              }>;
            };
          }
        ).__studio;
        const r = await studio.request('convGradients', {
          ...args,
          x: new Float32Array(args.x),
          dy: new Float32Array(args.dy),
          filter: new Float32Array(args.filter),
        });
        return {
          dFilter: Array.from(r.dFilter),
          dInput: Array.from(r.dInput),
          engineThreads: r.engineThreads,
          filterThreads: r.filterGradientThreads,
        };
      },
      {
        x,
        dy,
        filter,
        xShape: c.xShape,
        dyShape,
        filterShape: c.filterShape,
        strides: c.strides,
        pad: c.pad,
      },
    );
    const attrs = { strides: [...c.strides], pad: c.pad, dataFormat: 'NHWC' };
    const expected = tf.tidy(() => ({
      dFilter: Array.from(
        (
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropFilter',
              { x: tf.tensor4d(x, [...c.xShape]), dy: tf.tensor4d(dy, dyShape) },
              { ...attrs, filterShape: [...c.filterShape] },
            ) as tf.Tensor
        ).dataSync(),
      ),
      dInput: Array.from(
        (
          tf
            .engine()
            .runKernel(
              'Conv2DBackpropInput',
              { dy: tf.tensor4d(dy, dyShape), filter: tf.tensor4d(filter, [...c.filterShape]) },
              { ...attrs, inputShape: [...c.xShape] },
            ) as tf.Tensor
        ).dataSync(),
      ),
    }));
    // Cross-origin isolated with more than one core: the helper threads took part.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(browser.engineThreads).toBe(Math.min(cores, 16));
    console.log(`[wasm kernels] ${c.name}: filter gradient on ${browser.filterThreads} thread(s)`);
    if ('allThreads' in c) expect(browser.filterThreads).toBe(Math.min(cores, 16));
    for (const key of ['dFilter', 'dInput'] as const) {
      const scale = Math.max(...expected[key].map(Math.abs));
      const diff = Math.max(...expected[key].map((v, i) => Math.abs(v - browser[key][i])));
      console.log(`[wasm kernels] ${c.name} ${key}: relative error ${(diff / scale).toExponential(2)}`);
      expect(browser[key].length).toBe(expected[key].length);
      expect(diff / scale).toBeLessThan(1e-4);
    }
  }
  // bench:speed's ceiling: the SIMD peak loop runs on every engine thread (helpers included).
  const peak = await request(page, 'simdPeak', { iterations: 20_000_000 });
  const cores = await page.evaluate(() => navigator.hardwareConcurrency);
  console.log(`[wasm kernels] SIMD peak ${peak?.gflops.toFixed(1)} GFLOP/s on ${peak?.threads} threads`);
  expect(peak?.threads).toBe(Math.min(cores, 16));
  expect(peak!.gflops).toBeGreaterThan(1);
});
