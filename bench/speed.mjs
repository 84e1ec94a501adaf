// npm run bench:speed [-- --backends wasm,webgl --sizes 128,224 --modes inference,train --batch 16 --steps 3
//                        --images-per-pass N --profile true]
// Inference and full fine-tuning images/s per available backend, and PyTorch's on the same CPU
// and the same generated inputs, measured in the same run so the ratios are comparable.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { launchBrowser, openApp, parseArgs, printTable, request, saveJson, startApp } from './lib.mjs';

const options = parseArgs(process.argv.slice(2), {
  backends: 'webgpu,webgl,wasm,cpu',
  sizes: '128,224',
  modes: 'inference,train',
  batch: '16',
  steps: '3',
  // A training step estimated to take longer than this is skipped (cpu, software WebGPU).
  'max-train-step': '240',
  // 0: the app's own default for the backend and size (what the Train tab's "auto" uses).
  'images-per-pass': '0',
});
const sizes = options.sizes.split(',').map(Number);
const modes = options.modes.split(',');
const batch = Number(options.batch);
const steps = Number(options.steps);

function torchPython() {
  for (const python of ['python3', '/usr/bin/python3']) {
    try {
      execFileSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' });
      return python;
    } catch {
      /* try the next one */
    }
  }
  return null;
}

async function measureBackend(browser, url, backend, rows) {
  const { page, device } = await openApp(browser, url, backend);
  if (device.backend !== backend) {
    console.log(`- ${backend}: not available here (fell back to ${device.backend})`);
    await page.close();
    return;
  }
  console.log(`- ${backend}: ${device.adapter}${backend === 'wasm' ? `, ${device.threads} threads` : ''}`);
  for (const size of sizes) {
    const inference = await request(page, 'benchmark', {
      mode: 'inference',
      size,
      batch,
      steps,
      warmup: 1,
      budgetSeconds: 60,
    });
    rows.push({
      engine: `tfjs-${backend}`,
      mode: 'inference',
      size,
      batch,
      imgPerSec: inference.imagesPerSecond,
      steps: inference.stepSeconds.length,
    });
    console.log(`  inference ${size}px: ${inference.imagesPerSecond.toFixed(2)} img/s`);
    if (!modes.includes('train')) continue;
    // Training costs about 3× inference; skip what would take hours.
    const estimate = (3 * batch) / inference.imagesPerSecond;
    if (estimate > Number(options['max-train-step'])) {
      rows.push({
        engine: `tfjs-${backend}`,
        mode: 'train',
        size,
        batch,
        imgPerSec: null,
        note: `skipped (est. ${Math.round(estimate)} s/step)`,
      });
      console.log(`  train ${size}px: skipped, est. ${Math.round(estimate)} s/step`);
      continue;
    }
    try {
      const train = await request(page, 'benchmark', {
        mode: 'train',
        size,
        batch,
        microBatch: Number(options['images-per-pass']) || undefined,
        steps,
        warmup: 1,
        budgetSeconds: 120,
        profile: options.profile === 'true',
      });
      for (const k of train.topKernels ?? [])
        console.log(`    ${k.name.padEnd(24)} ${k.ms.toFixed(0).padStart(7)} ms  ${k.calls} calls`);
      rows.push({
        engine: `tfjs-${backend}`,
        mode: 'train',
        size,
        batch,
        microBatch: train.microBatch,
        imgPerSec: train.imagesPerSecond,
        steps: train.stepSeconds.length,
        tensorsLeaked: train.tensorsLeaked,
      });
      console.log(
        `  train ${size}px: ${train.imagesPerSecond.toFixed(2)} img/s (${train.microBatch} images per pass)`,
      );
    } catch (error) {
      rows.push({
        engine: `tfjs-${backend}`,
        mode: 'train',
        size,
        batch,
        imgPerSec: null,
        note: error.message.slice(0, 80),
      });
      console.log(`  train ${size}px: failed: ${error.message}`);
    }
  }
  await page.close();
}

const rows = [];
const python = torchPython();
if (python) {
  console.log(`PyTorch (${python}), same generated inputs…`);
  const out = JSON.parse(
    execFileSync(python, ['bench/torch_speed.py', sizes.join(','), String(batch), String(steps)], {
      encoding: 'utf8',
    }),
  );
  for (const r of out.results)
    rows.push({
      engine: `pytorch-${out.torch}`,
      mode: r.mode,
      size: r.size,
      batch: r.batch,
      imgPerSec: r.imagesPerSecond,
      steps,
    });
} else {
  console.log(
    'PyTorch not found (Debian: apt-get install python3-torch python3-torchvision): ratios omitted.',
  );
}

const app = await startApp();
const browser = await launchBrowser();
try {
  for (const backend of options.backends.split(',')) await measureBackend(browser, app.url, backend, rows);
} finally {
  await browser.close();
  await app.close();
}

for (const row of rows) {
  const torch = rows.find(
    (r) => r.engine.startsWith('pytorch') && r.mode === row.mode && r.size === row.size,
  );
  row.vsPyTorch = torch && row.imgPerSec ? `${(row.imgPerSec / torch.imgPerSec).toFixed(2)}×` : '';
  row.imgPerSec = row.imgPerSec == null ? '—' : Number(row.imgPerSec.toFixed(2));
}
console.log(`\nResNet50, batch ${batch}, median of up to ${steps} steps after 1 warm-up step\n`);
printTable(rows, ['engine', 'mode', 'size', 'batch', 'microBatch', 'imgPerSec', 'vsPyTorch', 'note']);
saveJson('speed', {
  date: new Date().toISOString(),
  cores: (await import('node:os')).cpus().length,
  rows,
  existsTorch: Boolean(python) && existsSync('bench/torch_speed.py'),
});
