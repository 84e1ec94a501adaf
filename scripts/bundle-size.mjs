// npm run size: builds the app and prints what a first visit downloads, gzipped, per part (the UI,
// the ML worker, the list worker, wasm), against the budgets below; exits 1 when a part is over.
// Run by `npm test`, so a change that bloats the UI or the worker fails CI. The ResNet50 weights
// (~98 MB, cached once by the service worker) are not part of the bundle.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';

/** Gzipped bytes allowed per part. */
const BUDGETS = {
  'UI (index-*.js + css)': 185_000, // 159 KB on 2026-12-01
  'ML worker (worker-*.js)': 480_000, // 422 KB
  'list worker + helpers': 15_000, // 5 KB
  'tfjs wasm binaries': 450_000, // 398 KB
};

const partOf = (file) => {
  if (/^index-.*\.(js|css)$/.test(file)) return 'UI (index-*.js + css)';
  if (/^worker-.*\.js$/.test(file)) return 'ML worker (worker-*.js)';
  if (/\.js$/.test(file)) return 'list worker + helpers';
  if (/\.wasm$/.test(file)) return 'tfjs wasm binaries';
  return null;
};

const outDir = mkdtempSync(join(tmpdir(), 'size-'));
try {
  await build({ build: { outDir, emptyOutDir: true }, logLevel: 'error' });
  const totals = Object.fromEntries(Object.keys(BUDGETS).map((k) => [k, { raw: 0, gzip: 0 }]));
  for (const file of readdirSync(join(outDir, 'assets'))) {
    const part = partOf(file);
    if (!part) continue;
    const bytes = readFileSync(join(outDir, 'assets', file));
    totals[part].raw += bytes.length;
    totals[part].gzip += gzipSync(bytes, { level: 9 }).length;
  }
  const rows = Object.entries(totals).map(([part, { raw, gzip }]) => ({
    part,
    'raw KB': (raw / 1000).toFixed(0),
    'gzip KB': (gzip / 1000).toFixed(0),
    'budget KB': (BUDGETS[part] / 1000).toFixed(0),
    ok: gzip <= BUDGETS[part] ? 'yes' : 'OVER',
  }));
  console.table(rows);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync(
    'bench/results/bundle-size.json',
    JSON.stringify({ date: new Date().toISOString(), rows }, null, 2),
  );
  const over = rows.filter((r) => r.ok !== 'yes');
  if (over.length) {
    console.error(`Over budget: ${over.map((r) => r.part).join(', ')}`);
    process.exitCode = 1;
  }
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
