// The classifier leaves the studio as a standard TF.js LayersModel: trained here, exported from the
// Predict tab as a user clicks it, then loaded by a separate page that has only @tensorflow/tfjs
// (served from another 127.0.0.1 origin, no code of ours) — same probabilities as the app (≤ 1e-5);
// and as ONNX, run by onnxruntime from npm: same top-1 and probabilities (≤ 1e-4).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test, expect } from '@playwright/test';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-web';
import { DEFAULT_TRAIN_CONFIG } from '../src/protocol';
import { openApp, request } from './support/app';
import { startHost, type FixtureFile } from './support/fixture-server';
import { importGeneratedDataset } from './support/generated';

test.use({ viewport: { width: 1280, height: 720 } });

const SIZE = 32;
const require = createRequire(import.meta.url);

test('TF.js and ONNX exports give the app’s probabilities in stock runtimes', async ({ page, browser }) => {
  test.setTimeout(300_000);
  await openApp(page);
  await importGeneratedDataset(page, 6);
  await request(page, 'trainPrepare', { config: { ...DEFAULT_TRAIN_CONFIG, size: SIZE, batchSize: 6 } });
  await request(page, 'fit', { epochs: 1, maxLr: '3e-3' });
  await request(page, 'saveCheckpoint', { name: 'stage-1' });

  // One probe picture at exactly the model's input size (no resampling on either side).
  const probe = await page.evaluate(async (size) => {
    const canvas = new OffscreenCanvas(size, size);
    const ctx = canvas.getContext('2d')!;
    const gradient = ctx.createLinearGradient(0, 0, size, size);
    gradient.addColorStop(0, 'hsl(10, 80%, 45%)');
    gradient.addColorStop(1, 'hsl(200, 70%, 55%)');
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, size, size);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    return Array.from(bytes);
  }, SIZE);
  const app = await page.evaluate(async (bytes) => {
    const studio = (
      window as unknown as {
        __studio: { request(n: string, a: unknown): Promise<{ classes: string[]; probabilities: number[] }> };
      }
    ).__studio;
    const image = new Blob([Uint8Array.from(bytes)], { type: 'image/png' });
    return studio.request('classify', { image });
  }, probe);

  // Export the checkpoint as a TF.js LayersModel, as a user does.
  await page.getByRole('tab', { name: 'Predict' }).click();
  const panel = page.locator('[role=tabpanel]:not([hidden])');
  await panel.getByLabel('Model to export').selectOption('stage-1');
  await panel.getByLabel('Export format').selectOption('tfjs');
  const exportButton = panel.getByTestId('export-model');
  await expect(exportButton).toBeInViewport();
  const [download] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
  expect(download.suggestedFilename()).toBe('art-classifier-3-classes-stage-1-tfjs.zip');
  await expect(panel.getByText(/Exported checkpoint "stage-1" as .*-tfjs\.zip/)).toBeVisible();
  const files = unzipSync(new Uint8Array(readFileSync((await download.path())!)));
  expect(Object.keys(files)).toContain('model.json');
  expect(Object.keys(files)).toContain('README.md');
  // The same with float16 weights: half the download.
  await panel.getByLabel('Export format').selectOption('tfjs16');
  const [half] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
  expect(half.suggestedFilename()).toBe('art-classifier-3-classes-stage-1-tfjs-f16.zip');
  const halfFiles = unzipSync(new Uint8Array(readFileSync((await half.path())!)));
  const binBytes = (f: Record<string, Uint8Array>) =>
    Object.entries(f).reduce((n, [name, b]) => n + (name.endsWith('.bin') ? b.byteLength : 0), 0);
  expect(binBytes(halfFiles)).toBe(binBytes(files) / 2);

  // A page of its own: only the stock tfjs bundle and the exported files.
  const served = new Map<string, FixtureFile>([
    [
      '/index.html',
      { type: 'text/html', body: Buffer.from('<!doctype html><script src="/tf.min.js"></script>') },
    ],
    [
      '/tf.min.js',
      { type: 'text/javascript', body: readFileSync(require.resolve('@tensorflow/tfjs/dist/tf.min.js')) },
    ],
  ]);
  for (const [folder, content] of [
    ['model', files],
    ['model16', halfFiles],
  ] as const)
    for (const [name, bytes] of Object.entries(content))
      served.set(`/${folder}/${name}`, {
        type: name.endsWith('.json') ? 'application/json' : 'application/octet-stream',
        body: Buffer.from(bytes),
      });
  const host = await startHost(served, { cors: true });
  const context = await browser.newContext();
  try {
    const other = await context.newPage();
    await other.goto(`${host.origin}/index.html`);
    const stock = await other.evaluate(
      async ({ bytes, size }) => {
        const tf = (window as unknown as { tf: typeof import('@tensorflow/tfjs') }).tf;
        await tf.setBackend('cpu');
        const model = await tf.loadLayersModel('/model/model.json');
        const meta = (model.getUserDefinedMetadata() as { deepArtStudio: { classes: string[] } })
          .deepArtStudio;
        const bitmap = await createImageBitmap(new Blob([Uint8Array.from(bytes)], { type: 'image/png' }));
        const canvas = new OffscreenCanvas(size, size);
        const ctx = canvas.getContext('2d')!;
        ctx.drawImage(bitmap, 0, 0);
        const rgb = tf.browser.fromPixels(ctx.getImageData(0, 0, size, size)).toFloat();
        // The README's preprocessing: RGB → BGR, minus the ImageNet means.
        const x = tf.sub(tf.reverse(rgb, -1), [103.939, 116.779, 123.68]).expandDims(0);
        const probabilities = Array.from(
          await (model.predict(x) as import('@tensorflow/tfjs').Tensor).data(),
        );
        const half = await tf.loadLayersModel('/model16/model.json');
        const halfProbabilities = Array.from(
          await (half.predict(x) as import('@tensorflow/tfjs').Tensor).data(),
        );
        return {
          classes: meta.classes,
          probabilities,
          halfProbabilities,
          rgb: Array.from(await rgb.data()),
          ours: typeof (window as { __studio?: unknown }).__studio,
        };
      },
      { bytes: probe, size: SIZE },
    );
    expect(stock.ours).toBe('undefined'); // nothing of the app on that page
    expect(stock.classes).toEqual(app.classes);
    console.log(
      `[export] app ${JSON.stringify(app.probabilities)} stock ${JSON.stringify(stock.probabilities)}`,
    );
    const diff = Math.max(...stock.probabilities.map((p, i) => Math.abs(p - app.probabilities[i])));
    expect(diff).toBeLessThanOrEqual(1e-5);
    // Probabilities near 0 or 1 agree trivially: compare the logits' differences too, in log space.
    const logs = stock.probabilities.flatMap((p, i) =>
      p > 1e-30 && app.probabilities[i] > 1e-30
        ? [Math.abs(Math.log(p) - Math.log(app.probabilities[i]))]
        : [],
    );
    expect(logs.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...logs)).toBeLessThan(1e-2);
    // float16 weights: the same answer, probabilities within 1e-2 (the difference is printed).
    const halfDiff = Math.max(...stock.halfProbabilities.map((p, i) => Math.abs(p - app.probabilities[i])));
    console.log(
      `[export] float16 ${JSON.stringify(stock.halfProbabilities)}, largest difference ${halfDiff}`,
    );
    const top = (p: number[]) => p.indexOf(Math.max(...p));
    expect(top(stock.halfProbabilities)).toBe(top(app.probabilities));
    expect(halfDiff).toBeLessThan(1e-2);

    // ONNX: exported the same way, run by onnxruntime (from npm) on the same pixels.
    await panel.getByLabel('Export format').selectOption('onnx');
    const [onnxDownload] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
    expect(onnxDownload.suggestedFilename()).toBe('art-classifier-3-classes-stage-1.onnx');
    const bytes = new Uint8Array(readFileSync((await onnxDownload.path())!));
    ort.env.wasm.numThreads = 1;
    const session = await ort.InferenceSession.create(bytes);
    const input = new Float32Array(stock.rgb.length);
    const mean = [103.939, 116.779, 123.68];
    for (let p = 0; p < input.length; p += 3)
      for (let c = 0; c < 3; c++) input[p + c] = stock.rgb[p + 2 - c] - mean[c]; // RGB → BGR − means
    const out = await session.run({ input: new ort.Tensor('float32', input, [1, SIZE, SIZE, 3]) });
    const onnxProbabilities = Array.from(out.probabilities.data as Float32Array);
    await session.release();
    console.log(`[export] onnx ${JSON.stringify(onnxProbabilities)}`);
    const onnxLogs = onnxProbabilities.flatMap((p, i) =>
      p > 1e-30 && app.probabilities[i] > 1e-30
        ? [Math.abs(Math.log(p) - Math.log(app.probabilities[i]))]
        : [],
    );
    expect(onnxLogs.length).toBeGreaterThanOrEqual(2);
    expect(Math.max(...onnxLogs)).toBeLessThan(1e-2);
    expect(top(onnxProbabilities)).toBe(top(app.probabilities));
    expect(
      Math.max(...onnxProbabilities.map((p, i) => Math.abs(p - app.probabilities[i]))),
    ).toBeLessThanOrEqual(1e-4);
  } finally {
    await context.close();
    await host.close();
  }
  await page.screenshot({ path: 'test-results/model-export-tfjs.png' });
});
