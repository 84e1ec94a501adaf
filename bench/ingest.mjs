// npm run bench:ingest -- <folder with class subfolders> [--parallel 8] [--max-size 500]
// Serves the folder on a local port (with CORS), writes one urls_<class>.csv per subfolder, drops
// them on the real app in headless Chromium and times download + verify + store.
import {
  ingestFolder,
  launchBrowser,
  openApp,
  parseArgs,
  printTable,
  saveJson,
  serveFolder,
  startApp,
} from './lib.mjs';

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
const server = await serveFolder(folder);
console.log(`${server.classes.length} classes, ${server.total} images, served at ${server.origin}`);

const app = await startApp(5289);
const browser = await launchBrowser();
let result;
try {
  const { page, device } = await openApp(browser, app.url, 'wasm');
  const { seconds, stored } = await ingestFolder(page, server, options);
  result = {
    images: server.total,
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
saveJson('ingest', { date: new Date().toISOString(), folder: server.root, ...result });
