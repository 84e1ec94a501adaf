// The pure logic behind the Train and Interpret views: recipe states, run grouping, time estimates,
// per-class metrics, the LR finder's valley, the data layer's change channel and the undo store.
import { describe, expect, it } from 'vitest';
import { announce, onStoresChanged } from '../src/data/changes';
import { perClassMetrics } from '../src/ml/metrics';
import { lrFindRate, suggestLr, valleyIndex } from '../src/ml/lr-find';
import type { EpochRow, ModelSummary, TrainConfig } from '../src/protocol';
import { DEFAULT_TRAIN_CONFIG } from '../src/protocol';
import { RateBook, roughDuration } from '../src/ui/jobs/rates';
import { stepEstimates } from '../src/ui/train/estimates';
import {
  bodyEpochsPending,
  bodyOnlyOffered,
  parseBodyEpochs,
  RECIPES,
  stepStates,
  whatComesFirst,
} from '../src/ui/train/recipe';
import { groupRuns } from '../src/ui/train/runs';
import { undoStore } from '../src/ui/shared/undo';

function row(stage: EpochRow['stage'], run: number | null, error: number): EpochRow {
  return {
    ...(run === null
      ? {}
      : { run: { id: run, maxLr: '3e-3', size: 64, batchSize: 8, frozenMode: 'fast' as const } }),
    stage,
    epoch: 0,
    trainLoss: 1,
    validLoss: 1,
    errorRate: error,
    accuracy: 1 - error,
    seconds: 10,
    tensors: 1,
    bytes: 1,
  };
}

function model(patch: Partial<ModelSummary>): ModelSummary {
  return {
    id: 1,
    origin: { kind: 'new' },
    stage: 'frozen',
    epochs: 0,
    errorRate: null,
    savedAs: null,
    autosaved: false,
    autosaveRefused: null,
    saves: [],
    classes: ['a', 'b'],
    train: 80,
    valid: 20,
    config: { ...DEFAULT_TRAIN_CONFIG, size: 128 },
    imagesPerPass: 8,
    history: [],
    lrFind: null,
    ...patch,
  };
}

describe('recipe states', () => {
  it('walks done → next → todo along the recipe', () => {
    expect(stepStates(null, null)).toMatchObject({ fit1: 'next', save1: 'todo', unfreeze: 'todo' });
    const trained = model({ history: [row('frozen', 1, 0.3)], epochs: 1 });
    expect(stepStates(trained, null)).toMatchObject({ fit1: 'done', save1: 'next', unfreeze: 'todo' });
    const saved = { ...trained, saves: ['stage-1'], savedAs: 'stage-1' };
    expect(stepStates(saved, null)).toMatchObject({ save1: 'done', unfreeze: 'next' });
    const unfrozen = { ...saved, stage: 'unfrozen' as const };
    expect(stepStates(unfrozen, 'lrfind')).toMatchObject({
      unfreeze: 'done',
      lrfind: 'running',
      fit2: 'next',
    });
  });
  it('explains what comes first on an out-of-order click', () => {
    expect(whatComesFirst('lrfind', model({ history: [row('frozen', 1, 0.3)] }))).toBe(
      'First step 3: Unfreeze the body. “Find a learning rate” comes after it.',
    );
    expect(whatComesFirst('save1', null)).toMatch(/^First step 1: Fit the head/);
    expect(whatComesFirst('fit1', null)).toBeNull();
  });
});

describe('runs', () => {
  it('groups consecutive rows by run, and old rows by stage', () => {
    const groups = groupRuns([
      row('frozen', null, 0.5),
      row('frozen', null, 0.4),
      row('frozen', 1, 0.35),
      row('frozen', 1, 0.3),
      row('unfrozen', 2, 0.2),
    ]);
    expect(groups.map((g) => [g.index, g.rows.length, g.finalError, g.seconds])).toEqual([
      [1, 2, 0.4, 20],
      [2, 2, 0.3, 20],
      [3, 1, 0.2, 10],
    ]);
  });
});

describe('the frozen stage’s epochs through the body', () => {
  it('the default recipe ends its fast frozen stage with one, the frozen-only "best" with none', () => {
    expect([RECIPES.fastai.bodyEpochs, RECIPES.fastai.bodyLr]).toEqual([1, '1e-3']);
    expect(RECIPES.best.bodyEpochs).toBe(0);
  });
  it('are pending while a frozen model’s last epoch was on cached features (a reload cut step 1 short)', () => {
    const through = (r: EpochRow): EpochRow => ({ ...r, run: { ...r.run!, id: 2, frozenMode: 'faithful' } });
    const fast = [row('frozen', 1, 0.5), row('frozen', 1, 0.4)];
    expect(bodyEpochsPending(null)).toBe(false);
    expect(bodyEpochsPending(model({ history: [] }))).toBe(false); // nothing trained yet: step 1 runs both
    expect(bodyEpochsPending(model({ epochs: 2, history: fast }))).toBe(true);
    const done = [...fast, through(row('frozen', 2, 0.35))];
    expect(bodyEpochsPending(model({ epochs: 3, history: done }))).toBe(false);
    // Unfrozen since: the frozen stage is over, whatever it ended with.
    expect(bodyEpochsPending(model({ stage: 'unfrozen', epochs: 2, history: fast }))).toBe(false);
    expect(bodyEpochsPending(model({ epochs: 1, history: [row('frozen', null, 0.5)] }))).toBe(false);
  });
  it('are offered on their own only when pending and the input asks for at least one', () => {
    const pending = model({ epochs: 2, history: [row('frozen', 1, 0.5), row('frozen', 1, 0.4)] });
    expect(bodyOnlyOffered(pending, '1')).toBe(true);
    expect(bodyOnlyOffered(pending, ' 2 ')).toBe(true);
    for (const none of ['0', '', 'one', '1.5', null])
      expect(bodyOnlyOffered(pending, none), String(none)).toBe(false);
    expect(bodyOnlyOffered(model({ history: [] }), '1')).toBe(false);
  });
  it('reads the input as a whole number ≥ 0, and none when not offered (faithful mode)', () => {
    expect(parseBodyEpochs('1')).toBe(1);
    expect(parseBodyEpochs(' 0 ')).toBe(0);
    expect(parseBodyEpochs(null)).toBe(0);
    for (const bad of ['', '-1', '1.5', 'one'])
      expect(() => parseBodyEpochs(bad), bad).toThrow('Epochs through the body must be a whole number ≥ 0.');
  });
});

describe('time estimates from measured steps', () => {
  it('learns seconds per image per phase and scales the body with the pixel count', () => {
    const book = new RateBook();
    const m = model({ stage: 'unfrozen' });
    expect(
      book.estimateFit('wasm', {
        epochs: 2,
        stage: 'unfrozen',
        config: m.config,
        train: 80,
        valid: 20,
        needsFeatures: false,
      }),
    ).toBeNull();
    // 16 images in 8 s at 128 px → 0.5 s per image; validation 0.1 s per image.
    book.observe({ phase: 'fit', done: 2, total: 20, startedAt: 0, images: 16 }, 'wasm', m, 8000);
    book.observe({ phase: 'validate', done: 20, total: 20, startedAt: 0, images: 20 }, 'wasm', m, 2000);
    const plan = {
      epochs: 2,
      stage: 'unfrozen' as const,
      config: m.config,
      train: 80,
      valid: 20,
      needsFeatures: false,
    };
    expect(book.estimateFit('wasm', plan)).toBeCloseTo(2 * (80 * 0.5 + 20 * 0.1), 6);
    // Twice the side, four times the pixels.
    expect(book.estimateFit('wasm', { ...plan, config: { ...m.config, size: 256 } })).toBeCloseTo(4 * 84, 6);
    expect(book.estimateFit('webgpu', plan)).toBeNull(); // measured per backend
  });
  it('learns what each step ran on from the worker, not from the config (a fast model’s epochs through the body)', () => {
    const book = new RateBook();
    const m = model({ stage: 'frozen', config: { ...model({}).config, frozenMode: 'fast', size: 224 } });
    const pass = { size: 224, imagesPerPass: 8 };
    // The head on cached features: no pass shape; then an epoch through the body: one.
    book.observe({ phase: 'fit', done: 2, total: 20, startedAt: 0, images: 100 }, 'wasm', m, 1000);
    book.observe({ phase: 'fit', done: 2, total: 20, startedAt: 0, images: 16, pass }, 'wasm', m, 8000);
    book.observe(
      { phase: 'validate', done: 20, total: 20, startedAt: 0, images: 20, cached: true },
      'wasm',
      m,
      200,
    );
    book.observe(
      { phase: 'validate', done: 20, total: 20, startedAt: 0, images: 20, cached: false },
      'wasm',
      m,
      4000,
    );
    expect(book.rate('wasm', 'head', 224)).toBeCloseTo(0.01, 9);
    expect(book.rate('wasm', 'frozen', 224)).toBeCloseTo(0.5, 9);
    expect(book.rate('wasm', 'validate-cached', 224)).toBeCloseTo(0.01, 9);
    expect(book.rate('wasm', 'validate', 224)).toBeCloseTo(0.2, 9);
  });
  it('step 1’s estimate counts its epochs through the body (at the body’s rate), none when not offered', () => {
    const book = new RateBook();
    const config = { ...DEFAULT_TRAIN_CONFIG, size: 224, frozenMode: 'fast' as const };
    book.record('wasm', 'head', 224, 0.01);
    book.record('wasm', 'validate-cached', 224, 0.01);
    book.record('wasm', 'frozen', 224, 0.5);
    book.record('wasm', 'validate', 224, 0.1);
    // 80 train / 20 valid, features cached: 4 head epochs 4 × 1 s; one epoch through the body 42 s.
    const m = model({ stage: 'frozen', epochs: 4, config, featuresCached: true });
    const inputs = { rates: book, backend: 'wasm' as const, config, model: m, images: 100 };
    const texts = (bodyEpochs: string | null) => ({
      frozen: { epochs: '4', bodyEpochs },
      lrSteps: '100',
      unfrozen: { epochs: '2' },
    });
    expect(stepEstimates(inputs, texts(null)).fit1).toBe('< 1 min here');
    expect(stepEstimates(inputs, texts('2')).fit1).toBe('≈ 1 min here'); // 4 + 84 s
    expect(stepEstimates(inputs, texts('4')).fit1).toBe('≈ 3 min here'); // 4 + 168 s
    expect(stepEstimates(inputs, texts('x')).fit1).toBeUndefined();
    // Step 4 sweeps the unfrozen network (it comes after step 3), whatever the stage now: not
    // measured unfrozen yet, at the frozen step's rate × 1.5 (100 steps × 16 images × 0.75 s); once
    // measured, 100 × 16 × 0.6 s. Step 5 likewise: 2 × (80 × 0.75 + 20 × 0.1) s, then 2 × (80 × 0.6 + 2).
    expect(stepEstimates(inputs, texts(null)).lrfind).toBe('≈ 20 min here');
    expect(stepEstimates(inputs, texts(null)).fit2).toBe('≈ 2 min here'); // 124 s
    book.record('wasm', 'unfrozen', 224, 0.6);
    expect(stepEstimates(inputs, texts(null)).lrfind).toBe('≈ 16 min here');
    expect(stepEstimates(inputs, texts(null)).fit2).toBe('≈ 2 min here'); // 100 s
    // Neither measured: said so.
    const headOnly = new RateBook();
    headOnly.record('wasm', 'head', 224, 0.01);
    headOnly.record('wasm', 'validate', 224, 0.1);
    expect(stepEstimates({ ...inputs, rates: headOnly }, texts(null)).lrfind).toBe(
      'time: measured in the first steps',
    );
    expect(stepEstimates({ ...inputs, rates: headOnly }, texts(null)).fit2).toBe(
      'time: measured in the first steps',
    );
    // Not measured through the body yet: said so, not a figure that leaves it out.
    const fresh = new RateBook();
    fresh.record('wasm', 'head', 224, 0.01);
    fresh.record('wasm', 'validate-cached', 224, 0.01);
    expect(stepEstimates({ ...inputs, rates: fresh }, texts('1')).fit1).toBe(
      'time: measured in the first steps',
    );
  });
  it('an epoch through the body that re-measures its statistics counts that pass (at the inference rate)', () => {
    const book = new RateBook();
    const m = model({ stage: 'unfrozen' });
    book.record('wasm', 'unfrozen', m.config.size, 0.5);
    book.record('wasm', 'validate', m.config.size, 0.1);
    const plan = (config: TrainConfig) => ({
      epochs: 2,
      stage: 'unfrozen' as const,
      config,
      train: 80,
      valid: 20,
      needsFeatures: false,
    });
    const off = { ...m.config, epochStatistics: 'off' as const };
    const plain = { ...m.config, epochStatistics: 'plain' as const };
    expect(book.estimateFit('wasm', plan(plain))).toBeCloseTo(2 * 42, 6); // the pass not measured yet
    book.record('wasm', 'features', m.config.size, 0.05);
    expect(book.estimateFit('wasm', plan(off))).toBeCloseTo(2 * 42, 6);
    expect(book.estimateFit('wasm', plan(plain))).toBeCloseTo(2 * (42 + 80 * 0.05), 6);
    // Running BatchNorm once unfrozen: the running statistics are what trains, none re-measured.
    expect(book.estimateFit('wasm', plan({ ...plain, unfrozenBatchNorm: 'running' }))).toBeCloseTo(2 * 42, 6);
  });
  it('keeps rates across visits', () => {
    const stored = new Map<string, string>();
    const storage = {
      getItem: (k: string) => stored.get(k) ?? null,
      setItem: (k: string, v: string) => void stored.set(k, v),
    };
    const book = new RateBook(storage);
    book.record('wasm', 'features', 224, 0.2);
    book.save();
    expect(new RateBook(storage).rate('wasm', 'features', 112)).toBeCloseTo(0.05, 9);
  });
  it('reads as rough durations', () => {
    expect(roughDuration(30)).toBe('< 1 min');
    expect(roughDuration(4 * 60 + 10)).toBe('≈ 4 min');
    expect(roughDuration(80 * 60)).toBe('≈ 1 h 20 min');
  });
});

describe('per-class metrics', () => {
  it('computes precision, recall and one-vs-rest accuracy by hand', () => {
    // rows actual, columns predicted: a: 3 right, 1 as b; b: 2 as a, 4 right.
    const [a, b] = perClassMetrics(
      [
        [3, 1],
        [2, 4],
      ],
      ['a', 'b'],
    );
    expect(a).toEqual({ className: 'a', support: 4, precision: 3 / 5, recall: 3 / 4, accuracy: 7 / 10 });
    expect(b).toEqual({ className: 'b', support: 6, precision: 4 / 5, recall: 4 / 6, accuracy: 7 / 10 });
    expect(
      perClassMetrics(
        [
          [0, 1],
          [0, 1],
        ],
        ['x', 'y'],
      )[0].precision,
    ).toBeNull(); // never predicted
  });
});

describe("fastai v2's valley suggestion", () => {
  const lrs = Array.from({ length: 100 }, (_, i) => lrFindRate(i));
  it('lands inside the long descent where the steepest gradient lands in early noise', () => {
    // A clean descent from i = 40 to 80, and a sharp noisy dip at i = 15 (tiny rates).
    const losses = lrs.map((_, i) => {
      const base = 2 - 1.5 / (1 + Math.exp(-(i - 60) / 6)) + (i > 85 ? (i - 85) ** 2 * 0.08 : 0);
      return base + (i === 15 ? -0.4 : 0) + (i === 16 ? 0.3 : 0);
    });
    const s = suggestLr(lrs, losses)!;
    expect(lrs.indexOf(s.steepest)).toBeLessThan(20); // in the noise
    const at = lrs.indexOf(s.valley);
    expect(at).toBeGreaterThan(40);
    expect(at).toBeLessThan(75);
  });
  it('follows the longest decreasing run', () => {
    // The run is 0…5 (6 points): fastai's start is -1, a third is 2, so -1 + 2 + 1.
    expect(valleyIndex([5, 4, 3, 2, 1, 0, 9])).toBe(2);
    expect(valleyIndex([1])).toBe(0);
  });
});

describe('change notifications', () => {
  it('reach every other listener of the channel, coalesced', async () => {
    const heard: string[] = [];
    const stop = onStoresChanged(['images'], () => heard.push('images'));
    const stopOther = onStoresChanged(['checkpoints'], () => heard.push('checkpoints'));
    announce('images');
    announce('images', 'failures');
    await new Promise((r) => setTimeout(r, 400));
    stop();
    stopOther();
    expect(heard).toEqual(['images']);
  });
});

describe('undo', () => {
  it('undoes the latest action once', async () => {
    let restored = 0;
    undoStore.offerUndo('Deleted one.', async () => void restored++);
    expect(undoStore.current()?.text).toBe('Deleted one.');
    await undoStore.undoLatest();
    await undoStore.undoLatest();
    expect(restored).toBe(1);
    expect(undoStore.current()).toBeNull();
  });
});
