// A training step, the app's and train.py's (PyTorch) side by side from the same weights and batch:
// the forward and backward pass (BatchNorm on batch statistics, the fast.ai head), AdamW with its
// decoupled weight decay and per-group rates, and the running statistics, over three steps — in the
// unfrozen stage and in the frozen one (body BatchNorm and head only). Two settings differ from
// training, on both sides alike: the head's dropout is off (the masks come from different
// generators), and AdamW's ε is 1e-3 instead of 1e-8. Why ε: the first dense layer's bias of a
// hidden unit active on every image has a zero gradient (the BatchNorm after its ReLU removes any
// constant); both sides compute it as rounding noise (~1e-9), which Adam with ε = 1e-8 turns into
// steps of up to the rate in a random direction. (Passes with the whole batch's statistics
// approximate the body's gradients by design: whole-batch.test.ts.) Needs Debian's python3-torch.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdamW, ADAMW_DEFAULTS } from '../src/ml/adamw';
import { seededRandom } from '../src/ml/random';
import { DEFAULT_TRAIN_CONFIG } from '../src/protocol';
import { BN_MOMENTUM } from '../src/worker/ml/batchnorm';
import { fusedAdamWUpdate } from '../src/worker/kernels/adamw-op';
import { optimiseBatch } from '../src/worker/train/batch-step';
import { TrainableModel } from '../src/worker/train/trainable';
import { tinyClassifier } from './support/tiny-resnet';
import { loadNet, python, requireTorch, writeNet, type NetTensors } from './support/train-py';

const NO_DROPOUT = [0, 0] as const;
const ADAMW = { ...ADAMW_DEFAULTS, epsilon: 1e-3 };
/** Per step: the three groups' rates and β₁ (one-cycle moves both). */
const STEPS: [number[], number][] = [
  [[1e-3, 3e-3, 1e-2], 0.95],
  [[2e-3, 5e-3, 2e-2], 0.9],
  [[1e-3, 2e-3, 5e-3], 0.85],
];
const LABELS = [0, 2, 1, 2];

interface Case {
  frozen: boolean;
  imagesPerPass: number;
}

describe('a training step: the app against train.py', () => {
  let dir: string;
  let pixels: number[];
  const pytorch = new Map<boolean, Record<string, number[]>>();
  let start: NetTensors;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    requireTorch();
    dir = mkdtempSync(join(tmpdir(), 'train-py-step-'));
    const random = seededRandom(5);
    pixels = Array.from({ length: LABELS.length * 8 * 8 * 3 }, () => Math.floor(random() * 256));
    const { body, head } = await tinyClassifier(NO_DROPOUT);
    start = await writeNet(join(dir, 'net.json'), body, head, NO_DROPOUT);
    body.dispose();
    head.dispose();
    writeFileSync(join(dir, 'batch.json'), JSON.stringify({ x: pixels, y: LABELS, steps: STEPS }));
    for (const frozen of [false, true]) {
      const got = python(
        dir,
        `
import numpy as np, torch, torch.nn.functional as F, train
train.DIST = type("D", (), {"world": 1})()
${loadNet('net.json', BN_MOMENTUM)}
spec = json.load(open("batch.json"))
x = torch.tensor(spec["x"], dtype=torch.float32).reshape(${LABELS.length}, 8, 8, 3).permute(0, 3, 1, 2)
y = torch.tensor(spec["y"])
model.freeze(${frozen ? 'True' : 'False'})
model.train()
opt = train.AdamW(model.groups(), ${ADAMW.beta2}, ${ADAMW.epsilon}, ${ADAMW.weightDecay})
for lrs, beta1 in spec["steps"]:
    F.cross_entropy(model(x), y).backward()
    opt.step(lrs, beta1)
print(json.dumps({k: v.flatten().tolist() for k, v in model.named_weights().items()}))
`,
      ) as Record<string, number[]>;
      pytorch.set(frozen, got);
    }
  }, 120_000); // two PyTorch runs: seconds each, more on a loaded machine
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** The app's weights after STEPS from the same start, as the learner's step runs them. */
  async function appSteps({ frozen, imagesPerPass }: Case): Promise<Map<string, number[]>> {
    const { body, head } = await tinyClassifier(NO_DROPOUT);
    const model = new TrainableModel(body, head);
    model.freezeTo(frozen);
    const optimizer = new AdamW(ADAMW, fusedAdamWUpdate);
    const before = tf.memory().numTensors;
    const input = tf.tensor4d(pixels, [LABELS.length, 8, 8, 3]);
    for (const [lrs, beta1] of STEPS) {
      await optimiseBatch(
        {
          body,
          head,
          config: { ...DEFAULT_TRAIN_CONFIG, size: 8, batchSize: LABELS.length },
          frozen,
          groups: model.groups(),
          optimizer,
          imagesPerPass,
          dropoutSeed: () => 1,
        },
        { input, targets: { labels: LABELS }, lrs, beta1 },
      );
    }
    input.dispose();
    const after = new Map<string, number[]>();
    for (const [name, v] of model.namedVariables()) after.set(name, Array.from(await v.data()));
    // The optimizer's moments are the only tensors the steps leave (two per trained variable).
    const trained = model.groups().flat().length;
    expect(tf.memory().numTensors - before).toBe(2 * trained);
    optimizer.dispose();
    model.dispose();
    body.dispose();
    return after;
  }

  it.each<Case & { name: string }>([
    { name: 'unfrozen, one pass', frozen: false, imagesPerPass: 4 },
    { name: 'frozen (body BatchNorm and head train), one pass', frozen: true, imagesPerPass: 4 },
  ])('$name: the same weights and running statistics after three steps', async (c) => {
    const want = pytorch.get(c.frozen)!;
    const got = await appSteps(c);
    expect([...got.keys()].sort()).toEqual(Object.keys(want).sort());
    let moved = 0;
    let convMoved = 0;
    const off: string[] = []; // every variable outside tolerance, with its largest difference
    for (const [name, values] of got) {
      const reference = want[name];
      let worst = 0;
      values.forEach((v, i) => {
        worst = Math.max(worst, Math.abs(v - reference[i]) / Math.max(1, Math.abs(reference[i])));
        if (Math.abs(v - start[name].values[i]) > 1e-4) {
          moved++;
          if (name.startsWith('body/') && name.endsWith('/kernel')) convMoved++;
        }
      });
      if (worst > 2e-4) off.push(`${name}: ${worst.toExponential(2)}`);
    }
    expect(off).toEqual([]);
    expect(moved).toBeGreaterThan(100); // the steps did change the weights: not a comparison of starts
    // The body's convolutions train only when unfrozen (decay alone moves them by ~1e-5).
    if (c.frozen) expect(convMoved).toBe(0);
    else expect(convMoved).toBeGreaterThan(20);
  });
});
