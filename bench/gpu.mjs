// npm run bench:gpu [-- --sizes 128,224 --batch 16 --steps 5 --repeats 5 --check-sizes 128]
//                    [--pack DIR]   (bundle into DIR what a GPU machine without this checkout or
//                                    Node needs: bench/gpu-device.sh runs it there)
// ResNet50 on WebGPU in Node, through Dawn (npm `webgpu`, the implementation inside Chromium): per
// distinct filter-gradient shape, tfjs-webgpu's kernel, ours and a tfjs matMul of the same size
// (GFLOP/s, and ours against the cpu backend); then the inference and training steps' images/s with
// our filter gradient and with tfjs's. For a GPU machine where no Chromium fits (bench:speed
// --backends webgpu --kernels measures the same in Chromium). The app's code, bundled into one file
// (vite), runs with ResNet50's real topology and weights of its shapes.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const packAt = argv.indexOf('--pack');
const outDir = packAt >= 0 ? resolve(argv[packAt + 1]) : join(root, 'bench', 'results', 'gpu');
const passOn = packAt >= 0 ? [...argv.slice(0, packAt), ...argv.slice(packAt + 2)] : argv;

const modelJson = join(root, 'public', 'models', 'resnet50', 'model.json');
if (!existsSync(modelJson))
  throw new Error(`${modelJson} is missing: run npm install (it fetches the weights)`);

mkdirSync(outDir, { recursive: true });
await build({
  configFile: false,
  root,
  logLevel: 'warn',
  publicDir: false,
  ssr: { noExternal: true, external: ['webgpu'] },
  build: {
    ssr: join(root, 'bench', 'gpu', 'entry.ts'),
    outDir,
    emptyOutDir: false,
    target: 'node20',
    minify: false,
    rolldownOptions: { external: ['webgpu'], output: { entryFileNames: 'gpu-bench.mjs' } },
  },
});
copyFileSync(modelJson, join(outDir, 'model.json'));
if (packAt >= 0) {
  // Dawn's Linux x64 addon (the package's other platforms stay behind) and this Node, compressed.
  const dawn = dirname(createRequire(import.meta.url).resolve('webgpu'));
  const addon = join(outDir, 'node_modules', 'webgpu', 'dist', 'linux-x64');
  mkdirSync(addon, { recursive: true });
  for (const file of ['index.js', 'package.json'])
    copyFileSync(join(dawn, file), join(outDir, 'node_modules', 'webgpu', file));
  copyFileSync(join(dawn, 'dist', 'linux-x64', 'dawn.node'), join(addon, 'dawn.node'));
  const node = execFileSync('xz', ['-T2', '-6', '-c', process.execPath], { maxBuffer: 1 << 30 });
  writeFileSync(join(outDir, 'node.xz'), node);
  console.log(`packed into ${outDir}: bench/gpu-device.sh ${argv[packAt + 1]} runs it on the GPU machine`);
  process.exit(0);
}
const json = join(outDir, 'gpu-bench.json');
const run = spawnSync(
  process.execPath,
  [join(outDir, 'gpu-bench.mjs'), '--model', join(outDir, 'model.json'), '--out', json, ...passOn],
  { stdio: 'inherit', cwd: root },
);
if (run.status === 0) console.log(`\nwrote ${json}`);
process.exit(run.status ?? 1);
