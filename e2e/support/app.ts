// Playwright helpers that drive the real app and its real worker.
import { expect, type Locator, type Page } from '@playwright/test';
import type { BackendName, DeviceInfo, RequestArgs, RequestName, RequestResult } from '../../src/protocol';

export async function openApp(page: Page, backend?: BackendName): Promise<void> {
  await page.goto(backend ? `/?backend=${backend}` : '/');
  await expect(page.getByTestId('status-bar')).toHaveAttribute('data-model-state', /ready|error/, {
    timeout: 170_000,
  });
  await expect(page.getByTestId('model-state')).toHaveText('ready');
}

/**
 * The Train tab opened and set, as a person would, for a quick step 1 on a small generated dataset:
 * 32 px, batch 4, one cached-feature epoch and none through the body. Returns the tab's panel.
 */
export async function quickFrozenStep(page: Page): Promise<Locator> {
  await page.getByRole('tab', { name: 'Train' }).click();
  const panel = page.getByRole('tabpanel', { name: 'Train' });
  await panel.getByLabel('Image size').fill('32');
  await panel.getByLabel('Batch size').fill('4');
  await panel.getByLabel('Frozen epochs', { exact: true }).fill('1');
  await panel.getByLabel('Epochs through the body').fill('0');
  return panel;
}

export async function device(page: Page): Promise<DeviceInfo> {
  return page.evaluate(() => {
    const studio = (window as unknown as { __studio: { getSnapshot(): { device: DeviceInfo } } }).__studio;
    return studio.getSnapshot().device;
  });
}

/** Sends a request through the app's own WorkerBridge. Typed arrays cross as plain arrays. */
export async function request<K extends RequestName>(
  page: Page,
  name: K,
  args: RequestArgs<K>,
): Promise<RequestResult<K>> {
  return page.evaluate(
    async ([name, args]) => {
      const studio = (window as unknown as { __studio: { request(n: string, a: unknown): Promise<unknown> } })
        .__studio;
      return studio.request(name, args);
    },
    [name, args] as const,
  ) as Promise<RequestResult<K>>;
}

/** ImageNet probabilities for raw pixels, computed by the app's worker on its active backend. */
export async function classifyPixels(
  page: Page,
  pixels: Float32Array,
  shape: [number, number, number, 3],
): Promise<Float32Array> {
  const values = await page.evaluate(
    async ([pixels, shape]) => {
      const studio = (
        window as unknown as {
          __studio: { request(n: string, a: unknown): Promise<{ probabilities: Float32Array }> };
        }
      ).__studio;
      const result = await studio.request('classifyPixels', { pixels: new Float32Array(pixels), shape });
      return Array.from(result.probabilities);
    },
    [Array.from(pixels), shape] as const,
  );
  return Float32Array.from(values);
}

/** The trained classifier's probabilities for one fixed image (via the app's own bridge). */
export async function predictProbe(page: Page): Promise<number[]> {
  return page.evaluate(async () => {
    const canvas = new OffscreenCanvas(64, 64);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = 'hsl(10, 75%, 45%)';
    ctx.fillRect(0, 0, 64, 64);
    const image = await canvas.convertToBlob({ type: 'image/png' });
    const studio = (
      window as unknown as {
        __studio: { request(n: string, a: unknown): Promise<{ probabilities: number[] }> };
      }
    ).__studio;
    return Array.from((await studio.request('classify', { image })).probabilities);
  });
}
