import { test, expect, type Page } from '@playwright/test';
import { device, openApp, request } from './support/app';

/** A PNG made by the browser itself: a sunset-like gradient with a dark disc. */
async function generatedPng(page: Page): Promise<Buffer> {
  const base64 = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(320, 240);
    const ctx = canvas.getContext('2d')!;
    const gradient = ctx.createLinearGradient(0, 0, 0, 240);
    gradient.addColorStop(0, '#f97316');
    gradient.addColorStop(1, '#1e3a8a');
    ctx.fillStyle = gradient;
    ctx.fillRect(0, 0, 320, 240);
    ctx.fillStyle = '#111';
    ctx.beginPath();
    ctx.arc(160, 140, 60, 0, Math.PI * 2);
    ctx.fill();
    const blob = await canvas.convertToBlob({ type: 'image/png' });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return btoa(binary);
  });
  return Buffer.from(base64, 'base64');
}

test('the shell shows four tabs, the device and a ready model', async ({ page }) => {
  await openApp(page);
  for (const name of ['Data', 'Train', 'Interpret', 'Predict']) {
    await expect(page.getByRole('tab', { name })).toBeVisible();
  }
  await expect(page.getByTestId('backend')).toHaveText(/webgpu|webgl|wasm|cpu/);
  await expect(page.getByTestId('adapter')).not.toHaveText('detecting device…');
  await page.getByRole('tab', { name: 'Train' }).click();
  await expect(page.getByRole('tabpanel', { name: 'Train' })).toContainText('Fit the head (body frozen)');
  await page.getByRole('tab', { name: 'Data' }).click();
  await expect(page.getByRole('tabpanel', { name: 'Data' })).toContainText('No images yet.');
});

test('Predict shows the ImageNet top 5 for an image, a clear error for a corrupt file, and leaks no tensors', async ({
  page,
}) => {
  await openApp(page);
  await page.getByRole('tab', { name: 'Predict' }).click();
  const png = await generatedPng(page);
  const input = page.getByTestId('predict-drop-input');

  const before = await request(page, 'memory', {});
  await input.setInputFiles({ name: 'sunset.png', mimeType: 'image/png', buffer: png });
  const rows = page.getByTestId('top5').locator('li');
  await expect(rows).toHaveCount(5);
  const first = await rows.first().innerText();
  expect(first).toMatch(/\S+.*\d+\.\d%/s);

  // Two more predictions: the worker's tensor count must not grow.
  for (let i = 0; i < 2; i++) {
    await input.setInputFiles({ name: `again-${i}.png`, mimeType: 'image/png', buffer: png });
    await expect(page.getByTestId('prediction').locator('.file-name')).toHaveText(`again-${i}.png`);
    await expect(rows).toHaveCount(5);
  }
  const after = await request(page, 'memory', {});
  expect(after.numTensors).toBe(before.numTensors);

  const corrupt = Buffer.concat([png.subarray(0, 40), Buffer.from('not really a png')]);
  await input.setInputFiles({ name: 'broken.png', mimeType: 'image/png', buffer: corrupt });
  await expect(page.getByTestId('predict-error')).toContainText('not an image the browser can decode');
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
  await expect(page.getByTestId('predict-error')).toContainText('not an image');
});

test('with a WebGPU adapter, a timed training step races webgpu against wasm once and is cached', async ({
  page,
}) => {
  // Only real GPUs race by default; this Chromium's SwiftShader adapter races when asked to.
  await page.goto('/?raceSoftwareGpu');
  await expect(page.getByTestId('model-state')).toHaveText('ready', { timeout: 170_000 });
  const first = await device(page);
  console.log(`[race] ${JSON.stringify(first.race)}`);
  expect(first.race, 'this Chromium must offer a WebGPU adapter (--enable-unsafe-webgpu)').toBeDefined();
  const race = first.race!;
  expect(race.cached).toBe(false);
  expect(race.webgpuMs).toBeGreaterThan(0);
  expect(race.wasmMs).toBeGreaterThan(0);
  expect(race.winner).toBe(race.webgpuMs <= race.wasmMs ? 'webgpu' : 'wasm');
  expect(first.backend).toBe(race.winner);
  if (race.winner === 'wasm') await expect(page.getByTestId('fallback')).toContainText('timed step');

  // The next visit reuses the stored result instead of measuring again.
  await page.reload();
  await expect(page.getByTestId('model-state')).toHaveText('ready', { timeout: 170_000 });
  const second = await device(page);
  expect(second.backend).toBe(race.winner);
  expect(second.race).toEqual({ ...race, cached: true });
});

test('a first visit opens Data; arrow keys move between tabs; a later visit reopens the last tab', async ({
  page,
}) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await page.goto('/');
  const tab = (name: string) => page.getByRole('tab', { name });
  await expect(tab('Data')).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByRole('tabpanel', { name: 'Data' })).toBeInViewport();
  await tab('Data').focus();
  await page.keyboard.press('ArrowRight');
  await expect(tab('Train')).toBeFocused();
  await expect(tab('Train')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('End');
  await expect(tab('Predict')).toHaveAttribute('aria-selected', 'true');
  await page.keyboard.press('ArrowRight'); // wraps around
  await expect(tab('Data')).toBeFocused();
  await page.keyboard.press('ArrowLeft');
  await expect(tab('Predict')).toHaveAttribute('aria-selected', 'true');
  await page.reload();
  await expect(tab('Predict')).toHaveAttribute('aria-selected', 'true');
});

test('a tab opens at its top, even when the last one was scrolled or still scrolling', async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  await openApp(page);
  const tab = (name: string) => page.getByRole('tab', { name });
  // With a dataset and a model both tabs are long (epoch tables, charts; matrix, per-class table,
  // cleaner); stand in for that content with a tall block at the end of each.
  await page.evaluate(() => {
    for (const id of ['panel-train', 'panel-interpret']) {
      const filler = document.createElement('div');
      filler.style.height = '4000px';
      document.getElementById(id)!.append(filler);
    }
  });
  await tab('Train').click();
  const firstStep = page.getByTestId('recipe-fit1');
  const interpretTop = page.locator('#panel-interpret > *').first();
  await expect(firstStep).toBeInViewport();
  // Scrolled down in Train, then Interpret: it opens at its top, not at Train's offset.
  await page.evaluate(() => window.scrollTo({ top: document.body.scrollHeight, behavior: 'instant' }));
  await expect(firstStep).not.toBeInViewport();
  await tab('Interpret').click();
  await expect(interpretTop).toBeInViewport();
  // A smooth scroll running in Train (as a notice coming into view starts one) when the user
  // switches away and back: it does not carry on into either tab.
  await tab('Train').click();
  await page.evaluate(() => window.scrollTo({ top: document.body.scrollHeight, behavior: 'smooth' }));
  await tab('Interpret').click();
  await tab('Train').click();
  await page.waitForTimeout(1_500); // longer than a smooth scroll takes
  await expect(firstStep).toBeInViewport();
});
