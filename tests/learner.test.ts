// The training core in Node (tfjs cpu backend), on a tiny ResNet-shaped graph and generated images:
// a fit lowers the loss, export → restore gives identical predictions and optimizer state, lr_find
// restores weights exactly, freeze/unfreeze changes exactly the trainable set (TrainableModel), and every test ends
// with the tensor count it started with. Seconds, not the minutes of the browser specs.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TrainConfig, TrainProgress } from '../src/protocol';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import { lrFindRate } from '../src/ml/lr-find';
import { adaptBatchNorm } from '../src/worker/train/bn-adapt';
import { FastaiHead } from '../src/worker/train/head';
import { Learner, type LearnerState } from '../src/worker/train/learner';
import { TrainableModel } from '../src/worker/train/trainable';
import { colourDataset as dataset, decodeColour as decode } from './support/colour-dataset';
import { tinyKeras } from './support/tiny-resnet';

const CONFIG: TrainConfig = { size: 16, batchSize: 6, seed: 42, frozenMode: 'faithful', variants: 1 };

function equalState(a: LearnerState, b: LearnerState): void {
  expect([...b.weights.keys()]).toEqual([...a.weights.keys()]);
  for (const [name, values] of a.weights)
    expect(Array.from(b.weights.get(name)!), name).toEqual(Array.from(values));
  expect(b.optimizer.step).toBe(a.optimizer.step);
  expect([...b.optimizer.moments.keys()]).toEqual([...a.optimizer.moments.keys()]);
  for (const [name, { m, v }] of a.optimizer.moments) {
    expect(Array.from(b.optimizer.moments.get(name)!.m), `${name}#m`).toEqual(Array.from(m));
    expect(Array.from(b.optimizer.moments.get(name)!.v), `${name}#v`).toEqual(Array.from(v));
  }
}

describe('Learner (training core, in Node)', () => {
  let body: ResNetGraph;
  let learner: Learner;
  const noop = async () => undefined;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const { model, topology } = tinyKeras();
    body = ResNetGraph.fromLayersModel(model, topology);
    model.dispose();
    learner = new Learner(body, dataset(6), CONFIG, () => undefined, { decode });
    // Inference caches (BatchNorm folded into convs) are filled once: counts are taken after.
    await learner.evaluate();
  });
  afterAll(() => learner.dispose());

  it('a fit lowers the validation loss and the tensor count stays flat', async () => {
    const before = tf.memory().numTensors;
    const start = (await learner.evaluate()).loss;
    const rows = await learner.fitOneCycle(3, '1e-2', noop);
    expect(rows.map((r) => r.stage)).toEqual(['frozen', 'frozen', 'frozen']);
    expect(rows[2].validLoss).toBeLessThan(start);
    expect(rows[2].tensors).toBe(rows[0].tensors);
    expect(tf.memory().numTensors - before).toBe(rows[2].tensors - before); // optimizer moments only
  });

  it("places every fit step on the model's epoch axis, a second run after the first's epochs", async () => {
    const events: TrainProgress[] = [];
    const l = new Learner(body, dataset(6), CONFIG, (p) => events.push(p), { decode });
    try {
      await l.fitOneCycle(2, '1e-2', noop);
      await l.fitOneCycle(1, '1e-2', noop);
      const fit = events.filter((e) => e.phase === 'fit');
      const starts = fit.filter((e) => e.done === 0).map((e) => e.epochAt);
      expect(starts).toEqual([0, 2]);
      const steps = fit.filter((e) => e.done > 0).map((e) => e.epochAt!);
      const perEpoch = steps.length / 3;
      expect(Number.isInteger(perEpoch) && perEpoch > 1).toBe(true);
      // Strictly rising, 1/perEpoch apart, and each epoch's last step at its row (x = 1, 2, 3).
      steps.forEach((x, i) => expect(x).toBeCloseTo((i + 1) / perEpoch, 12));
      expect(steps.filter(Number.isInteger)).toEqual([1, 2, 3]);
      expect(l.history).toHaveLength(3);
    } finally {
      l.dispose();
    }
  });

  it("fast frozen mode: the body features come before the fit's clock starts, and count in its first epoch", async () => {
    const events: { at: number; progress: TrainProgress }[] = [];
    const l = new Learner(
      body,
      dataset(6),
      { ...CONFIG, frozenMode: 'fast' },
      (progress) => events.push({ at: Date.now(), progress }),
      { decode },
    );
    try {
      const [first] = await l.fitOneCycle(1, '1e-2', noop);
      const phases = events.map((e) => e.progress.phase);
      const features = phases.indexOf('features');
      const fitStart = events.findIndex((e) => e.progress.phase === 'fit' && e.progress.done === 0);
      // Rates and ETAs measured from the fit's start see its steps only, not the feature pass.
      expect(features).toBeGreaterThanOrEqual(0);
      expect(fitStart).toBeGreaterThan(phases.lastIndexOf('features'));
      const fit = events[fitStart].progress;
      expect(fit.startedAt).toBeGreaterThanOrEqual(events[phases.lastIndexOf('features')].at);
      // The epoch's time is what it cost: the feature pass included.
      const firstEvent = events[0].at;
      expect(first.seconds * 1000).toBeGreaterThanOrEqual(events[fitStart].at - firstEvent - 5);
    } finally {
      l.dispose();
    }
  });

  it('export → restore gives identical predictions and optimizer state', async () => {
    const saved = await learner.exportState();
    const predictions = (await learner.evaluate()).probabilities;
    const before = tf.memory().numTensors;
    await learner.fitOneCycle(1, '1e-2', noop); // moves the weights on
    expect((await learner.evaluate()).probabilities).not.toEqual(predictions);
    learner.restore(saved);
    expect((await learner.evaluate()).probabilities).toEqual(predictions);
    equalState(saved, await learner.exportState());
    expect(learner.history).toHaveLength(saved.history.length);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lr_find restores the weights and the optimizer exactly', async () => {
    const saved = await learner.exportState();
    const before = tf.memory().numTensors;
    const found = await learner.lrFind();
    expect(found.lrs.length).toBeGreaterThan(3);
    equalState(saved, await learner.exportState());
    expect(tf.memory().numTensors).toBe(before);
  });

  it('lr_find with fewer steps (num_it) sweeps the same range over them, and restores as well', async () => {
    const saved = await learner.exportState();
    const before = tf.memory().numTensors;
    const found = await learner.lrFind(20);
    expect(found.lrs.length).toBeGreaterThan(3);
    expect(found.lrs.length).toBeLessThanOrEqual(20);
    found.lrs.forEach((lr, i) => expect(lr).toBeCloseTo(lrFindRate(i, 20), 15));
    expect(found.lrs[1] / found.lrs[0]).toBeCloseTo(10 ** (8 / 20), 10); // 1e-7 → 10 in 20 steps
    equalState(saved, await learner.exportState());
    expect(tf.memory().numTensors).toBe(before);
  });

  it("the fit after lr_find draws what it would without it, whatever the sweep's length", async () => {
    const saved = await learner.exportState();
    const before = tf.memory().numTensors;
    // Mixup on too: shuffling and augmentation, dropout and mixup each draw from their own stream.
    const config: TrainConfig = { ...CONFIG, mixup: 0.4 };
    const fitAfter = async (sweep: number | null) => {
      const fresh = new Learner(body, dataset(6), config, () => undefined, { decode });
      fresh.restore(saved);
      if (sweep) expect((await fresh.lrFind(sweep)).lrs.length).toBeGreaterThan(3);
      const rows = await fresh.fitOneCycle(2, '1e-2', noop);
      fresh.dispose();
      return rows.map((r) => [r.trainLoss, r.validLoss]);
    };
    const plain = await fitAfter(null);
    expect(await fitAfter(20)).toEqual(plain);
    expect(await fitAfter(33)).toEqual(plain);
    learner.restore(saved);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('freeze / unfreeze changes exactly the trainable set, with a new optimizer per stage', () => {
    const before = tf.memory().numTensors;
    const model = new TrainableModel(body, new FastaiHead(2 * body.bodyChannels(), 3, 42));
    const convs = [...body.convs.values()].map((v) => v.name);
    const names = () =>
      model
        .groups()
        .flat()
        .map((v) => v.name);
    const frozen = names();
    const first = model.optimizer;
    expect(frozen.some((n) => convs.includes(n))).toBe(false); // body convolutions stay fixed
    model.freezeTo(false);
    expect(model.stage).toBe('unfrozen');
    expect(model.optimizer).not.toBe(first); // fast.ai's freeze_to: fresh moments, step 0
    const unfrozen = names();
    expect(unfrozen.filter((n) => !frozen.includes(n)).sort()).toEqual([...convs].sort());
    expect(frozen.every((n) => unfrozen.includes(n))).toBe(true);
    const second = model.optimizer;
    model.freezeTo(false); // no change of stage: the same optimizer
    expect(model.optimizer).toBe(second);
    model.freezeTo(true);
    expect(names()).toEqual(frozen);
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("'whole-batch' BatchNorm: a batch in passes trains, and leaks nothing", async () => {
    const passes = new Learner(
      body,
      dataset(6),
      { ...CONFIG, unfrozenBatchNorm: 'whole-batch' },
      () => undefined,
      { decode, imagesPerPass: 3 },
    );
    passes.freezeTo(false);
    const before = tf.memory().numTensors;
    const [first, second] = await passes.fitOneCycle(2, 'slice(1e-4,1e-2)', noop);
    expect(Number.isFinite(first.trainLoss) && Number.isFinite(second.validLoss)).toBe(true);
    expect(second.tensors).toBe(first.tensors);
    passes.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
  });

  it('fast frozen mode on batch-statistics features: trains, leaks nothing, re-caches on change', async () => {
    const config: TrainConfig = { ...CONFIG, frozenMode: 'fast', variants: 2, featureStatistics: 'batch' };
    const fast = new Learner(body, dataset(6), config, () => undefined, { decode });
    const start = (await fast.evaluate()).loss;
    const [first, second] = await fast.fitOneCycle(2, '1e-2', noop);
    expect(second.validLoss).toBeLessThan(start);
    expect(second.tensors).toBe(first.tensors);
    expect(fast.featuresCached).toBe(true);
    fast.reconfigure({ ...config, imagesPerPass: 3 }, 3);
    expect(fast.featuresCached).toBe(true); // images per pass: the same features
    fast.reconfigure({ ...config, batchSize: 4 }, 4);
    expect(fast.featuresCached).toBe(false); // batch statistics over 4, not 6
    await fast.fitOneCycle(1, '1e-2', noop);
    fast.reconfigure({ ...config, batchSize: 4, featureStatistics: 'running' }, 4);
    expect(fast.featuresCached).toBe(false);
    fast.dispose();
  });

  it('a fast-mode run through the body (step 1’s last epoch): trains BatchNorm only, keeps the config, equals the faithful mode', async () => {
    const config: TrainConfig = { ...CONFIG, frozenMode: 'fast', variants: 2 };
    const values = (vars: tf.Variable[]) => vars.map((v) => Array.from(v.dataSync()));
    const before = tf.memory().numTensors;
    const initial = new Map([...body.namedBodyVariables()].map(([k, v]) => [k, tf.clone(v)]));
    const bn = body.bodyGroups(true).flat();
    const convs = body
      .bodyGroups(false)
      .flat()
      .filter((v) => !bn.includes(v));
    /** From the same body: 1 epoch on cached features, then 1 through the body as `through` runs it. */
    const run = async (through: (l: Learner) => Promise<unknown>) => {
      for (const [k, v] of body.namedBodyVariables()) v.assign(initial.get(k)!);
      const l = new Learner(body, dataset(6), config, () => undefined, { decode });
      await l.fitOneCycle(1, '1e-2', noop);
      expect(l.featuresCached).toBe(true);
      const [bnBefore, convsBefore] = [values(bn), values(convs)];
      await through(l);
      expect(values(bn)).not.toEqual(bnBefore); // γ, β trained through the body
      expect(values(convs)).toEqual(convsBefore); // the body's weights stay frozen
      return l;
    };
    const finished = await run((l) => l.fitOneCycle(1, '1e-3', noop, 'faithful'));
    const [fastRow, bodyRow] = finished.history;
    expect([fastRow.run?.frozenMode, bodyRow.run?.frozenMode]).toEqual(['fast', 'faithful']);
    expect([fastRow.stage, bodyRow.stage]).toEqual(['frozen', 'frozen']);
    expect(finished.config.frozenMode).toBe('fast'); // the settings keep their own mode
    expect(finished.featuresCached).toBe(false); // the body changed: its features are stale
    const state = await finished.exportState();
    // The same as switching the mode in the settings for that run (what bench:train measured).
    const switched = await run((l) => {
      l.reconfigure({ ...config, frozenMode: 'faithful' }, l.imagesPerPass);
      return l.fitOneCycle(1, '1e-3', noop);
    });
    expect(switched.history[1].validLoss).toBe(bodyRow.validLoss);
    expect(switched.history[1].trainLoss).toBe(bodyRow.trainLoss);
    equalState(state, await switched.exportState());
    switched.dispose();
    // The next run is the config's again: the head on features computed anew from the changed body.
    const [next] = await finished.fitOneCycle(1, '1e-2', noop);
    expect(next.run?.frozenMode).toBe('fast');
    expect(finished.featuresCached).toBe(true);
    finished.dispose();
    for (const [k, v] of body.namedBodyVariables()) v.assign(initial.get(k)!);
    tf.dispose([...initial.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('statistics re-measured after an epoch through the body change what validation uses, never what training computes', async () => {
    const before = tf.memory().numTensors;
    const initial = new Map([...body.namedBodyVariables()].map(([k, v]) => [k, tf.clone(v)]));
    const running = () =>
      [...body.namedBodyVariables()]
        .filter(([name]) => name.includes('/moving_'))
        .map(([, v]) => Array.from(v.dataSync()));
    /** The same unfrozen fit from the same weights, with the given epoch statistics. */
    const fit = async (epochStatistics: TrainConfig['epochStatistics']) => {
      for (const [k, v] of body.namedBodyVariables()) v.assign(initial.get(k)!);
      const l = new Learner(body, dataset(6), { ...CONFIG, epochStatistics }, () => undefined, { decode });
      l.freezeTo(false);
      const rows = await l.fitOneCycle(2, 'slice(1e-4,1e-2)', noop);
      const stats = running();
      // By hand on the final weights: what 'plain' must have left (no augmentation, every image).
      await adaptBatchNorm({
        body,
        train: l.data.train,
        config: l.config,
        decode,
        report: () => undefined,
        stopIfCancelled: async () => undefined,
        random: null,
      });
      const byHand = running();
      l.dispose();
      return { rows, stats, byHand };
    };
    const off = await fit('off');
    const plain = await fit('plain');
    const augmented = await fit('augmented');
    const trainLosses = (r: typeof off) => r.rows.map((row) => row.trainLoss);
    expect(trainLosses(plain)).toEqual(trainLosses(off)); // training computes exactly the same
    expect(trainLosses(augmented)).toEqual(trainLosses(off));
    expect(plain.stats).toEqual(plain.byHand); // re-measured on the final weights
    expect(off.stats).not.toEqual(off.byHand); // the running averages lag them
    expect(augmented.stats).not.toEqual(plain.stats);
    expect(plain.rows[1].validLoss).not.toBe(off.rows[1].validLoss); // and validation uses them
    expect(plain.rows[1].tensors).toBe(plain.rows[0].tensors);
    for (const [k, v] of body.namedBodyVariables()) v.assign(initial.get(k)!);
    tf.dispose([...initial.values()]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
