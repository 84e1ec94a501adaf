// npm run bench:ingest -- <folder with class subfolders> [--parallel 8] [--max-size 500]
// npm run bench:ingest -- --synthetic 18x300   (the seed's full size, generated: no dataset needed)
// Serves the folder on a local port (with CORS), writes one urls_<class>.csv per subfolder, drops
// them on the real app in headless Chromium and times download + verify + store; reports the peak
// memory of the browser's processes, the storage used and the longest main-thread task.
import { rmSync } from 'node:fs';
import {
  chromiumMegabytes,
  ingestFolder,
  launchBrowser,
  openApp,
  parseArgs,
  printTable,
  saveJson,
  serveFolder,
  startApp,
} from './lib.mjs';
import { generateSynthetic } from './synthetic.mjs';

const options = parseArgs(process.argv.slice(2), {
  parallel: '8',
  'max-size': '500',
  'max-per-class': '300',
  // '': a private (off-the-record) context; a folder: a normal browser profile kept there.
  'user-data-dir': '',
});
if (!options._[0] && !options.synthetic) {
  console.error('usage: npm run bench:ingest -- <folder with one subfolder per class> | --synthetic 18x300');
  process.exit(2);
}

const browser = await launchBrowser(options['user-data-dir']);
const folder = options.synthetic ? await generateSynthetic(browser, options.synthetic) : options._[0];
const server = await serveFolder(folder);
console.log(`${server.classes.length} classes, ${server.total} images, served at ${server.origin}`);

const app = await startApp(5289);
let result;
try {
  const page = await browser.newPage();
  await page.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((list) =>
      list.getEntries().forEach((e) => window.longTasks.push(e.duration)),
    ).observe({
      type: 'longtask',
    });
  });
  const { page: appPage, device } = await openApp(browser, app.url, 'wasm', page);
  await appPage.evaluate(() => (window.longTasks.length = 0)); // count from the drop on
  // The model loaded in the ML worker is the baseline; the peak is what the download adds to it.
  const baseline = chromiumMegabytes();
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, chromiumMegabytes())), 1000);
  const { seconds, stored } = await ingestFolder(appPage, server, options);
  clearInterval(sampler);
  const { usage, longTasks } = await appPage.evaluate(async () => ({
    usage: (await navigator.storage.estimate()).usage,
    longTasks: window.longTasks,
  }));
  result = {
    images: server.total,
    stored,
    seconds,
    imagesPerSecond: stored / seconds,
    peakBrowserMB: Math.round(peak),
    baselineBrowserMB: Math.round(baseline),
    storageMB: Math.round(usage / 1e6),
    longestTaskMs: Math.round(Math.max(0, ...longTasks)),
    tasksOver200ms: longTasks.filter((d) => d > 200).length,
    parallel: Number(options.parallel),
    maxSize: Number(options['max-size']),
    backend: device.backend,
  };
} finally {
  await browser.close();
  await app.close();
  server.close();
  if (options.synthetic) rmSync(folder, { recursive: true, force: true });
}
console.log('\ndownload + verify + shrink + store, headless Chromium\n');
printTable(
  [{ ...result, seconds: result.seconds.toFixed(1), imagesPerSecond: result.imagesPerSecond.toFixed(1) }],
  [
    'images',
    'stored',
    'seconds',
    'imagesPerSecond',
    'baselineBrowserMB',
    'peakBrowserMB',
    'storageMB',
    'longestTaskMs',
    'tasksOver200ms',
  ],
);
saveJson('ingest', {
  date: new Date().toISOString(),
  folder: options.synthetic ? `synthetic ${options.synthetic}` : server.root,
  ...result,
});
