// npm run bench:elsewhere -- <folder with class subfolders> [--size 128] [--batch 16] [--seeds 42,43,44]
//   [--epochs1 4] [--epochs2 2] [--processes 1] [--python /usr/bin/python3]
// The "Train elsewhere" path measured: the folder is ingested by the real app, and per seed the Train
// tab's PyTorch bundle is written (that seed's split, ImageNet weights + a new head, the lesson-1
// recipe) and run by its own train.py (torchrun when --processes > 1). Prints each run's epoch
// errors and time and mean ± sd; compare with `bench:train -- <folder> --frozen faithful` (the same
// recipe in the app: train.py's frozen stage is fast.ai's, i.e. the app's faithful mode).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { openIngested, parseArgs, pm, printTable, request, saveJson } from './lib.mjs';

const options = parseArgs(process.argv.slice(2), {
  size: '128',
  batch: '16',
  epochs1: '4',
  epochs2: '2',
  lr1: '3e-3',
  lr2: 'slice(1e-5,1e-3)',
  seeds: '42',
  processes: '1',
  python: existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3',
  parallel: '8',
  'max-size': '500',
  'max-per-class': '300',
  port: '5292',
  backend: 'wasm',
});
const folder = options._[0];
if (!folder) {
  console.error(
    'usage: npm run bench:elsewhere -- <folder with one subfolder per class> [--seeds 42,43,44] …',
  );
  process.exit(2);
}
const seeds = options.seeds.split(',').map(Number);
const processes = Number(options.processes);

/** The bundle Blob from the page, in 8 MB base64 slices (one evaluate cannot carry 100 MB). */
async function bundleBytes(page, stages, config) {
  const size = await page.evaluate(
    async ([stages, config]) => {
      const { file } = await window.__studio.request('trainBundle', { config, stages });
      window.__bundle = file;
      return file.size;
    },
    [stages, config],
  );
  const parts = [];
  for (let offset = 0; offset < size; offset += 8 << 20) {
    const b64 = await page.evaluate(async (offset) => {
      const bytes = new Uint8Array(await window.__bundle.slice(offset, offset + (8 << 20)).arrayBuffer());
      let binary = '';
      for (let i = 0; i < bytes.length; i += 0x8000)
        binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
      return btoa(binary);
    }, offset);
    parts.push(Buffer.from(b64, 'base64'));
  }
  await page.evaluate(() => delete window.__bundle);
  return Buffer.concat(parts);
}

function run(command, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d.toString();
      process.stdout.write(d);
    });
    child.on('close', (code) => resolve({ code, output }));
  });
}

const session = await openIngested(folder, options, options.backend);
const { page } = session;
const runs = [];
try {
  const stages = {
    frozenEpochs: Number(options.epochs1),
    frozenLr: options.lr1,
    unfrozenEpochs: Number(options.epochs2),
    unfrozenLr: options.lr2,
  };
  for (const seed of seeds) {
    const config = {
      size: Number(options.size),
      batchSize: Number(options.batch),
      seed,
      frozenMode: 'faithful',
      variants: 4,
    };
    await request(page, 'trainPrepare', { config });
    const dir = mkdtempSync(join(tmpdir(), 'bench-elsewhere-'));
    try {
      const bundle = join(dir, 'bundle.zip');
      writeFileSync(bundle, await bundleBytes(page, stages, config));
      writeFileSync(
        join(dir, 'train.py'),
        unzipSync(readFileSync(bundle), { filter: (f) => f.name === 'train.py' })['train.py'],
      );
      const recipe = JSON.parse(
        strFromU8(
          unzipSync(readFileSync(bundle), { filter: (f) => f.name === 'recipe.json' })['recipe.json'],
        ),
      );
      console.log(
        `seed ${seed}: bundle ${(readFileSync(bundle).length / 1e6).toFixed(0)} MB, ${recipe.classes.length} classes`,
      );
      const launcher =
        processes > 1
          ? [
              '-m',
              'torch.distributed.run',
              `--nproc_per_node=${processes}`,
              '--redirects',
              '1',
              '--tee',
              '1',
              'train.py',
            ]
          : ['train.py'];
      const t0 = Date.now();
      const result = await run(options.python, [...launcher, 'bundle.zip', '--device', 'cpu'], dir);
      if (result.code !== 0) throw new Error(`train.py exited with ${result.code}`);
      const printed = JSON.parse(readFileSync(join(dir, 'predictions.json'), 'utf8'));
      const frozen = printed.history.filter((r) => r.stage === 'frozen');
      const unfrozen = printed.history.filter((r) => r.stage === 'unfrozen');
      runs.push({
        seed,
        frozenError: frozen.at(-1)?.errorRate ?? null,
        unfrozenErrors: unfrozen.map((r) => r.errorRate),
        errorRate: printed.errorRate,
        fitSeconds: printed.history.reduce((n, r) => n + r.seconds, 0),
        wallSeconds: (Date.now() - t0) / 1000,
        history: printed.history,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await session.close();
}

console.log(
  `\ntrain.py (PyTorch, ${processes} process(es), CPU), size ${options.size}, batch ${options.batch}\n`,
);
printTable(
  runs.map((r) => ({
    seed: r.seed,
    frozen: r.frozenError?.toFixed(4) ?? '',
    unfrozen: r.unfrozenErrors.map((e) => e.toFixed(4)).join(' → '),
    final: r.errorRate.toFixed(4),
    'fit s': r.fitSeconds.toFixed(0),
    'wall s': r.wallSeconds.toFixed(0),
  })),
  ['seed', 'frozen', 'unfrozen', 'final', 'fit s', 'wall s'],
);
console.log(
  `\nmean ± sd over ${runs.length} seed(s): final error_rate ${pm(runs.map((r) => r.errorRate))}; ` +
    `fit time ${pm(runs.map((r) => r.fitSeconds)).replace(/\.\d+/g, '')} s`,
);
saveJson('elsewhere', { date: new Date().toISOString(), folder: session.root, options, runs });
