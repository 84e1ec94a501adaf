// Shared by the benchmarks: serve the app, drive it in headless Chromium, print and save tables.
import { chromium } from '@playwright/test';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build, preview } from 'vite';
import { CHROMIUM_ARGS, chromiumEnv, findChromium } from '../scripts/chromium.mjs';

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

export async function launchBrowser() {
  return chromium.launch({ executablePath: findChromium(), args: CHROMIUM_ARGS, env: chromiumEnv() });
}

/** Opens the app on a backend and waits for the model; returns the device the worker reports. */
export async function openApp(browser, url, backend) {
  const page = await browser.newPage();
  page.on('pageerror', (error) => console.error(`[page] ${error.message}`));
  await page.goto(`${url}/?backend=${backend}`);
  await page.waitForSelector('[data-model-state="ready"], [data-model-state="error"]', { timeout: 300_000 });
  const device = await page.evaluate(() => window.__studio.getSnapshot().device);
  return { page, device };
}

export function request(page, name, args) {
  return page.evaluate(([name, args]) => window.__studio.request(name, args), [name, args]);
}

export function printTable(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells) => cells.map((cell, i) => String(cell ?? '').padEnd(widths[i])).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((c) => row[c])));
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
