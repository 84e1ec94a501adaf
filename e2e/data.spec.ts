// The Data tab end to end: real fixture servers, real IndexedDB, real downloads in the worker.
import { test, expect, type Page } from '@playwright/test';
import { csvFile, dropFiles } from './support/drop';
import { startHost, type FixtureFile, type FixtureHost } from './support/fixture-server';
import { makeImages, storedImages } from './support/studio-data';

const MAX_SIDE = 64;

/** A PNG that declares 20000×20000 pixels: must be refused before anyone decodes it. */
function hugePngHeader(): Buffer {
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(13, 0);
  ihdr.write('IHDR', 4);
  ihdr.writeUInt32BE(20000, 8);
  ihdr.writeUInt32BE(20000, 12);
  ihdr.set([8, 2, 0, 0, 0], 16);
  const iend = Buffer.from([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82]);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    ihdr,
    Buffer.concat([Buffer.from([0, 0, 0, 52]), Buffer.from('IDAT'), Buffer.alloc(56)]), // 52 bytes + CRC
    iend,
  ]);
}

interface Fixture {
  cors: FixtureHost;
  noCors: FixtureHost;
  csv: { reds: string; blues: string };
}

async function startFixture(page: Page, delayMs = 0): Promise<Fixture> {
  const specs = [
    ...[1, 2, 3, 4].map((i) => ({
      name: `/reds/r${i}.jpg`,
      hue: 0 + i * 8,
      w: 120,
      h: 80,
      type: 'image/jpeg',
    })),
    { name: '/reds/r5.png', hue: 20, w: 90, h: 130, type: 'image/png' },
    ...[1, 2, 3, 4].map((i) => ({
      name: `/blues/b${i}.jpg`,
      hue: 220 + i * 8,
      w: 100,
      h: 100,
      type: 'image/jpeg',
    })),
    { name: '/nocors/r6.jpg', hue: 10, w: 50, h: 50, type: 'image/jpeg' },
  ];
  const images = await makeImages(page, specs);
  const files = new Map<string, FixtureFile>();
  for (const [name, body] of images)
    files.set(name, { body, type: name.endsWith('.png') ? 'image/png' : 'image/jpeg' });
  const r1 = images.get('/reds/r1.jpg')!;
  files.set('/reds/trunc.jpg', { body: r1.subarray(0, Math.floor(r1.length * 0.6)), type: 'image/jpeg' });
  files.set('/reds/page.html', {
    body: Buffer.from('<!doctype html><html><body>Not an image</body></html>'),
    type: 'text/html',
  });
  files.set('/reds/logo.svg', {
    body: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'),
    type: 'image/svg+xml',
  });
  files.set('/reds/huge.png', { body: hugePngHeader(), type: 'image/png' });
  files.set('/blues/b1-copy.jpg', { body: images.get('/blues/b1.jpg')!, type: 'image/jpeg' });
  const cors = await startHost(files, { cors: true, hangPaths: new Set(['/reds/hang.jpg']), delayMs });
  const noCors = await startHost(files, { cors: false });
  const o = cors.origin;
  const reds = [
    'url',
    ...[1, 2, 3, 4].map((i) => `${o}/reds/r${i}.jpg`),
    `${o}/reds/r5.png`,
    `${o}/reds/r1.jpg`, // duplicate line
    `${o}/reds/missing.jpg`,
    `${o}/reds/hang.jpg`,
    `${o}/reds/page.html`,
    `${o}/reds/trunc.jpg`,
    `${o}/reds/logo.svg`,
    `${o}/reds/huge.png`,
    `${noCors.origin}/nocors/r6.jpg`,
    '',
  ].join('\r\n');
  const blues = [
    ...[1, 2, 3, 4].map((i) => `${o}/blues/b${i}.jpg?size=large&x=${i}`),
    `${o}/blues/b1-copy.jpg`,
  ].join('\n');
  return { cors, noCors, csv: { reds, blues } };
}

async function dropCsvs(page: Page, csv: Fixture['csv']) {
  await dropFiles(page.getByTestId('data-drop'), [
    csvFile('urls_reds.csv', '\uFEFF' + csv.reds),
    csvFile('urls_blues.csv', csv.blues),
  ]);
  await expect(page.getByTestId('pending')).toContainText('urls_reds.csv');
  await expect(page.getByTestId('pending')).toContainText('urls_blues.csv');
}

async function configure(page: Page, parallel = 8) {
  await page.getByTestId('pending').getByText('Settings', { exact: true }).click();
  await page.getByLabel('Timeout (s)').fill('2');
  await page.getByLabel('Longest side (px)').fill(String(MAX_SIDE));
  await page.getByLabel('Parallel requests').fill(String(parallel));
}

async function waitForIdle(page: Page) {
  await expect(page.getByTestId('ingest-progress')).toHaveAttribute('data-running', 'false', {
    timeout: 60_000,
  });
}

function cell(page: Page, className: string, column: string) {
  return page.locator(`[data-testid=report] tr[data-class="${className}"] td[data-col="${column}"]`);
}

/**
 * r6 sits on a host that sends no CORS headers: the app server's image relay fetches it. The report
 * re-reads the store once the download settles, so each cell is awaited, not read once.
 */
async function expectFinalCounts(page: Page) {
  for (const [className, column, n] of [
    ['reds', 'stored', '6'],
    ['reds', 'via-relay', '1'],
    ['reds', 'failed', '6'],
    ['reds', 'http', '1'],
    ['reds', 'timeout', '1'],
    ['reds', 'not-image', '2'],
    ['reds', 'truncated', '1'],
    ['reds', 'too-large', '1'],
    ['blues', 'stored', '4'],
    ['blues', 'failed', '1'],
    ['blues', 'duplicate', '1'],
  ]) {
    await expect(cell(page, className, column), `${className} ${column}`).toHaveText(n);
  }
}

test('drop CSVs → exact stored/failed counts, sizes capped, kept across reload, re-run adds nothing', async ({
  page,
}) => {
  await page.goto('/');
  const fixture = await startFixture(page);
  try {
    await page.getByRole('tab', { name: 'Data' }).click();
    await dropCsvs(page, fixture.csv);
    const redsRow = page.getByTestId('pending').locator('tr', { hasText: 'urls_reds.csv' });
    await expect(redsRow).toContainText('12'); // URLs found
    await expect(redsRow).toContainText('1 duplicate');
    await expect(page.getByLabel('Class for urls_reds.csv')).toHaveValue('reds');
    await configure(page);
    await page.getByRole('button', { name: /^Download \d+ images$/ }).click();
    await waitForIdle(page);
    await expectFinalCounts(page);

    const stored = await storedImages(page);
    expect(stored).toHaveLength(10);
    for (const image of stored) {
      expect(Math.max(image.width, image.height)).toBeLessThanOrEqual(MAX_SIDE);
      expect(image.type).toBe('image/jpeg');
    }
    await page
      .locator('[data-testid=report] tr[data-class="reds"]')
      .getByRole('button', { name: 'Show failures' })
      .click();
    await expect(page.getByTestId('failure-list')).toContainText('HTTP 404');
    await expect(page.getByTestId('show-batch').getByTestId('thumb')).toHaveCount(10);

    await page.reload();
    await page.getByRole('tab', { name: 'Data' }).click();
    await expect(page.locator('[data-testid=report] tr[data-class="reds"] td[data-col="stored"]')).toHaveText(
      '6',
    );
    await expectFinalCounts(page);

    const hitsBefore = fixture.cors.hits.get('/reds/r1.jpg');
    await dropCsvs(page, fixture.csv);
    await configure(page);
    await page.getByRole('button', { name: /^Download \d+ images$/ }).click();
    await waitForIdle(page);
    await expectFinalCounts(page);
    expect(await storedImages(page)).toHaveLength(10);
    expect(fixture.cors.hits.get('/reds/r1.jpg')).toBe(hitsBefore); // stored URLs are not fetched again
  } finally {
    await fixture.cors.close();
    await fixture.noCors.close();
  }
});

test('a reload in the middle of a download resumes to the same final counts', async ({ page }) => {
  await page.goto('/');
  const fixture = await startFixture(page, 700);
  try {
    await page.getByRole('tab', { name: 'Data' }).click();
    await dropCsvs(page, fixture.csv);
    await configure(page, 1);
    await page.getByRole('button', { name: /^Download \d+ images$/ }).click();
    // Reload once a few images are in, long before the slow host has served them all.
    await expect(page.getByTestId('ingest-progress')).toContainText(/[2-4] stored/, { timeout: 30_000 });
    await page.reload();
    await page.getByRole('tab', { name: 'Data' }).click();
    await expect(page.getByTestId('data-notice')).toContainText('Resuming');
    await waitForIdle(page);
    await expectFinalCounts(page);
    expect(await storedImages(page)).toHaveLength(10);
  } finally {
    await fixture.cors.close();
    await fixture.noCors.close();
  }
});
