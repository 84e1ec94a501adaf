// Limits a real user hits: a full storage quota, a second tab, a 50 MB list, the relay asked by
// another site. Everything through the UI at 1280×720, against real hosts on 127.0.0.1.
import { test, expect, type Page } from '@playwright/test';
import { openApp } from './support/app';
import { csvFile, dropFiles, dropTransfer } from './support/drop';
import { startHost, type FixtureFile } from './support/fixture-server';
import { siteQuota } from './support/quota';
import { storedFailures, storedImages } from './support/studio-data';
import { watchPage } from './support/watch';

test.use({ viewport: { width: 1280, height: 720 } });

/** Noisy pictures (JPEG keeps noise: ~100 kB each at 360 px), distinct per index. */
async function noisyJpegs(page: Page, count: number, side = 360): Promise<Buffer[]> {
  const encoded = await page.evaluate(
    async ({ count, side }) => {
      const out: string[] = [];
      for (let n = 0; n < count; n++) {
        const canvas = new OffscreenCanvas(side, side);
        const ctx = canvas.getContext('2d')!;
        const data = ctx.createImageData(side, side);
        let seed = n * 7919 + 1;
        for (let i = 0; i < data.data.length; i++) {
          seed = (seed * 1103515245 + 12345) & 0x7fffffff;
          data.data[i] = i % 4 === 3 ? 255 : seed >> 23;
        }
        ctx.putImageData(data, 0, 0);
        const bytes = new Uint8Array(
          await (await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 })).arrayBuffer(),
        );
        let binary = '';
        for (const b of bytes) binary += String.fromCharCode(b);
        out.push(btoa(binary));
      }
      return out;
    },
    { count, side },
  );
  return encoded.map((b64) => Buffer.from(b64, 'base64'));
}

async function settings(page: Page, values: Record<string, string>) {
  await page.getByTestId('pending').getByText('Settings', { exact: true }).click();
  for (const [label, value] of Object.entries(values)) await page.getByLabel(label).fill(value);
}

const idle = (page: Page) =>
  expect(page.getByTestId('ingest-progress')).toHaveAttribute('data-running', 'false', { timeout: 90_000 });

test('a full quota stops the download cleanly; Download stays usable; Resume finishes once space is freed', async ({
  page,
  context,
}, testInfo) => {
  const watch = watchPage(page);
  // Ready: the ML worker has stored the weights it loaded in the weights cache.
  await openApp(page);
  const jpegs = await noisyJpegs(page, 24);
  const files = new Map<string, FixtureFile>(
    jpegs.map((body, i) => [`/n/${i}.jpg`, { body, type: 'image/jpeg' }]),
  );
  const host = await startHost(files, { cors: true });
  const quota = await siteQuota(page, context);
  try {
    // About 1 MB left: what the app itself already keeps (the service worker's cached app, the
    // weights the ML worker cached) plus 1 MB.
    await quota.set((await quota.usage()) + 1_000_000);
    await page.getByRole('tab', { name: 'Data' }).click();
    const zone = page.getByTestId('data-drop');
    await dropFiles(zone, [
      csvFile('urls_noise.csv', [...files.keys()].map((p) => host.origin + p).join('\n')),
    ]);
    await settings(page, { 'Parallel requests': '2' });
    await page.getByRole('button', { name: 'Download 24 images' }).click();
    await idle(page);
    const message = page.getByTestId('ingest-message');
    await expect(message).toBeInViewport();
    await expect(message).toContainText(/^Storage full: \d+ stored, \d+ not downloaded\. Free space/);
    await page.screenshot({ path: testInfo.outputPath('quota-full.png') });
    const before = (await storedImages(page)).length;
    expect(before).toBeLessThan(24);
    expect([...(await storedFailures(page)).values()]).toEqual([]); // not downloaded is not failed

    // Dropped files while full: a clear message, nothing lost silently. (Usage is estimated, and a
    // stopped transaction may give some bytes back: hold the quota at what is used now.)
    await quota.set(await quota.usage());
    await dropFiles(
      zone,
      jpegs.slice(0, 3).map((buffer, i) => ({ name: `local_${i}.jpg`, mimeType: 'image/jpeg', buffer })),
    );
    await expect(page.getByTestId('data-notice')).toContainText(/^Storage full: \d+ stored, \d+ not stored/);

    // A list dropped while full: kept if its few bytes still fit (then Download is usable, not
    // stuck), or refused with the reason. The quota is approximate, so either may happen.
    await dropFiles(zone, [csvFile('urls_more.csv', `${host.origin}/n/0.jpg\n`)]);
    const refusedList = page
      .getByTestId('data-notice')
      .filter({ hasText: 'The browser storage is full: the dropped list' });
    const keptList = page.getByRole('button', { name: 'Download 1 images' });
    await expect(refusedList.or(keptList)).toBeVisible();
    if (await keptList.isVisible()) {
      await expect(keptList).toBeEnabled();
      await page.getByTestId('pending').getByRole('button', { name: 'Remove urls_more.csv' }).click();
    }

    await quota.restore();
    // Space freed: Resume finishes the stopped job, and a new list downloads (nothing is stuck).
    await page.getByTestId('ingest-resume').getByRole('button', { name: 'Resume' }).click();
    await idle(page);
    await expect(
      page.locator('[data-testid=report] tr[data-class="noise"] td[data-col="stored"]'),
    ).toHaveText('24');
    await dropFiles(zone, [csvFile('urls_more.csv', `${host.origin}/n/0.jpg\n`)]);
    await page.getByRole('button', { name: 'Download 1 images' }).click();
    await idle(page);
    await expect(page.locator('[data-testid=report] tr[data-class="more"] td[data-col="stored"]')).toHaveText(
      '1',
    );
    await watch.expectClean();
  } finally {
    await quota.restore().catch(() => undefined);
    await host.close();
  }
});

test('one download across tabs: the second tab shows its progress and never runs it; lists merge', async ({
  context,
}, testInfo) => {
  const first = await context.newPage();
  const watch = watchPage(first);
  await first.goto('/');
  const jpegs = await noisyJpegs(first, 10, 48);
  const files = new Map<string, FixtureFile>(
    jpegs.map((body, i) => [`/r/${i}.jpg`, { body, type: 'image/jpeg' }]),
  );
  // The host answers only once both tabs have been seen mid-download (a fast machine could otherwise
  // finish first, and "10/10" contains "0/10").
  let release = () => undefined as void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const host = await startHost(files, { cors: true, delayMs: 100, holdUntil: held });
  const url = (i: number) => `${host.origin}/r/${i}.jpg`;
  try {
    await first.getByRole('tab', { name: 'Data' }).click();
    const zone = first.getByTestId('data-drop');
    const reds = csvFile('urls_reds.csv', [0, 1, 2, 3, 4, 5].map(url).join('\n'));
    await dropFiles(zone, [reds]);
    await dropFiles(zone, [reds]); // the same list twice: merged into one row
    const pending = first.getByTestId('pending');
    await expect(pending.locator('tbody tr')).toHaveCount(1);
    await expect(pending).toContainText('6 duplicate');
    // A second list for the same class, under another name: renamed, it joins the class.
    await dropFiles(zone, [csvFile('more_reds.csv', [4, 5, 6, 7, 8, 9].map(url).join('\n'))]);
    await first.getByLabel('Class for more_reds.csv').fill('reds');
    await settings(first, { 'Parallel requests': '1', 'Timeout (s)': '120' }); // the host holds its answers
    await first.getByRole('button', { name: /^Download \d+ images$/ }).click();
    await expect(first.getByTestId('ingest-progress')).toHaveAttribute('data-running', 'true');
    await expect(first.getByTestId('ingest-progress')).toContainText(/(^|\D)0\/10/);
    await expect(first).toHaveTitle(/^Downloading \d+% · Deep Art Studio$/); // seen from other tabs

    const second = await context.newPage();
    const watchSecond = watchPage(second);
    await second.goto('/');
    await second.getByRole('tab', { name: 'Data' }).click();
    const progress = second.getByTestId('ingest-progress');
    await expect(progress).toContainText('in another tab');
    await expect(progress).toContainText(/reds\s*0\/10/);
    await expect(progress).toBeInViewport();
    await second.screenshot({ path: testInfo.outputPath('second-tab.png') });
    release();

    await idle(first);
    await expect(first).toHaveTitle('Deep Art Studio');
    await expect(progress).toHaveAttribute('data-running', 'false');
    await expect(progress).toContainText('10/10 · 10 stored · 0 failed');
    for (let i = 0; i < 10; i++) expect(host.hits.get(`/r/${i}.jpg`), `r/${i}`).toBe(1);
    expect([...(await storedFailures(first)).values()].filter((f) => f.reason === 'duplicate')).toEqual([]);
    expect(await storedImages(first)).toHaveLength(10);
    await watch.expectClean();
    await watchSecond.expectClean();
  } finally {
    release();
    await host.close();
  }
});

test('the image relay refuses a request from another site before connecting; serves the app itself', async ({
  page,
}, testInfo) => {
  const files = new Map<string, FixtureFile>([
    ['/page.html', { body: Buffer.from('<!doctype html><title>other site</title>'), type: 'text/html' }],
    ['/a.jpg', { body: Buffer.from([0xff, 0xd8, 0xff, 0xd9]), type: 'image/jpeg' }],
  ]);
  const host = await startHost(files, { cors: false });
  const app = testInfo.project.use.baseURL!;
  const relayUrl = `${app}/__relay?url=${encodeURIComponent(`${host.origin}/a.jpg`)}`;
  try {
    await page.goto(`${host.origin}/page.html`);
    const answer = await page.evaluate(async (relayUrl) => {
      try {
        return (await fetch(relayUrl, { mode: 'no-cors' })).type;
      } catch (error) {
        return String(error);
      }
    }, relayUrl);
    expect(answer).toBe('opaque');
    expect(host.hits.get('/a.jpg')).toBeUndefined(); // refused before any connection

    await page.goto('/');
    const status = await page.evaluate(async (relayUrl) => (await fetch(relayUrl)).status, relayUrl);
    expect(status).toBe(200);
    expect(host.hits.get('/a.jpg')).toBe(1);
  } finally {
    await host.close();
  }
});

test('a 50 MB list is parsed off the main thread: no long task over 200 ms, and a reload stays light', async ({
  page,
}) => {
  await page.addInitScript(() => {
    const tasks: number[] = [];
    (window as unknown as { longTasks: number[] }).longTasks = tasks;
    new PerformanceObserver((list) => list.getEntries().forEach((e) => tasks.push(e.duration))).observe({
      type: 'longtask',
    });
  });
  const lines: string[] = [];
  for (let i = 0; lines.length * 64 < 50e6; i++)
    lines.push(`https://img.example/w_300,h_200/p${i}/painting_${i}.jpg`);
  const text = lines.join('\n') + '\n';
  const host = await startHost(new Map([['/urls_big.csv', { body: Buffer.from(text), type: 'text/csv' }]]), {
    cors: true,
  });
  try {
    await page.goto('/');
    await page.getByRole('tab', { name: 'Data' }).click();
    await expect(page.getByTestId('model-state')).toHaveText('ready', { timeout: 170_000 });
    const longest = () =>
      page.evaluate(() => {
        const tasks = (window as unknown as { longTasks: number[] }).longTasks;
        const max = Math.max(0, ...tasks);
        tasks.length = 0;
        return max;
      });
    await longest();
    const transfer = await page.evaluateHandle(async (url) => {
      const blob = await (await fetch(url)).blob();
      const data = new DataTransfer();
      data.items.add(new File([blob], 'urls_big.csv', { type: 'text/csv' }));
      return data;
    }, `${host.origin}/urls_big.csv`);
    await dropTransfer(page.getByTestId('data-drop'), transfer);
    const row = page.getByTestId('pending').locator('tr', { hasText: 'urls_big.csv' });
    await expect(row).toContainText(String(lines.length), { timeout: 120_000 });
    expect(await longest()).toBeLessThan(200);

    await page.reload();
    await page.getByRole('tab', { name: 'Data' }).click();
    await expect(row).toContainText(String(lines.length)); // still pending after a reload
    await page.getByRole('button', { name: 'Remove urls_big.csv' }).click();
    await expect(row).toHaveCount(0);
    expect(await longest()).toBeLessThan(200);
  } finally {
    await host.close();
  }
});
