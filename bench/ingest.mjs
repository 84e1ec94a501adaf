// npm run bench:ingest -- <folder with class subfolders> [--parallel 8] [--max-size 500]
// Serves the folder on a local port (with CORS), writes one urls_<class>.csv per subfolder, drops
// them on the real app in headless Chromium and times download + verify + store.
import { createReadStream, readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, resolve } from 'node:path';
import { launchBrowser, openApp, parseArgs, printTable, saveJson, startApp } from './lib.mjs';

const options = parseArgs(process.argv.slice(2), {
  parallel: '8',
  'max-size': '500',
  'max-per-class': '300',
});
const folder = options._[0];
if (!folder) {
  console.error('usage: npm run bench:ingest -- <folder with one subfolder per class>');
  process.exit(2);
}
const root = resolve(folder);
const classes = readdirSync(root)
  .filter((d) => statSync(join(root, d)).isDirectory() && d !== 'urls')
  .sort();
const TYPES = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.gif': 'image/gif',
};

const server = createServer((req, res) => {
  const path = join(root, decodeURIComponent(new URL(req.url, 'http://x').pathname));
  res.setHeader('Access-Control-Allow-Origin', '*');
  if (!path.startsWith(root) || !statSync(path, { throwIfNoEntry: false })?.isFile()) {
    res.statusCode = 404;
    return res.end();
  }
  res.setHeader('Content-Type', TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream');
  createReadStream(path).pipe(res);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;
const csvs = classes.map((c) => {
  const files = readdirSync(join(root, c)).filter((f) => TYPES[extname(f).toLowerCase()]);
  return {
    name: `urls_${c}.csv`,
    mimeType: 'text/csv',
    buffer: Buffer.from(files.map((f) => `${origin}/${c}/${encodeURIComponent(f)}`).join('\n')),
    count: files.length,
  };
});
const total = csvs.reduce((n, c) => n + c.count, 0);
console.log(`${classes.length} classes, ${total} images, served at ${origin}`);

const app = await startApp(5289);
const browser = await launchBrowser();
let result;
try {
  const { page, device } = await openApp(browser, app.url, 'wasm');
  await page.getByRole('tab', { name: 'Data' }).click();
  await page
    .getByTestId('data-files')
    .setInputFiles(csvs.map((c) => ({ name: c.name, mimeType: c.mimeType, buffer: c.buffer })));
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
  result = {
    images: total,
    stored,
    seconds,
    imagesPerSecond: stored / seconds,
    parallel: Number(options.parallel),
    maxSize: Number(options['max-size']),
    backend: device.backend,
  };
} finally {
  await browser.close();
  await app.close();
  server.close();
}
console.log('\ndownload + verify + shrink + store, headless Chromium\n');
printTable(
  [{ ...result, seconds: result.seconds.toFixed(1), imagesPerSecond: result.imagesPerSecond.toFixed(1) }],
  ['images', 'stored', 'seconds', 'imagesPerSecond', 'parallel', 'maxSize'],
);
saveJson('ingest', { date: new Date().toISOString(), folder: root, ...result });
