// For every backend that starts in this browser, the worker's ResNet50 must match tfjs in Node.
import { test, expect } from '@playwright/test';
import type { BackendName } from '../src/protocol';
import { classifyPixels, device, openApp, request } from './support/app';
import { generatedBatch, maxAbsDiff } from './support/fixtures';
import { referenceProbabilities } from './support/reference';

const BATCH = generatedBatch(2, 64);
let reference: Float32Array;

test.beforeAll(async () => {
  reference = await referenceProbabilities(BATCH.pixels, BATCH.shape);
});

const BACKENDS: BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

for (const backend of BACKENDS) {
  test(`ResNet50 on ${backend} matches tfjs-node CPU within 1e-3`, async ({ page }) => {
    // Software WebGPU is slow: its training step alone took 71 s on a busy 2-core machine.
    test.setTimeout(360_000);
    await openApp(page, backend);
    const active = await device(page);
    // A backend this browser cannot start is reported as skipped, never as passed.
    test.skip(
      active.backend !== backend,
      `${backend} did not initialise here (fell back to ${active.backend})`,
    );
    console.log(`[parity] ${backend}: running on "${active.adapter}"`);

    const probabilities = await classifyPixels(page, BATCH.pixels, BATCH.shape);
    expect(probabilities.length).toBe(2 * 1000);
    const diff = maxAbsDiff(probabilities, reference);
    console.log(`[parity] ${backend}: max |Δp| = ${diff.toExponential(2)}`);
    expect(diff).toBeLessThan(1e-3);

    // Another prediction leaves the tensor count flat.
    const before = await request(page, 'memory', {});
    await classifyPixels(page, BATCH.pixels, BATCH.shape);
    const after = await request(page, 'memory', {});
    expect(after.numTensors).toBe(before.numTensors);
    expect(after.numBytes).toBe(before.numBytes);

    // One full training step (every weight, BatchNorm in training mode) at size 32 on this backend.
    const step = await request(page, 'benchmark', { mode: 'train', size: 32, batch: 2, steps: 1, warmup: 0 });
    console.log(`[train step] ${backend}: ${step.stepSeconds[0].toFixed(1)} s for 2 images at 32 px`);
    expect(step.stepSeconds).toHaveLength(1);
    expect(Number.isFinite(step.imagesPerSecond)).toBe(true);
    expect(step.tensorsLeaked).toBe(0);
  });
}
