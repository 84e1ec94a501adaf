import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../src/ml/adamw';
import {
  LR_FIND_STEPS,
  lrFindRate,
  lrFindSteps,
  parseLrFindSteps,
  shouldStop,
  suggestLr,
} from '../src/ml/lr-find';
import { confusionMatrix, errorRate, mostConfused, topLosses } from '../src/ml/metrics';
import { groupRates, oneCycleAt, parseLearningRate, SmoothLoss } from '../src/ml/schedule';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('one-cycle (fast.ai defaults: div 25, pct_start 0.3, final div 25e4)', () => {
  const total = 100;
  it('starts at max/25 with momentum 0.95', () => {
    const { lr, mom } = oneCycleAt(0, total, 3e-3);
    expect(lr).toBeCloseTo(3e-3 / 25, 12);
    expect(mom).toBeCloseTo(0.95, 12);
  });
  it('peaks at max with momentum 0.85 at 30%', () => {
    const { lr, mom } = oneCycleAt(30, total, 3e-3);
    expect(lr).toBeCloseTo(3e-3, 12);
    expect(mom).toBeCloseTo(0.85, 12);
  });
  it('is cosine in between: halfway up is the mean of start and peak', () => {
    expect(oneCycleAt(15, total, 1).lr).toBeCloseTo((1 / 25 + 1) / 2, 12);
  });
  it('ends near max/25e4 with momentum back at 0.95', () => {
    const { lr, mom } = oneCycleAt(total, total, 3e-3);
    expect(lr).toBeCloseTo(3e-3 / 25e4, 15);
    expect(mom).toBeCloseTo(0.95, 12);
  });
});

describe('learning-rate notation', () => {
  it('parses numbers and slices, and refuses nonsense', () => {
    expect(parseLearningRate('3e-3')).toBe(3e-3);
    expect(parseLearningRate(' slice(1e-5, 1e-3) ')).toEqual({ start: 1e-5, stop: 1e-3 });
    expect(parseLearningRate('slice(1e-3)')).toBe(1e-3);
    expect(() => parseLearningRate('fast')).toThrow(/not a learning rate/);
    expect(() => parseLearningRate('slice(1e-3,1e-5)')).toThrow(/must not exceed/);
    expect(() => parseLearningRate('0')).toThrow(/positive/);
  });
  it('spreads slice(1e-5,1e-3) geometrically over three groups', () => {
    const rates = groupRates({ start: 1e-5, stop: 1e-3 }, 3);
    [1e-5, 1e-4, 1e-3].forEach((r, i) => expect(rates[i]).toBeCloseTo(r, 15));
  });
  it('gives a single number b as [b/10, b/10, b]', () => {
    const rates = groupRates(3e-3, 3);
    [3e-4, 3e-4, 3e-3].forEach((r, i) => expect(rates[i]).toBeCloseTo(r, 15));
  });
});

describe('SmoothLoss (β 0.98, debiased)', () => {
  it('returns the first value unchanged and then the debiased average', () => {
    const s = new SmoothLoss();
    expect(s.add(2)).toBeCloseTo(2, 12);
    const expected = (0.98 * 0.02 * 2 + 0.02 * 4) / (1 - 0.98 ** 2);
    expect(s.add(4)).toBeCloseTo(expected, 12);
  });
});

describe('AdamW', () => {
  it('matches a hand-computed step: decay first, then bias-corrected Adam', () => {
    const p = tf.variable(tf.tensor1d([1, -2]), true, 'adamw-test-p');
    const opt = new AdamW({ beta2: 0.99, epsilon: 1e-8, weightDecay: 0.01 });
    const lr = 0.1;
    const beta1 = 0.9;
    const g = tf.tensor1d([0.5, -1]);
    opt.apply([[p]], [lr], beta1, { [p.name]: g });
    // step 1: m = 0.1 g, v = 0.01 g², m̂ = g, v̂ = g² → update = lr · g/(|g| + ε) = ±lr
    const values = p.dataSync();
    expect(values[0]).toBeCloseTo(1 * (1 - lr * 0.01) - lr * (0.5 / (0.5 + 1e-8)), 6);
    expect(values[1]).toBeCloseTo(-2 * (1 - lr * 0.01) + lr * (1 / (1 + 1e-8)), 6);
    // step 2 with the same gradient, β1 from the schedule = 0.8
    opt.apply([[p]], [lr], 0.8, { [p.name]: g });
    const m = 0.8 * 0.1 * 0.5 + 0.2 * 0.5;
    const v = 0.99 * 0.01 * 0.25 + 0.01 * 0.25;
    const before = 1 * (1 - lr * 0.01) - lr * (0.5 / (0.5 + 1e-8));
    const expected =
      before * (1 - lr * 0.01) -
      (lr / (1 - 0.8 ** 2)) * (m / (Math.sqrt(v) / Math.sqrt(1 - 0.99 ** 2) + 1e-8));
    expect(p.dataSync()[0]).toBeCloseTo(expected, 6);
    tf.dispose([p, g]);
    opt.dispose();
  });
  it('leaves variables without a gradient untouched', () => {
    const frozen = tf.variable(tf.tensor1d([3]), true, 'adamw-test-frozen');
    const opt = new AdamW();
    opt.apply([[frozen]], [1], 0.9, {});
    expect(frozen.dataSync()[0]).toBe(3);
    frozen.dispose();
    opt.dispose();
  });
});

describe('lr_find', () => {
  it('sweeps 1e-7 → 10 exponentially over 100 iterations', () => {
    expect(lrFindRate(0)).toBeCloseTo(1e-7, 20);
    expect(lrFindRate(50)).toBeCloseTo(Math.sqrt(1e-7 * 10), 10);
    expect(lrFindRate(100)).toBeCloseTo(10, 10);
  });
  it('a typed step count (num_it) is a whole number in range, or a message that says so', () => {
    expect(parseLrFindSteps('100')).toBe(100);
    expect(parseLrFindSteps(' 30 ')).toBe(30);
    expect(parseLrFindSteps(String(LR_FIND_STEPS.min))).toBe(LR_FIND_STEPS.min);
    for (const bad of ['', 'ten', '2.5', String(LR_FIND_STEPS.min - 1), String(LR_FIND_STEPS.max + 1)])
      expect(() => parseLrFindSteps(bad)).toThrow('is not a step count for the LR finder');
    // The Train tab's estimate asks the same question without the message.
    expect(lrFindSteps(' 30 ')).toBe(30);
    for (const bad of ['', '3O', '2.5', String(LR_FIND_STEPS.max + 1)]) expect(lrFindSteps(bad)).toBeNull();
  });
  it('stops at 4× the best loss or NaN', () => {
    expect(shouldStop(4.1, 1)).toBe(true);
    expect(shouldStop(3.9, 1)).toBe(false);
    expect(shouldStop(NaN, 1)).toBe(true);
  });
  it('suggests the steepest descent and min/10 on a synthetic curve', () => {
    const lrs = Array.from({ length: 100 }, (_, i) => lrFindRate(i));
    // Flat, then falls fastest around i = 60, bottoms out at i = 80, then explodes.
    const losses = lrs.map(
      (_, i) => 2 - 1.5 / (1 + Math.exp(-(i - 60) / 4)) + (i > 80 ? (i - 80) ** 2 * 0.05 : 0),
    );
    const s = suggestLr(lrs, losses)!;
    expect(s.steepest).toBeCloseTo(lrs[60], 12);
    const minAt = losses.slice(10, 95).indexOf(Math.min(...losses.slice(10, 95))) + 10;
    expect(s.minOverTen).toBeCloseTo(lrs[minAt] / 10, 12);
  });
});

describe('lr_find on a sweep that diverged early', () => {
  it('still suggests from all points when too few remain after skipping', () => {
    const lrs = [1e-7, 1e-6, 1e-5, 1e-4, 1e-3, 1e-2];
    const losses = [1, 0.9, 0.5, 0.45, 0.44, 3];
    expect(suggestLr(lrs, losses)!.steepest).toBe(1e-6);
    expect(suggestLr([1e-7], [1])).toBeNull();
  });
});

describe('interpretation', () => {
  const classes = ['baroque', 'cubism', 'pop-art'];
  const actual = [0, 0, 0, 1, 1, 2, 2, 2, 2];
  const predicted = [0, 1, 1, 1, 2, 2, 0, 0, 1];
  it('builds the confusion matrix with rows actual and columns predicted', () => {
    expect(confusionMatrix(actual, predicted, 3)).toEqual([
      [1, 2, 0],
      [0, 1, 1],
      [2, 1, 1],
    ]);
    expect(errorRate(actual, predicted)).toBeCloseTo(6 / 9, 12);
  });
  it('lists most_confused pairs, diagonal excluded, with min_val', () => {
    const cm = confusionMatrix(actual, predicted, 3);
    expect(mostConfused(cm, classes, 1)).toEqual([
      { actual: 'baroque', predicted: 'cubism', count: 2 },
      { actual: 'pop-art', predicted: 'baroque', count: 2 },
      { actual: 'cubism', predicted: 'pop-art', count: 1 },
      { actual: 'pop-art', predicted: 'cubism', count: 1 },
    ]);
    expect(mostConfused(cm, classes, 2)).toHaveLength(2);
  });
  it('finds the top losses', () => {
    expect(topLosses([0.1, 2.5, 0.7, 2.5, 1], 3)).toEqual([1, 3, 4]);
  });
});
