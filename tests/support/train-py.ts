// Helpers for the tests that check train.py (the "Train elsewhere" script) against the app: run
// Python with train.py importable, and hand it a classifier's graph and weights.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleGraph } from '../../src/worker/export/train-bundle';
import type { ResNetGraph } from '../../src/worker/ml/resnet-graph';
import type { FastaiHead } from '../../src/worker/train/head';

export const PYTHON = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
export const TRAIN_PY_DIR = resolve('src/worker/export/train-elsewhere');

/** Throws a message naming the packages when Python lacks what train.py imports. */
export function requireTorch(): void {
  const probe = spawnSync(PYTHON, ['-c', 'import torch, PIL, numpy'], { encoding: 'utf8' });
  if (probe.status !== 0)
    throw new Error(`${PYTHON} needs torch, Pillow and numpy (Debian: python3-torch python3-pil)`);
}

/** Runs Python code with train.py importable; its stdout is JSON. */
export function python(dir: string, code: string): unknown {
  const file = join(dir, `driver-${Math.random().toString(36).slice(2)}.py`);
  writeFileSync(file, `import sys, json\nsys.path.insert(0, ${JSON.stringify(TRAIN_PY_DIR)})\n${code}`);
  const out = spawnSync(PYTHON, [file], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, OMP_NUM_THREADS: '1' },
    maxBuffer: 256 * 1024 * 1024,
  });
  if (out.status !== 0) throw new Error(`python failed (${out.status ?? out.signal}):\n${out.stderr}`);
  return JSON.parse(out.stdout.trim().split('\n').pop()!);
}

export type NetTensors = Record<string, { shape: number[]; values: number[] }>;

/**
 * A classifier's graph and every weight as train.py reads them, written to `file`; the weights
 * returned. `headDropout` overrides the graph's (train.py builds its head from the graph).
 */
export async function writeNet(
  file: string,
  body: ResNetGraph,
  head: FastaiHead,
  headDropout?: readonly [number, number],
): Promise<NetTensors> {
  const tensors: NetTensors = {};
  for (const [name, v] of [...body.namedBodyVariables(), ...head.namedVariables()])
    tensors[name] = { shape: v.shape, values: Array.from(await v.data()) };
  const graph = bundleGraph(body);
  if (headDropout) graph.head = { ...graph.head, dropout: headDropout };
  writeFileSync(file, JSON.stringify({ graph, tensors }));
  return tensors;
}

/**
 * Python lines that load what writeNet wrote as a StudioNet `model` (3 classes, BatchNorm momentum
 * `momentum`), its weights as `tensors`.
 */
export const loadNet = (file: string, momentum = 0.1) => `
net = json.load(open(${JSON.stringify(file)}))
tensors = {k: np.array(v["values"], dtype=np.float32).reshape(v["shape"]) for k, v in net["tensors"].items()}
model = train.StudioNet(net["graph"], tensors, 3, ${momentum})`;
