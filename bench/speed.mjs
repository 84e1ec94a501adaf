// npm run bench:speed [-- --backends wasm,webgl --sizes 128,224 --modes inference,train --batch 16 --steps 3
//                        --images-per-pass N --profile true --kernels [--kernel-repeats 3]
//                        --compare-heap-kernels true]
// Inference and full fine-tuning images/s per available backend, and PyTorch's on the same CPU
// and the same generated inputs, measured in the same run so the ratios are comparable. PyTorch runs
// with the app's thread count (its own default can be 1 here); the CPU's model and SIMD level are
// printed, and every result as GFLOP/s (convolutions + dense, counted from the graph) beside the
// measured wasm SIMD peak (a register-resident multiply-add loop on all our engine's threads),
// measured again just before and after each wasm row: its % is of the mean of those two.
// --kernels (webgpu): ResNet50's filter gradients per shape — tfjs-webgpu's kernel, ours, a matMul.
// --compare-heap-kernels (wasm): the training step first with BatchNorm and AdamW as tfjs ops, then
// with our kernels on tfjs's heap, in the same run.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { kernelTable } from './kernels.mjs';
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
  kernels: 'false',
  'kernel-repeats': '3',
  'compare-heap-kernels': 'false',
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

/** CPU model and its widest SIMD (what bounds PyTorch; wasm SIMD is 128 bits everywhere). */
function cpuInfo() {
  let text = '';
  try {
    text = readFileSync('/proc/cpuinfo', 'utf8');
  } catch {
    /* not Linux */
  }
  const field = (name) => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1] ?? '';
  const flags = new Set(`${field('flags')} ${field('Features')}`.split(/\s+/));
  const simd = flags.has('avx512f')
    ? 'AVX-512 (512-bit)'
    : flags.has('avx2')
      ? 'AVX2 (256-bit)'
      : flags.has('asimd')
        ? 'NEON (128-bit)'
        : flags.has('sse4_2')
          ? 'SSE4.2 (128-bit)'
          : 'unknown';
  return { model: field('model name') || cpus()[0]?.model || 'unknown', simd, fma: flags.has('fma') };
}

/**
 * The kernel times of a profiled step (`--profile true`), largest first: convolutions by shape
 * (x or dy, filter, output or dy) with their GFLOP/s.
 */
function printProfile(result) {
  for (const k of result.topKernels ?? []) {
    const rate = k.flops && k.ms > 0 ? `  ${(k.flops / k.ms / 1e6).toFixed(1).padStart(6)} GFLOP/s` : '';
    console.log(
      `    ${k.name.padEnd(k.flops ? 62 : 24)} ${k.ms.toFixed(0).padStart(7)} ms  ${k.calls} calls${rate}`,
    );
  }
}

/**
 * A measurement with the wasm SIMD peak measured just before and just after it (wasm only): on a
 * shared machine rates drift within minutes, so each row's % is of the peak of its own minutes (their
 * mean), not the run's first — and a slow row beside a steady peak says the slowdown was not the
 * cores' clock but what a register-resident loop does not touch (memory, caches).
 */
async function bracketed(page, backend, measure) {
  if (backend !== 'wasm') return { result: await measure(), peakGflops: null };
  const before = await request(page, 'simdPeak', {});
  const result = await measure();
  const after = await request(page, 'simdPeak', {});
  return { result, peakGflops: before && after ? (before.gflops + after.gflops) / 2 : null };
}

async function measureBackend(browser, url, backend, rows, context) {
  const { page, device } = await openApp(browser, url, backend);
  if (device.backend !== backend) {
    console.log(`- ${backend}: not available here (fell back to ${device.backend})`);
    await page.close();
    return;
  }
  console.log(`- ${backend}: ${device.adapter}${backend === 'wasm' ? `, ${device.threads} threads` : ''}`);
  if (backend === 'wasm') {
    context.wasmThreads = device.threads;
    context.peak = await request(page, 'simdPeak', {});
    if (context.peak)
      console.log(
        `  wasm SIMD peak: ${context.peak.gflops.toFixed(1)} GFLOP/s on ${context.peak.threads} threads ` +
          `(${context.peak.fused ? 'relaxed-SIMD FMA' : 'mul + add'}, 128-bit); ` +
          `BatchNorm + AdamW kernels on tfjs's heap: ${context.peak.heapThreads || 'not set up'}` +
          `${context.peak.heapThreads ? ' threads' : ''}`,
      );
  }
  if (backend === 'webgpu' && options.kernels === 'true')
    context.kernels = await kernelTable(page, {
      sizes,
      batch,
      repeats: Number(options['kernel-repeats']),
    });
  for (const size of sizes) {
    const { result: inference, peakGflops } = await bracketed(page, backend, () =>
      request(page, 'benchmark', {
        mode: 'inference',
        size,
        batch,
        steps,
        warmup: 1,
        budgetSeconds: 60,
        profile: options.profile === 'true',
      }),
    );
    printProfile(inference);
    // Measured in any case (the training step's time estimate below), listed where asked for.
    if (modes.includes('inference'))
      rows.push({
        engine: `tfjs-${backend}`,
        mode: 'inference',
        size,
        batch,
        imgPerSec: inference.imagesPerSecond,
        flopsPerImage: inference.flopsPerImage,
        steps: inference.stepSeconds.length,
        peakGflops,
      });
    context.flops[`inference-${size}`] = inference.flopsPerImage;
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
    const variants =
      backend === 'wasm' && options['compare-heap-kernels'] === 'true'
        ? [
            { heapKernels: false, engine: 'tfjs-wasm, BN+AdamW as ops' },
            { heapKernels: true, engine: 'tfjs-wasm' },
          ]
        : [{ heapKernels: true, engine: `tfjs-${backend}` }];
    for (const variant of variants)
      try {
        const { result: train, peakGflops } = await bracketed(page, backend, () =>
          request(page, 'benchmark', {
            mode: 'train',
            size,
            batch,
            microBatch: Number(options['images-per-pass']) || undefined,
            steps,
            warmup: 1,
            budgetSeconds: 120,
            profile: options.profile === 'true',
            heapKernels: variant.heapKernels,
          }),
        );
        printProfile(train);
        rows.push({
          engine: variant.engine,
          mode: 'train',
          size,
          batch,
          microBatch: train.microBatch,
          imgPerSec: train.imagesPerSecond,
          flopsPerImage: train.flopsPerImage,
          steps: train.stepSeconds.length,
          tensorsLeaked: train.tensorsLeaked,
          peakGflops,
        });
        console.log(
          `  train ${size}px${variant.heapKernels ? '' : ' (BN+AdamW as ops)'}: ${train.imagesPerSecond.toFixed(2)} img/s (${train.microBatch} images per pass)`,
        );
        context.flops[`train-${size}`] = train.flopsPerImage;
      } catch (error) {
        rows.push({
          engine: variant.engine,
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
const cpu = cpuInfo();
console.log(`CPU: ${cpu.model}, ${cpus().length} logical cores, SIMD ${cpu.simd}${cpu.fma ? ' + FMA' : ''}`);
const context = { wasmThreads: null, peak: null, flops: {}, kernels: null };
const app = await startApp();
const browser = await launchBrowser();
try {
  for (const backend of options.backends.split(','))
    await measureBackend(browser, app.url, backend, rows, context);
} finally {
  await browser.close();
  await app.close();
}

const python = torchPython();
let torchThreads = null;
if (python) {
  // The app's thread count (wasm's), else every core: a thread-matched comparison.
  torchThreads = context.wasmThreads ?? cpus().length;
  console.log(`PyTorch (${python}), same generated inputs, ${torchThreads} threads…`);
  const out = JSON.parse(
    execFileSync(
      python,
      ['bench/torch_speed.py', sizes.join(','), String(batch), String(steps), String(torchThreads)],
      { encoding: 'utf8' },
    ),
  );
  console.log(`  torch ${out.torch}: ${out.threads} threads (its default here: ${out.defaultThreads})`);
  for (const r of out.results.filter((result) => modes.includes(result.mode)))
    rows.push({
      engine: `pytorch-${out.torch}`,
      mode: r.mode,
      size: r.size,
      batch: r.batch,
      threads: out.threads,
      imgPerSec: r.imagesPerSecond,
      // The same FLOP count as the app's Keras ResNet50 (torchvision's v1.5 has ~5 % more).
      flopsPerImage: context.flops[`${r.mode}-${r.size}`],
      steps,
    });
} else {
  console.log(
    'PyTorch not found (Debian: apt-get install python3-torch python3-torchvision): ratios omitted.',
  );
}

for (const row of rows) {
  const torch = rows.find(
    (r) => r.engine.startsWith('pytorch') && r.mode === row.mode && r.size === row.size,
  );
  row.vsPyTorch = torch && row.imgPerSec ? `${(row.imgPerSec / torch.imgPerSec).toFixed(2)}×` : '';
  const gflops = row.imgPerSec && row.flopsPerImage ? (row.imgPerSec * row.flopsPerImage) / 1e9 : null;
  row.gflops = gflops === null ? '' : gflops.toFixed(1);
  // Against the peak measured around this row (its own minutes), else the run's first.
  const peak = row.peakGflops ?? context.peak?.gflops ?? null;
  row.ofPeak =
    gflops !== null && peak && row.engine.startsWith('tfjs-wasm')
      ? `${((100 * gflops) / peak).toFixed(0)} %`
      : '';
  row.peakAround = row.peakGflops ? row.peakGflops.toFixed(1) : '';
  row.threads ??= row.engine.startsWith('tfjs-wasm') ? context.wasmThreads : '';
  row.imgPerSec = row.imgPerSec == null ? '—' : Number(row.imgPerSec.toFixed(2));
}
console.log(`\nResNet50, batch ${batch}, median of up to ${steps} steps after 1 warm-up step`);
console.log(
  `CPU ${cpu.model} (${cpu.simd}); wasm SIMD peak ${context.peak ? `${context.peak.gflops.toFixed(1)} GFLOP/s on ${context.peak.threads} threads` : 'not measured'}; ` +
    `GFLOP/s counts convolutions + dense (2 per multiply-add; a training step ≈ 3× forward)\n`,
);
printTable(rows, [
  'engine',
  'threads',
  'mode',
  'size',
  'batch',
  'microBatch',
  'imgPerSec',
  'gflops',
  'ofPeak',
  'peakAround',
  'vsPyTorch',
  'note',
]);
saveJson('speed', {
  date: new Date().toISOString(),
  cores: cpus().length,
  cpu,
  simdPeak: context.peak,
  torchThreads,
  rows,
  webgpuFilterGradients: context.kernels,
  existsTorch: Boolean(python) && existsSync('bench/torch_speed.py'),
});
