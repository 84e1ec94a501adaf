// The portable dataset, as a user moves it: download images (URLs with commas) and drop local files,
// prepare a split, click "Export dataset (.zip)", then in a fresh browser profile drop that zip on
// the Data tab: the same images (bytes and hashes), classes, source URLs and split come back, and
// the Train tab uses the same split seed. The URL lists + manifest leave as one zip.
import { readFileSync } from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { strFromU8, unzipSync } from 'fflate';
import { DEFAULT_TRAIN_CONFIG } from '../src/protocol';
import { openApp, request } from './support/app';
import { csvFile, dropFiles, dropTransfer } from './support/drop';
import { startHost, type FixtureFile } from './support/fixture-server';
import { makeImages } from './support/studio-data';
import { importGeneratedDataset } from './support/generated';

test.use({ viewport: { width: 1280, height: 720 } });

/** What must survive the round trip, one line per image, sorted. */
async function snapshot(page: Page): Promise<{ images: string[]; splitSeed: unknown }> {
  return page.evaluate(async () => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const r = indexedDB.open('deep-art-studio');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
    const read = <T>(store: string, key?: string) =>
      new Promise<T>((resolve) => {
        const s = db.transaction(store).objectStore(store);
        const r = key === undefined ? s.getAll() : s.get(key);
        r.onsuccess = () => resolve(r.result as T);
      });
    const all =
      await read<
        { className: string; url: string; hash: string; split?: string; data?: ArrayBuffer; blob?: Blob }[]
      >('images');
    const meta = await read<{ value: unknown } | undefined>('meta', 'split-seed');
    db.close();
    const lines: string[] = [];
    for (const i of all) {
      const bytes = i.data ?? (await i.blob!.arrayBuffer());
      const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
      const hex = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
      lines.push([i.className, i.url, i.split ?? '-', i.hash, hex].join(' | '));
    }
    return { images: lines.sort(), splitSeed: meta?.value };
  });
}

test('export the dataset as one zip, import it in a fresh profile: same images, hashes and split', async ({
  page,
  browser,
}) => {
  test.setTimeout(240_000);
  await openApp(page);
  const specs = [1, 2, 3, 4, 5].map((i) => ({
    name: `/reds/r,${i}.jpg`,
    hue: i * 9,
    w: 90,
    h: 60,
    type: 'image/jpeg',
  }));
  const encoded = await makeImages(page, specs);
  const files = new Map<string, FixtureFile>(
    specs.map((s) => [s.name, { type: s.type, body: encoded.get(s.name)! }]),
  );
  const host = await startHost(files, { cors: true });
  try {
    await page.getByRole('tab', { name: 'Data' }).click();
    const zone = page.getByTestId('data-drop');
    const urls = specs.map((s) => `${host.origin}${s.name}?q=a,b`);
    await dropFiles(zone, [csvFile('urls_reds.csv', urls.join('\n'))]);
    await page.getByRole('button', { name: /^Download \d+ images$/ }).click();
    await expect(page.getByTestId('ingest-progress')).toHaveAttribute('data-running', 'false', {
      timeout: 60_000,
    });
    // Local files, dropped as a person drops them (loose files land in "unsorted").
    const local = await makeImages(page, [
      { name: 'blue-1.png', hue: 220, w: 50, h: 70, type: 'image/png' },
      { name: 'blue-2.png', hue: 240, w: 70, h: 50, type: 'image/png' },
    ]);
    await dropFiles(
      zone,
      [...local].map(([name, buffer]) => ({ name, mimeType: 'image/png', buffer })),
    );
    await expect(page.getByTestId('data-notice')).toContainText('Added 2 images');
  } finally {
    await host.close();
  }
  // A split drawn with seed 43 (what preparing a model does).
  await request(page, 'trainPrepare', { config: { ...DEFAULT_TRAIN_CONFIG, size: 32, seed: 43 } });
  const before = await snapshot(page);
  expect(before.images).toHaveLength(7);
  expect(before.splitSeed).toBe(43);
  expect(before.images.every((l) => / \| (train|valid) \| /.test(l))).toBe(true);
  expect(before.images.filter((l) => l.includes('?q=a,b'))).toHaveLength(5); // commas kept

  // Export, as a user clicks it.
  const exportButton = page.getByTestId('export-dataset');
  await exportButton.scrollIntoViewIfNeeded();
  await expect(exportButton).toBeInViewport();
  const [download] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
  expect(download.suggestedFilename()).toMatch(/^dataset-\d{4}-\d\d-\d\d\.zip$/);
  const zip = readFileSync((await download.path())!);
  await expect(page.getByTestId('dataset-files-status')).toContainText(/Saved dataset-.*\.zip/);
  const entries = unzipSync(new Uint8Array(zip));
  expect(Object.keys(entries).filter((f) => f.startsWith('images/reds/'))).toHaveLength(5);
  expect(Object.keys(entries).filter((f) => f.startsWith('images/unsorted/'))).toHaveLength(2);
  expect(strFromU8(entries['labels.csv']).split('\n')[0]).toBe(
    'file,class,split,url,sha256,source_sha256,width,height',
  );

  // URL lists + manifest: one zip, not one download per class.
  const [lists] = await Promise.all([
    page.waitForEvent('download'),
    page.getByTestId('export-url-lists').click(),
  ]);
  const listFiles = unzipSync(new Uint8Array(readFileSync((await lists.path())!)));
  expect(Object.keys(listFiles).sort()).toEqual(['manifest.csv', 'urls_reds.csv', 'urls_unsorted.csv']);
  expect(strFromU8(listFiles['urls_reds.csv']).trim().split('\n').sort()).toEqual(
    [...new Set(before.images.filter((l) => l.startsWith('reds')).map((l) => l.split(' | ')[1]))].sort(),
  );

  // A fresh profile (another browser, another machine): drop the zip on the Data tab.
  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const fresh = await context.newPage();
    // The zip is dropped while the model still loads, as a user may: the import does not wait for it.
    await fresh.goto('/');
    await fresh.getByRole('tab', { name: 'Data' }).click();
    const freshZone = fresh.getByTestId('data-drop');
    // Something that is not a zip, named like one: a clear reason, nothing stored.
    await dropFiles(freshZone, [
      { name: 'notes.zip', mimeType: 'application/zip', buffer: Buffer.from('hello') },
    ]);
    await expect(fresh.getByTestId('data-notice')).toContainText('not a readable .zip file');
    await dropFiles(freshZone, [
      { name: download.suggestedFilename(), mimeType: 'application/zip', buffer: zip },
    ]);
    const notice = fresh.getByTestId('data-notice');
    await expect(notice).toContainText('Imported 7 images');
    await expect(notice).toContainText('split of seed 43 kept');
    await expect(notice).toBeInViewport();
    await fresh.screenshot({ path: 'test-results/dataset-zip-data.png' });
    const after = await snapshot(fresh);
    expect(after).toEqual(before);
    await fresh.getByRole('tab', { name: 'Train' }).click();
    await expect(fresh.locator('[role=tabpanel]:not([hidden])')).toContainText('split seed 43');
    await fresh.screenshot({ path: 'test-results/dataset-zip-imported.png' });
  } finally {
    await context.close();
  }
});

test('a project zip moves the dataset and a checkpoint to a fresh profile, and training continues there', async ({
  page,
  browser,
}) => {
  test.setTimeout(300_000);
  await openApp(page);
  await importGeneratedDataset(page, 5);
  await request(page, 'trainPrepare', {
    config: { ...DEFAULT_TRAIN_CONFIG, size: 32, batchSize: 6, seed: 44 },
  });
  await request(page, 'fit', { epochs: 1, maxLr: '3e-3' });
  await request(page, 'saveCheckpoint', { name: 'stage-1' });

  await page.getByRole('tab', { name: 'Data' }).click();
  const exportButton = page.getByTestId('export-project');
  await expect(exportButton).toHaveText('Export project (.zip, 2 checkpoints)'); // stage-1 and the autosave
  await page.getByTestId('dataset-files').getByLabel('autosave').uncheck();
  await expect(exportButton).toHaveText('Export project (.zip, 1 checkpoint)');
  await exportButton.scrollIntoViewIfNeeded();
  await expect(exportButton).toBeInViewport();
  const [download] = await Promise.all([page.waitForEvent('download'), exportButton.click()]);
  expect(download.suggestedFilename()).toMatch(/^project-\d{4}-\d\d-\d\d\.zip$/);
  const zip = readFileSync((await download.path())!);

  const context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  try {
    const fresh = await context.newPage();
    await openApp(fresh);
    await fresh.getByRole('tab', { name: 'Data' }).click();
    // ~100 MB is too large to pass through the test protocol: the page fetches the file from a
    // 127.0.0.1 host, then the drop carries it as a real File.
    const host = await startHost(new Map([['/project.zip', { type: 'application/zip', body: zip }]]), {
      cors: true,
    });
    try {
      const transfer = await fresh.evaluateHandle(
        async ({ url, name }) => {
          const blob = await (await fetch(url)).blob();
          const dataTransfer = new DataTransfer();
          dataTransfer.items.add(new File([blob], name, { type: 'application/zip' }));
          return dataTransfer;
        },
        { url: `${host.origin}/project.zip`, name: download.suggestedFilename() },
      );
      await dropTransfer(fresh.getByTestId('data-drop'), transfer);
    } finally {
      await host.close();
    }
    const notice = fresh.getByTestId('data-notice');
    await expect(notice).toContainText('Imported 15 images');
    await expect(notice).toContainText('checkpoints stage-1');
    // Continue: load the checkpoint on the Train tab, as a user does, and fit one more epoch.
    await fresh.getByRole('tab', { name: 'Train' }).click();
    const panel = fresh.locator('[role=tabpanel]:not([hidden])');
    await panel
      .getByTestId('checkpoints')
      .getByRole('row', { name: /stage-1/ })
      .getByRole('button', { name: 'Load' })
      .click();
    await expect(panel.getByText(/1 epoch trained/).first()).toBeVisible({ timeout: 60_000 });
    const rows = await request(fresh, 'fit', { epochs: 1, maxLr: '3e-3' });
    expect(rows[0].epoch).toBe(1); // the second frozen epoch: the history came along
    await expect(panel.getByText(/2 epochs trained/).first()).toBeVisible();
    await fresh.screenshot({ path: 'test-results/project-continued.png' });
  } finally {
    await context.close();
  }
});
