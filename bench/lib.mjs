// Shared by the benchmarks: serve the app, drive it in headless Chromium, print and save tables.
import { chromium } from '@playwright/test';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, resolve } from 'node:path';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, chromiumEnv, findChromium } from '../scripts/chromium.mjs';
import { descendantMegabytes } from './processes.mjs';

export { printTable } from './tables.mjs';

/**
 * Builds the app once and serves the production build: what users get, and immune to edits made
 * to the sources while a long benchmark runs.
 */
export async function startApp(port = 5288) {
  const outDir = mkdtempSync(join(tmpdir(), 'bench-dist-'));
  await build({ build: { outDir, emptyOutDir: true }, logLevel: 'error' });
  const server = await preview({
    build: { outDir },
    preview: { port, host: '127.0.0.1', strictPort: true },
    logLevel: 'error',
  });
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      await server.close();
      rmSync(outDir, { recursive: true, force: true });
    },
  };
}

/**
 * Headless Chromium. By default a private (off-the-record) context, as Playwright's tests run, whose
 * storage quota is a share of memory; with `userDataDir` a normal profile kept in that folder (made if
 * missing), whose quota is a share of the disk, as a person's browser has. Either way the result has
 * `newPage()` and `close()`.
 */
export async function launchBrowser(userDataDir = '') {
  // BENCH_CHROMIUM_LOG=1 (with DEBUG=pw:browser, which forwards the browser's stderr): Chromium's own
  // log, where storage and process failures that reach JavaScript without details are named.
  const log = process.env.BENCH_CHROMIUM_LOG ? ['--enable-logging=stderr', '--v=0'] : [];
  const launch = { executablePath: findChromium(), args: [...CHROMIUM_ARGS, ...log], env: chromiumEnv() };
  if (!userDataDir) return chromium.launch(launch);
  mkdirSync(userDataDir, { recursive: true });
  return chromium.launchPersistentContext(resolve(userDataDir), launch);
}

/** Opens the app on a backend and waits for the model; returns the device the worker reports. */
export async function openApp(browser, url, backend, page = null) {
  page ??= await browser.newPage();
  page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
  // The worker's console too: an unexpected failure's raw type, message and stack (worker.ts).
  page.on('console', (message) => {
    if (['error', 'warning'].includes(message.type())) console.error(`[console] ${message.text()}`);
  });
  await page.goto(`${url}/?backend=${backend}`);
  await page.waitForSelector('[data-model-state="ready"], [data-model-state="error"]', { timeout: 300_000 });
  const device = await page.evaluate(() => window.__studio.getSnapshot().device);
  return { page, device };
}

/**
 * One worker request through the app's bridge. The page holds each request's promise until it settles
 * (a window-level set): a bench run of 2026-12-03 lost seed 46's trainPrepare to "Resulting promise
 * was garbage collected" after 40 min of training (cause not found: the bridge keeps its resolver),
 * and a promise the page itself references cannot be collected under CDP's await.
 */
export function request(page, name, args) {
  return page.evaluate(
    ([name, args]) => {
      const held = (window.__benchRequests ??= new Set());
      const reply = window.__studio.request(name, args);
      held.add(reply);
      return reply.finally(() => held.delete(reply));
    },
    [name, args],
  );
}

export function saveJson(name, data) {
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/${name}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(file, JSON.stringify(data, null, 2));
  console.log(`\nwrote ${file}`);
  return file;
}

export function parseArgs(argv, defaults) {
  const options = { ...defaults, _: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg.startsWith('--')) {
      const key = arg.slice(2);
      const value = argv[i + 1] && !argv[i + 1].startsWith('--') ? argv[++i] : 'true';
      options[key] = value;
    } else options._.push(arg);
  }
  return options;
}

const IMAGE_TYPES = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

/**
 * Serves a folder of class subfolders on a local port with CORS, and builds one urls_<class>.csv
 * per subfolder pointing at it: the user's workflow, with a local "internet".
 */
export async function serveFolder(folder) {
  const root = resolve(folder);
  const classes = readdirSync(root)
    .filter((d) => statSync(join(root, d)).isDirectory() && d !== 'urls')
    .sort();
  // Served from memory: the "internet" should cost this machine's two cores as little as possible
  // (it is not part of what the benchmarks measure).
  const cache = new Map();
  const server = createServer((req, res) => {
    const path = join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (!path.startsWith(root) || !cache.has(path)) {
      res.statusCode = 404;
      return res.end();
    }
    res.setHeader('Content-Type', IMAGE_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
    res.end(cache.get(path));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const csvs = classes.map((c) => {
    const files = readdirSync(join(root, c)).filter((f) => IMAGE_TYPES[extname(f).toLowerCase()]);
    for (const f of files) cache.set(join(root, c, f), readFileSync(join(root, c, f)));
    return {
      name: `urls_${c}.csv`,
      mimeType: 'text/csv',
      buffer: Buffer.from(files.map((f) => `${origin}/${c}/${encodeURIComponent(f)}`).join('\n')),
      count: files.length,
    };
  });
  return {
    root,
    origin,
    classes,
    csvs,
    total: csvs.reduce((n, c) => n + c.count, 0),
    close: () => server.close(),
  };
}

/** Drops the served folder's CSVs on the Data tab and downloads them; resolves when stored. */
export async function ingestFolder(page, served, options) {
  await page.getByRole('tab', { name: 'Data' }).click();
  await page
    .getByTestId('data-files')
    .setInputFiles(served.csvs.map((c) => ({ name: c.name, mimeType: c.mimeType, buffer: c.buffer })));
  // Lists are parsed in their own worker: wait for every row before downloading.
  await page.waitForFunction(
    (n) => document.querySelectorAll('[data-testid=pending] tbody tr[data-job]').length === n,
    served.csvs.length,
  );
  await page.getByTestId('pending').getByText('Settings', { exact: true }).click();
  await page.getByLabel('Parallel requests').fill(options.parallel);
  await page.getByLabel('Longest side (px)').fill(options['max-size']);
  await page.getByLabel('Max images per class').fill(options['max-per-class']);
  const t0 = Date.now();
  await page.getByRole('button', { name: /^Download \d+ images$/ }).click();
  await page.waitForSelector('[data-testid=ingest-progress][data-running=false]', { timeout: 1_800_000 });
  const seconds = (Date.now() - t0) / 1000;
  const stored = await page.evaluate(async () => {
    const db = await new Promise(
      (ok) => (indexedDB.open('deep-art-studio').onsuccess = (e) => ok(e.target.result)),
    );
    return new Promise(
      (ok) => (db.transaction('images').objectStore('images').count().onsuccess = (e) => ok(e.target.result)),
    );
  });
  return { seconds, stored };
}

/**
 * The app built, served and opened on `backend` in headless Chromium, with the folder's images
 * ingested through the Data tab (its URL lists served locally); close() ends all of it.
 */
export async function openIngested(folder, options, backend) {
  const served = await serveFolder(folder);
  console.log(`${served.classes.length} classes, ${served.total} images, served at ${served.origin}`);
  const app = await startApp(Number(options.port));
  const browser = await launchBrowser(options['user-data-dir'] ?? '');
  const close = async () => {
    await browser.close();
    await app.close();
    served.close();
  };
  try {
    const { page, device } = await openApp(browser, app.url, backend);
    if (device.backend !== backend)
      throw new Error(`backend ${backend} is not available here (got ${device.backend})`);
    console.log(`backend ${device.backend}: ${device.adapter}`);
    const ingest = await ingestFolder(page, served, options);
    console.log(`ingest: ${ingest.stored} images in ${ingest.seconds.toFixed(1)} s`);
    return { page, device, ingest, root: served.root, close };
  } catch (error) {
    await close();
    throw error;
  }
}

export const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Sample standard deviation (n − 1). */
export const sd = (xs) =>
  xs.length < 2 ? 0 : Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / (xs.length - 1));
/** "mean ± sd" to 4 decimals. */
export const pm = (xs) => `${mean(xs).toFixed(4)} ± ${sd(xs).toFixed(4)}`;

/** Resident memory of the Chromium this benchmark started (its processes only), in MB. */
export function chromiumMegabytes() {
  return descendantMegabytes(['chromium']);
}
