// The real web, as a new user meets it: one URL list mixing good images with every way a host or a
// list goes wrong, dropped on the Data tab and downloaded through the UI at 1280×720.
import { readFileSync } from 'node:fs';
import { test, expect, type Page } from '@playwright/test';
import { avif, gif, jpeg } from '../tests/support/image-bytes';
import { csvFile, dropFiles } from './support/drop';
import {
  badEncodingRoute,
  cutRoute,
  declaredHugeRoute,
  endlessRoute,
  fileRoute,
  ONE_PIXEL_GIF,
  padded,
  startHostileHost,
  statusRoute,
  withOrientation,
} from './support/hostile-host';
import { makeImages, storedFailures, storedImages } from './support/studio-data';
import { watchPage } from './support/watch';

const MAX_SIDE = 64;
const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

async function configure(page: Page) {
  await page.getByTestId('pending').getByText('Settings', { exact: true }).click();
  await page.getByLabel('Timeout (s)').fill('5');
  await page.getByLabel('Retries').fill('1');
  await page.getByLabel('Longest side (px)').fill(String(MAX_SIDE));
}

/** Stored image's colour at the top and bottom centre (decoded from what IndexedDB holds). */
async function topAndBottom(page: Page, url: string): Promise<number[][]> {
  return page.evaluate(async (url) => {
    const db = await new Promise<IDBDatabase>((resolve) => {
      const r = indexedDB.open('deep-art-studio');
      r.onsuccess = () => resolve(r.result);
    });
    const all = await new Promise<{ url: string; data: ArrayBuffer }[]>((resolve) => {
      const r = db.transaction('images').objectStore('images').getAll();
      r.onsuccess = () => resolve(r.result);
    });
    db.close();
    const bitmap = await createImageBitmap(new Blob([all.find((i) => i.url === url)!.data]));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d')!;
    ctx.drawImage(bitmap, 0, 0);
    const x = Math.floor(bitmap.width / 2);
    return [2, bitmap.height - 3].map((y) => Array.from(ctx.getImageData(x, y, 1, 1).data.subarray(0, 3)));
  }, url);
}

test('a hostile host: every valid image stored, every bad one refused with its true reason, the app still usable', async ({
  page,
}, testInfo) => {
  await page.setViewportSize({ width: 1280, height: 720 });
  const watch = watchPage(page);
  await page.goto('/');
  const images = await makeImages(page, [
    ...[1, 2, 3, 4, 5, 6, 7].map((i) => ({ name: `g${i}`, hue: i * 45, w: 120, h: 80, type: 'image/jpeg' })),
    { name: 'png', hue: 300, w: 60, h: 40, type: 'image/png' },
    { name: 'pad', hue: 150, w: 300, h: 300, type: 'image/jpeg' },
    { name: 'new', hue: 75, w: 50, h: 50, type: 'image/jpeg' },
  ]);
  // Red left half, blue right half, stored with "rotate 90° clockwise" (EXIF 6): upright, red is on top.
  const sideways = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(160, 80);
    const ctx = canvas.getContext('2d')!;
    ctx.fillStyle = '#f00';
    ctx.fillRect(0, 0, 80, 80);
    ctx.fillStyle = '#00f';
    ctx.fillRect(80, 0, 80, 80);
    const bytes = new Uint8Array(
      await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.95 })).arrayBuffer(),
    );
    return Array.from(bytes);
  });
  const image = (name: string) => images.get(name)!;
  const good = new Map([
    ['/good/g1.jpg', fileRoute(image('g1'), 'image/jpeg')],
    ['/good/Rembrandt_-_The_Night_Watch,_1642.jpg', fileRoute(image('g2'), 'image/jpeg')],
    ['/good/w_300,h_200/painting.jpg', fileRoute(image('g3'), 'image/jpeg')],
    ['/good/a;jsessionid=1.jpg', fileRoute(image('g4'), 'image/jpeg')],
    ['/good/trailer.jpg', fileRoute(Buffer.concat([image('g5'), Buffer.alloc(2048, 0x41)]), 'image/jpeg')],
    ['/good/trailer.png', fileRoute(Buffer.concat([image('png'), Buffer.alloc(100, 7)]), 'image/png')],
    ['/good/newline.gif', fileRoute(Buffer.concat([ONE_PIXEL_GIF, Buffer.from('\n')]), 'image/gif')],
    ['/good/rotated.jpg', fileRoute(withOrientation(Buffer.from(sideways), 6), 'image/jpeg')],
    ['/good/padded.jpg', fileRoute(padded(image('pad'), 5_000_000), 'image/jpeg')],
    ['/good/sunset.avif', fileRoute(fixture('sunset.avif'), 'image/avif')],
  ]);
  const bad = new Map([
    ['/bad/503.jpg', statusRoute(503)],
    ['/bad/429.jpg', statusRoute(429)],
    ['/bad/500.jpg', statusRoute(500)],
    ['/bad/cut.jpg', cutRoute(image('g6'))],
    ['/bad/encoding.jpg', badEncodingRoute(image('g7'))],
    ['/bad/bomb.gif', fileRoute(Buffer.from(gif(10, 10, [{ w: 20000, h: 20000 }])), 'image/gif')],
    ['/bad/endless.jpg', endlessRoute()],
    ['/bad/declared.jpg', declaredHugeRoute()],
    ['/bad/zero.jpg', fileRoute(Buffer.from(jpeg(64, 0)), 'image/jpeg')],
    ['/bad/scan.tif', fileRoute(fixture('sample.tif'), 'image/tiff')],
    ['/bad/photo.heic', fileRoute(Buffer.from(avif(64, 64, { brand: 'heic' })), 'image/heic')],
  ]);
  const host = await startHostileHost(
    new Map([...good, ...bad, ['/new.jpg', fileRoute(image('new'), 'image/jpeg')]]),
  );
  const o = host.origin;
  try {
    const lines = [
      ...[...good.keys()].map((p) => o + p),
      `http://user:secret@${o.slice(7)}/good/g1.jpg`,
      ...[...bad.keys()].map((p) => o + p),
      'javascript:alert(1)',
      'file:///etc/passwd',
      'images/relative.jpg',
    ];
    await page.getByRole('tab', { name: 'Data' }).click();
    await dropFiles(page.getByTestId('data-drop'), [csvFile('urls_hostile.csv', lines.join('\n'))]);
    const row = page.getByTestId('pending').locator('tr', { hasText: 'urls_hostile.csv' });
    await expect(row).toContainText(`${good.size + bad.size}`);
    await expect(row).toContainText('4 refused');
    await row.getByText('Show refused lines').click();
    const refused = page.getByTestId('refused-lines');
    await expect(refused).toContainText('line 11: http://***@127.0.0.1');
    await expect(refused).toContainText('contains a user name or password');
    await expect(refused).toContainText('line 23: javascript:alert(1) — not an http(s) URL (javascript:)');
    await expect(refused).toContainText('line 25: images/relative.jpg — not an absolute URL');
    await expect(page.getByTestId('pending')).not.toContainText('secret');
    await refused.scrollIntoViewIfNeeded();
    await page.screenshot({ path: testInfo.outputPath('hostile-pending.png') });

    await configure(page);
    await page.getByRole('button', { name: /^Download \d+ images$/ }).click();
    await expect(page.getByTestId('ingest-progress')).toHaveAttribute('data-running', 'false', {
      timeout: 90_000,
    });

    const stored = await storedImages(page);
    expect(stored.map((i) => new URL(i.url).pathname).sort()).toEqual(
      [...good.keys()].map((p) => new URL(o + p).pathname).sort(),
    );
    const rotated = stored.find((i) => i.url.endsWith('rotated.jpg'))!;
    expect([rotated.width, rotated.height]).toEqual([32, 64]); // upright, not squashed
    const [top, bottom] = await topAndBottom(page, rotated.url);
    expect(top[0]).toBeGreaterThan(200); // red on top
    expect(bottom[2]).toBeGreaterThan(200); // blue below
    expect(stored.find((i) => i.url.endsWith('padded.jpg'))!.size).toBeLessThan(50_000); // re-encoded

    const failures = await storedFailures(page);
    const reason = (path: string) => failures.get(o + path);
    expect(reason('/bad/503.jpg')).toEqual({
      reason: 'http',
      detail: 'HTTP 503 Service Unavailable after 2 tries',
    });
    expect(reason('/bad/429.jpg')).toEqual({
      reason: 'http',
      detail: 'HTTP 429 Too Many Requests after 2 tries',
    });
    expect(reason('/bad/500.jpg')).toMatchObject({
      reason: 'http',
      detail: expect.stringMatching(/^HTTP 500/),
    });
    expect(reason('/bad/cut.jpg')).toMatchObject({
      reason: 'truncated',
      detail: expect.stringContaining('broke off'),
    });
    expect(reason('/bad/encoding.jpg')?.reason).toBe('truncated');
    expect(reason('/bad/bomb.gif')).toEqual({
      reason: 'too-large',
      detail: 'GIF with a frame of 400 MP exceeds 50 MP',
    });
    expect(reason('/bad/endless.jpg')).toMatchObject({
      reason: 'too-large',
      detail: expect.stringContaining('more than 20 MB'),
    });
    expect(host.written.get('/bad/endless.jpg')!).toBeLessThan(100e6); // abandoned, not read to 1 GB
    expect(reason('/bad/declared.jpg')).toMatchObject({
      reason: 'too-large',
      detail: expect.stringContaining('1000 MB'),
    });
    expect(reason('/bad/zero.jpg')).toEqual({
      reason: 'corrupt',
      detail: 'the JPEG header declares 64×0 pixels',
    });
    expect(reason('/bad/scan.tif')).toEqual({ reason: 'unsupported', detail: 'unsupported format (TIFF)' });
    expect(reason('/bad/photo.heic')).toEqual({ reason: 'unsupported', detail: 'unsupported format (HEIC)' });
    expect(failures.get('javascript:alert(1)')).toEqual({
      reason: 'invalid-url',
      detail: 'line 23 of urls_hostile.csv: not an http(s) URL (javascript:)',
    });
    expect(JSON.stringify([...failures])).not.toContain('secret');
    expect(failures.size).toBe(bad.size + 4);
    for (const [path] of bad) expect(failures.get(o + path)?.reason, path).not.toBe('cors');

    // The report keeps the refused lines after Download, with their reasons.
    const report = page.locator('[data-testid=report] tr[data-class="hostile"]');
    await expect(report.locator('td[data-col="stored"]')).toHaveText(String(good.size));
    await expect(report.locator('td[data-col="invalid-url"]')).toHaveText('4');
    await report.getByRole('button', { name: 'Show failures' }).click();
    await expect(page.getByTestId('failure-list')).toContainText(
      'HTTP 503 Service Unavailable after 2 tries',
    );
    await expect(page.getByTestId('failure-list')).toContainText('line 24 of urls_hostile.csv');
    await page.getByTestId('failure-list').scrollIntoViewIfNeeded();
    await page.screenshot({ path: testInfo.outputPath('hostile-report.png'), fullPage: true });

    // Still usable: a new list downloads.
    await dropFiles(page.getByTestId('data-drop'), [csvFile('urls_hostile.csv', `${o}/new.jpg\n`)]);
    const download = page.getByRole('button', { name: 'Download 1 images' });
    await expect(download).toBeEnabled();
    await download.click();
    await expect(report.locator('td[data-col="stored"]')).toHaveText(String(good.size + 1), {
      timeout: 30_000,
    });
    await watch.expectClean();
  } finally {
    await host.close();
  }
});
