// fast.ai v1's one-cycle policy and learning-rate notation, number for number.
import { StudioError } from '../protocol';

/** fast.ai's annealing_cos: cosine from start (pct 0) to end (pct 1). */
export function annealCos(start: number, end: number, pct: number): number {
  return end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
}

/** fast.ai's annealing_exp: geometric from start to end. */
export function annealExp(start: number, end: number, pct: number): number {
  return start * (end / start) ** pct;
}

export interface OneCycleOptions {
  divFactor: number;
  pctStart: number;
  finalDiv: number;
  moms: [number, number];
}

export const ONE_CYCLE_DEFAULTS: OneCycleOptions = {
  divFactor: 25,
  pctStart: 0.3,
  finalDiv: 25e4,
  moms: [0.95, 0.85],
};

/** Learning rate (for a group whose peak is maxLr) and β1 at iteration `i` of `total`. */
export function oneCycleAt(
  i: number,
  total: number,
  maxLr: number,
  options: OneCycleOptions = ONE_CYCLE_DEFAULTS,
): { lr: number; mom: number } {
  const warm = Math.floor(total * options.pctStart);
  const [momHigh, momLow] = options.moms;
  if (i < warm) {
    const pct = i / warm;
    return { lr: annealCos(maxLr / options.divFactor, maxLr, pct), mom: annealCos(momHigh, momLow, pct) };
  }
  const pct = (i - warm) / Math.max(1, total - warm);
  return { lr: annealCos(maxLr, maxLr / options.finalDiv, pct), mom: annealCos(momLow, momHigh, pct) };
}

export type LearningRate = number | { start: number; stop: number };

/** `3e-3`, `slice(1e-5,1e-3)` or `slice(1e-3)` as fast.ai users write them. */
export function parseLearningRate(text: string): LearningRate {
  const number = String.raw`\s*([0-9]*\.?[0-9]+(?:e[-+]?[0-9]+)?)\s*`;
  const plain = new RegExp(`^${number}$`, 'i').exec(text);
  if (plain) return positive(Number(plain[1]), text);
  const one = new RegExp(`^\\s*slice\\(${number}\\)\\s*$`, 'i').exec(text);
  if (one) return positive(Number(one[1]), text);
  const two = new RegExp(`^\\s*slice\\(${number},${number}\\)\\s*$`, 'i').exec(text);
  if (two) {
    const start = positive(Number(two[1]), text);
    const stop = positive(Number(two[2]), text);
    if (start > stop)
      throw new StudioError('invalid-input', `In "${text}" the first rate must not exceed the second.`);
    return { start, stop };
  }
  throw new StudioError(
    'invalid-input',
    `"${text}" is not a learning rate: write e.g. 3e-3 or slice(1e-5,1e-3).`,
  );
}

function positive(value: number, text: string): number {
  if (!(value > 0) || !Number.isFinite(value))
    throw new StudioError('invalid-input', `"${text}": learning rates must be positive.`);
  return value;
}

/**
 * Per-layer-group peak rates. slice(a, b) → geometric from a to b (fast.ai's even_mults);
 * a single number b → [b/10, …, b/10, b] (as slice(b)).
 */
export function groupRates(lr: LearningRate, groups: number): number[] {
  if (typeof lr === 'number')
    return Array.from({ length: groups }, (_, i) => (i === groups - 1 ? lr : lr / 10));
  if (groups === 1) return [lr.stop];
  return Array.from({ length: groups }, (_, i) => lr.start * (lr.stop / lr.start) ** (i / (groups - 1)));
}

/** fast.ai's SmoothenValue: exponential moving average with debiasing. */
export class SmoothLoss {
  private average = 0;
  private count = 0;
  constructor(private readonly beta = 0.98) {}
  add(value: number): number {
    this.count++;
    this.average = this.beta * this.average + (1 - this.beta) * value;
    return this.value;
  }
  get value(): number {
    return this.average / (1 - this.beta ** this.count);
  }
}
