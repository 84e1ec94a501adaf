// train.py (the "Train elsewhere" script) checked against the app's own code, side by side: the same
// network from the same weights gives the same probabilities; its BatchNorm synced over 2 gloo
// processes (127.0.0.1) gives exactly the values and gradients of one batch in one process; its
// one-cycle schedule and augmentation warps are the app's numbers. Needs Debian's python3-torch.
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AUGMENT, drawAugment, normalisedWarp } from '../src/ml/augment';
import { seededRandom } from '../src/ml/random';
import { oneCycleAt } from '../src/ml/schedule';
import { BUNDLE_FORMAT, bundleRecipe } from '../src/worker/export/train-bundle';
import { adaptBatchNorm } from '../src/worker/train/bn-adapt';
import { concatPool } from '../src/worker/train/head';
import { crossEntropy } from '../src/ml/loss';
import { drawTargets, mixInputs } from '../src/ml/mixup';
import { DEFAULT_TRAIN_CONFIG } from '../src/protocol';
import { tinyClassifier } from './support/tiny-resnet';
import { loadNet, python, requireTorch, TRAIN_PY_DIR, writeNet } from './support/train-py';

describe('train.py against the app', () => {
  let dir: string;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'train-py-'));
    requireTorch();
  }, 60_000); // importing torch takes seconds
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('builds the same network from the same weights: the same probabilities', async () => {
    const { body, head } = await tinyClassifier();
    await writeNet(join(dir, 'net.json'), body, head);
    const x = tf.randomUniform([3, 8, 8, 3], 0, 255, 'float32', 7) as tf.Tensor4D;
    const expected = tf.tidy(() => {
      const bgr = tf.sub(tf.reverse(x, -1), tf.tensor1d([103.939, 116.779, 123.68])) as tf.Tensor4D;
      const f = body.forward(bgr, { training: false, until: body.bodyOutput });
      return tf.softmax(head.forward(concatPool(f.output as tf.Tensor4D), false).logits);
    });
    writeFileSync(
      join(dir, 'x.json'),
      JSON.stringify({ shape: x.shape, values: Array.from(await x.data()) }),
    );
    const got = python(
      dir,
      `
import numpy as np, torch, train
train.DIST = type("D", (), {"world": 1})()
${loadNet('net.json')}
model.eval()
x = json.load(open("x.json"))
nhwc = torch.tensor(x["values"], dtype=torch.float32).reshape(x["shape"])
with torch.no_grad():
    p = torch.softmax(model(nhwc.permute(0, 3, 1, 2)), 1)
back = model.named_weights()
same = all(np.array_equal(back[k], tensors[k]) for k in tensors)
print(json.dumps({"p": p.flatten().tolist(), "roundTrip": same, "names": sorted(back) == sorted(tensors)}))
`,
    ) as { p: number[]; roundTrip: boolean; names: boolean };
    const want = Array.from(await expected.data());
    expect(got.p).toHaveLength(want.length);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got.p[i] - want[i])).toBeLessThan(1e-5);
    // The weights go back out under the app's names and layouts, bit for bit.
    expect(got.names).toBe(true);
    expect(got.roundTrip).toBe(true);
    tf.dispose([x, expected]);
    body.dispose();
    head.dispose();
  });

  it("re-measures the body's BatchNorm statistics after an epoch as the app does (epoch statistics)", async () => {
    const { body, head } = await tinyClassifier();
    const tensors = await writeNet(join(dir, 'stats-net.json'), body, head);
    // Six 8×8 images in batches of 2, centre crops ('plain'), through the app's own statistics pass.
    const random = seededRandom(11);
    const pixels = Array.from({ length: 6 }, () => {
      const data = new Uint8Array(8 * 8 * 4).map((_, i) => (i % 4 === 3 ? 255 : Math.floor(random() * 256)));
      return { width: 8, height: 8, data };
    });
    const train = pixels.map((_, i) => ({ id: i + 1, label: 0, blob: new Blob([Uint8Array.of(i)]) }));
    await adaptBatchNorm({
      body,
      train,
      config: { ...DEFAULT_TRAIN_CONFIG, size: 8, batchSize: 2 },
      decode: async (blob) => pixels[new Uint8Array(await blob.arrayBuffer())[0]],
      report: () => undefined,
      stopIfCancelled: async () => undefined,
      random: null,
    });
    const measured = new Map<string, number[]>();
    for (const [name, v] of body.namedBodyVariables())
      if (name.includes('/moving_')) measured.set(name, Array.from(await v.data()));
    const rgb = pixels.flatMap((p) => Array.from(p.data).filter((_, i) => i % 4 !== 3));
    writeFileSync(join(dir, 'stats-x.json'), JSON.stringify({ values: rgb }));
    const got = python(
      dir,
      `
import numpy as np, torch, train
train.DIST = type("D", (), {"world": 1})()
${loadNet('stats-net.json')}
x = torch.tensor(json.load(open("stats-x.json"))["values"], dtype=torch.float32).reshape(6, 8, 8, 3).permute(0, 3, 1, 2)
train.measure_statistics(model, [x[0:2], x[2:4], x[4:6]])
back = model.named_weights()
head_same = all(np.array_equal(back[k], tensors[k]) for k in tensors if k.startswith("head/"))
print(json.dumps({"stats": {k: back[k].tolist() for k in back if "/moving_" in k and k.startswith("body/")}, "head": head_same}))
`,
    ) as { stats: Record<string, number[]>; head: boolean };
    expect(Object.keys(got.stats).sort()).toEqual([...measured.keys()].sort());
    let moved = 0;
    for (const [name, want] of measured) {
      const before = tensors[name].values;
      got.stats[name].forEach((value, i) => {
        expect(Math.abs(value - want[i]), `${name}[${i}]`).toBeLessThanOrEqual(
          1e-4 * Math.max(1, Math.abs(want[i])),
        );
        if (Math.abs(want[i] - before[i]) > 1e-3 * Math.max(1, Math.abs(before[i]))) moved++;
      });
    }
    expect(moved).toBeGreaterThan(10); // the statistics did change: the comparison is not of untouched values
    expect(got.head).toBe(true); // the head's own statistics stay as they were
    body.dispose();
    head.dispose();
  });

  it('BatchNorm synced over 2 gloo processes equals one batch in one process, values and gradients', () => {
    const got = python(
      dir,
      `
import os, torch, torch.distributed as dist, torch.multiprocessing as mp, torch.nn.functional as F, train

def worker(rank, port, out):
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE="2", RANK=str(rank), LOCAL_RANK=str(rank))
    torch.set_num_threads(1)
    train.DIST = train.Dist("cpu")
    torch.manual_seed(0)
    x = torch.randn(6, 4, 3, 3) * 2 + 1
    w = torch.rand(4) + 0.5; b = torch.randn(4); up = torch.randn(6, 4, 3, 3)
    share = slice(0, 2) if rank == 0 else slice(2, 6)   # unequal shares: 2 and 4 images
    xs = x[share].clone().requires_grad_(); ws = w.clone().requires_grad_(); bs = b.clone().requires_grad_()
    bn = {"weight": ws, "bias": bs, "running_mean": torch.zeros(4), "running_var": torch.ones(4)}
    y = train.batch_norm(xs, bn, 1e-3, True, 0.1)
    (y * up[share]).sum().backward()
    grads = torch.cat([ws.grad, bs.grad]); dist.all_reduce(grads)
    if rank == 0:
        xr = x.clone().requires_grad_(); wr = w.clone().requires_grad_(); br = b.clone().requires_grad_()
        rm, rv = torch.zeros(4), torch.ones(4)
        yr = F.batch_norm(xr, rm, rv, wr, br, True, 0.1, 1e-3)
        (yr * up).sum().backward()
        diff = lambda a, c: float((a - c).abs().max())
        out.put({"y": diff(y, yr[share]), "dx": diff(xs.grad, xr.grad[share]),
                 "dparams": diff(grads, torch.cat([wr.grad, br.grad])),
                 "running": max(diff(bn["running_mean"], rm), diff(bn["running_var"], rv))})
    dist.barrier(); dist.destroy_process_group()

if __name__ == "__main__":
    import socket
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
    ctx = mp.get_context("spawn"); out = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, port, out)) for r in range(2)]
    [p.start() for p in procs]; result = out.get(timeout=60); [p.join() for p in procs]
    print(json.dumps(result))
`,
    ) as Record<string, number>;
    expect(got.y).toBeLessThan(1e-5);
    expect(got.dx).toBeLessThan(1e-5);
    expect(got.dparams).toBeLessThan(1e-4);
    expect(got.running).toBeLessThan(1e-5);
  });

  it('computes the app’s loss: label smoothing and mixup (inputs and targets) as the app does', () => {
    const logits = tf.tensor2d([
      [2, 0.5, -1],
      [0.1, 0.2, 3],
      [-2, 4, 1],
      [0.3, -0.4, 0.9],
    ]);
    const features = tf.tensor2d([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    const targets = drawTargets([0, 2, 1, 1], 0.4, seededRandom(11));
    const mix = targets.mix!;
    const app = tf.tidy(() => ({
      plain: crossEntropy(targets.labels, logits, 0.1).dataSync()[0],
      mixed: crossEntropy(targets, logits, 0.1).dataSync()[0],
      inputs: Array.from(mixInputs(features, mix).dataSync()),
    }));
    writeFileSync(
      join(dir, 'loss.json'),
      JSON.stringify({
        logits: logits.arraySync(),
        features: features.arraySync(),
        labels: targets.labels,
        mix,
        augmentation: AUGMENT,
      }),
    );
    tf.dispose([logits, features]);
    const got = python(
      dir,
      `
import torch, train
spec = json.load(open("loss.json"))
logits = torch.tensor(spec["logits"])
y = torch.tensor(spec["labels"])
mix = (spec["mix"]["weights"], spec["mix"]["partners"])
plain = train.per_image_loss(logits, y, None, 0.1).mean().item()
mixed = train.per_image_loss(logits, y, mix, 0.1).mean().item()
inputs = train.mix_inputs(torch.tensor(spec["features"], dtype=torch.float32), mix).flatten().tolist()
# The training loop's draw (plan_batch) for a batch of 8 over 2 processes: each takes its share.
from types import SimpleNamespace as NS
import numpy as np
def share_mix(rank):
    train.DIST = NS(world=2, rank=rank)
    t = NS(batch=8, rng=np.random.default_rng(5), recipe={"augmentation": spec["augmentation"]}, mixup=0.4,
           prefetch=NS(submit=lambda *a: None), pixels=None)
    lams, perm = train.Trainer.plan_batch(t, [(i, i % 2) for i in range(8)], list(range(8)), 0)[4]
    return {"weights": lams.tolist(), "perm": perm.tolist()}
print(json.dumps({"plain": plain, "mixed": mixed, "inputs": inputs, "shares": [share_mix(0), share_mix(1)]}))
`,
    ) as {
      plain: number;
      mixed: number;
      inputs: number[];
      shares: { weights: number[]; perm: number[] }[];
    };
    expect(got.plain).toBeCloseTo(app.plain, 5);
    expect(got.mixed).toBeCloseTo(app.mixed, 5);
    expect(got.mixed).not.toBeCloseTo(got.plain, 3);
    got.inputs.forEach((v, i) => expect(v).toBeCloseTo(app.inputs[i], 5));
    for (const share of got.shares) {
      expect(share.weights).toHaveLength(4);
      for (const w of share.weights) expect(w >= 0.5 && w <= 1).toBe(true);
      expect([...share.perm].sort()).toEqual([0, 1, 2, 3]); // partners within the process's share
    }
    expect(got.shares[1].weights).not.toEqual(got.shares[0].weights); // the whole batch's draws, split
  });

  it('runs the app’s one-cycle schedule and augmentation warps', () => {
    const random = seededRandom(3);
    const draws = Array.from({ length: 6 }, () => drawAugment(random));
    const recipe = bundleRecipe(
      {
        name: 'x',
        savedAt: 0,
        stage: 'frozen',
        classes: ['a', 'b'],
        seed: 42,
        size: 64,
        errorRate: null,
        history: [],
        tensors: [],
        optimizerStep: 0,
      },
      { ...DEFAULT_TRAIN_CONFIG, size: 64 },
      { frozenEpochs: 4, frozenLr: '3e-3', unfrozenEpochs: 2, unfrozenLr: 'slice(1e-5,1e-3)' },
      'a test',
    );
    recipe.stages[0].groupLrs.forEach((lr, i) => expect(lr).toBeCloseTo([3e-4, 3e-4, 3e-3][i], 15));
    expect(recipe.stages[1].groupLrs[0]).toBeCloseTo(1e-5, 12);
    expect(recipe.stages[1].groupLrs[2]).toBeCloseTo(1e-3, 12);
    writeFileSync(
      join(dir, 'draws.json'),
      JSON.stringify({
        oneCycle: recipe.oneCycle,
        draws: draws.map((d) => ({ ...d, center: d.zoomCenter })),
      }),
    );
    const got = python(
      dir,
      `
import train
spec = json.load(open("draws.json"))
sched = [train.one_cycle(i, 100, 3e-3, spec["oneCycle"]) for i in range(100)]
mats = [train.warp_matrix(d).flatten().tolist() for d in spec["draws"]]
print(json.dumps({"sched": sched, "mats": mats}))
`,
    ) as { sched: [number, number][]; mats: number[][] };
    got.sched.forEach(([lr, mom], i) => {
      const want = oneCycleAt(i, 100, 3e-3);
      expect(lr).toBeCloseTo(want.lr, 12);
      expect(mom).toBeCloseTo(want.mom, 12);
    });
    got.mats.forEach((m, i) => {
      const want = normalisedWarp(draws[i]);
      m.forEach((v, k) => expect(v).toBeCloseTo(want[k], 9));
    });
    expect(readFileSync(join(TRAIN_PY_DIR, 'train.py'), 'utf8')).toContain(
      `BUNDLE_FORMAT = "${BUNDLE_FORMAT}"`,
    );
  });
});
