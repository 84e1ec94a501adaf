// Installable and offline: the built app has a web-app manifest and a service worker; after one
// visit, with the network off, a reload brings the app back with its model ready (the weights come
// from the service worker's cache, never revalidated), still cross-origin isolated (wasm threads on),
// a prediction works from the Predict tab and a stored dataset trains.
import { readFileSync, writeFileSync } from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { DEFAULT_TRAIN_CONFIG, WEIGHTS_CACHE } from '../src/protocol';
import { device, openApp, request } from './support/app';
import { dropFiles } from './support/drop';
import { importGeneratedDataset } from './support/generated';
import { makeImages } from './support/studio-data';

test.use({ viewport: { width: 1280, height: 720 } });

test('offline after one visit: model ready, wasm threads on, predicts and trains', async ({
  page,
  context,
}) => {
  test.setTimeout(300_000);
  await openApp(page);
  const manifest = await page.evaluate(async () => {
    const link = document.querySelector<HTMLLinkElement>('link[rel=manifest]');
    return link
      ? ((await (await fetch(link.href)).json()) as { name: string; icons: { sizes: string }[] })
      : null;
  });
  expect(manifest?.name).toBe('Deep Art Studio');
  expect(manifest?.icons.map((i) => i.sizes)).toEqual(expect.arrayContaining(['192x192', '512x512']));
  // The service worker is active once it has cached the app; the ML worker kept the weights it loaded.
  const cached = await page.evaluate(async (weightsCache) => {
    const registration = await navigator.serviceWorker.ready;
    const weights = await (await caches.open(weightsCache)).keys();
    return { state: registration.active?.state, weights: weights.length };
  }, WEIGHTS_CACHE);
  expect(cached.weights).toBeGreaterThan(10);
  await importGeneratedDataset(page, 4);

  await context.setOffline(true);
  await page.reload();
  await openApp(page).catch(async (error) => {
    await page.screenshot({ path: 'test-results/offline-failed.png' });
    throw error;
  });
  // Nothing reaches the server now, not even through the service worker: all of the above came from its caches.
  // (This request is the proof: Chromium 150 reports navigator.onLine true after a reload under Playwright's
  // offline emulation — the isolated page is a new renderer — while the network stays cut.)
  const uncached = await page.evaluate(() =>
    fetch(`/not-cached-${Date.now()}.txt`).then(
      (r) => `HTTP ${r.status}`,
      (e: Error) => e.name,
    ),
  );
  expect(uncached).toBe('TypeError');
  expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const info = await device(page);
  expect(info.backend).toBe('wasm');
  expect(info.threads).toBeGreaterThan(1);

  // A prediction, as a user drops a picture on the Predict tab.
  await page.getByRole('tab', { name: 'Predict' }).click();
  const panel = page.locator('[role=tabpanel]:not([hidden])');
  const [[name, bytes]] = [
    ...(await makeImages(page, [{ name: 'probe.png', hue: 30, w: 96, h: 96, type: 'image/png' }])),
  ];
  await dropFiles(panel.getByTestId('predict-drop'), [{ name, mimeType: 'image/png', buffer: bytes }]);
  await expect(panel.getByTestId('prediction')).toBeVisible({ timeout: 60_000 });
  await expect(panel.getByTestId('answered-by')).toContainText('ImageNet');
  await expect(panel.getByTestId('prediction')).toContainText('%');
  await expect(panel.getByTestId('prediction')).toBeInViewport();
  await page.screenshot({ path: 'test-results/offline-predict.png' });

  // The stored dataset trains, with no network.
  await request(page, 'trainPrepare', { config: { ...DEFAULT_TRAIN_CONFIG, size: 32, batchSize: 6 } });
  const rows = await request(page, 'fit', { epochs: 1, maxLr: '3e-3' });
  expect(rows).toHaveLength(1);
  expect(Number.isFinite(rows[0].trainLoss)).toBe(true);
  await context.setOffline(false);
});

/** The registration's workers and the page's controller, as text for a failure message. */
function workerStates(page: Page): Promise<string> {
  return page
    .evaluate(async () => {
      const registration = await navigator.serviceWorker.getRegistration();
      return JSON.stringify({
        controller: navigator.serviceWorker.controller?.state ?? null,
        active: registration?.active?.state ?? null,
        waiting: registration?.waiting?.state ?? null,
        installing: registration?.installing?.state ?? null,
        caches: await caches.keys(),
        model: document.querySelector('[data-testid=model-state]')?.textContent ?? null,
        title: document.title,
      });
    })
    .catch((error: Error) => `(the page could not be read: ${error.message})`);
}

test('a new version waits for the user: "Reload" switches to it', async ({ page }) => {
  test.setTimeout(420_000); // the prompt, the switch and the model's load each have their own limit
  // The first version's worker is active once it has cached the app and the weights (the model may
  // still be loading: the prompt does not wait for it).
  await page.goto('/');
  await page.evaluate(() => navigator.serviceWorker.ready);
  // A new deployment: the built sw.js the preview server sends changes (another version string).
  const served = 'dist-e2e/sw.js';
  const original = readFileSync(served, 'utf8');
  try {
    writeFileSync(served, original.replace(/const VERSION = '[0-9a-f]+'/, "const VERSION = 'next-build'"));
    await page.evaluate(async () => (await navigator.serviceWorker.ready).update());
    const prompt = page.getByTestId('update-prompt');
    await expect(prompt).toBeVisible({ timeout: 120_000 });
    await expect(prompt).toBeInViewport();
    await page.screenshot({ path: 'test-results/update-prompt.png' });
    // The switch: if the page does not reload, the failure says what the service workers were doing
    // (once, in a loaded full run, no reload came within the test's time).
    const loaded = page.waitForEvent('load', { timeout: 120_000 });
    await prompt.getByRole('button', { name: 'Reload' }).click();
    await loaded.catch(async (error: Error) => {
      throw new Error(`${error.message}\nafter "Reload": ${await workerStates(page)}`);
    });
    await expect(page.getByTestId('model-state')).toHaveText('ready', { timeout: 170_000 });
    expect(await page.evaluate(() => caches.keys())).toContain('shell-next-build');
    await expect(page.getByTestId('update-prompt')).toHaveCount(0);
  } finally {
    writeFileSync(served, original);
  }
});
