// fast.ai v1's LR range test: the schedule, the stopping rule, and the suggestions.
import { annealExp } from './schedule';

export const LR_FIND = { start: 1e-7, end: 10, iterations: 100, skipStart: 10, skipEnd: 5 } as const;

/** The sweep's length a user may choose (fast.ai's num_it): fewer steps, a coarser curve, sooner. */
export const LR_FIND_STEPS = { min: 20, max: 500 } as const;

/** A step count typed by the user, or null when it is not one (the one test of what counts). */
export function lrFindSteps(text: string): number | null {
  const n = Number(text.trim());
  return Number.isInteger(n) && n >= LR_FIND_STEPS.min && n <= LR_FIND_STEPS.max ? n : null;
}

/** A step count typed by the user, or a readable reason why not. */
export function parseLrFindSteps(text: string): number {
  const n = lrFindSteps(text);
  if (n === null)
    throw new Error(
      `"${text}" is not a step count for the LR finder: a whole number from ${LR_FIND_STEPS.min} to ${LR_FIND_STEPS.max} (fast.ai's default is ${LR_FIND.iterations}).`,
    );
  return n;
}

export function lrFindRate(i: number, iterations: number = LR_FIND.iterations): number {
  return annealExp(LR_FIND.start, LR_FIND.end, i / iterations);
}

/** Stop once the smoothed loss is 4× the best so far, or not a number. */
export function shouldStop(smoothedLoss: number, bestLoss: number): boolean {
  return Number.isNaN(smoothedLoss) || smoothedLoss > 4 * bestLoss;
}

export interface LrSuggestion {
  /**
   * fastai v2's "valley": the longest stretch over which the loss keeps falling (the longest
   * decreasing subsequence), taken half-way between its first and second third. Robust to the noise
   * at tiny rates where the steepest gradient often lands.
   */
  valley: number;
  /** Where the smoothed loss falls fastest (fast.ai: argmin of its gradient). */
  steepest: number;
  /** The rate at the minimum loss, divided by 10. */
  minOverTen: number;
}

/** numpy.gradient: central differences inside, one-sided at the ends. */
export function gradient(values: readonly number[]): number[] {
  const n = values.length;
  return values.map((v, i) => {
    if (n < 2) return 0;
    if (i === 0) return values[1] - v;
    if (i === n - 1) return v - values[n - 2];
    return (values[i + 1] - values[i - 1]) / 2;
  });
}

export function suggestLr(
  lrs: readonly number[],
  losses: readonly number[],
  skipStart: number = LR_FIND.skipStart,
  skipEnd: number = LR_FIND.skipEnd,
): LrSuggestion | null {
  // A sweep that diverged early has too few points to skip any: then use them all.
  const skip = lrs.length - skipStart - skipEnd >= 2;
  const l = skip ? lrs.slice(skipStart, lrs.length - skipEnd) : [...lrs];
  const v = skip ? losses.slice(skipStart, losses.length - skipEnd) : [...losses];
  if (v.length < 2) return null;
  const g = gradient(v);
  const valleyAt = valleyIndex(v);
  const steepestAt = g.indexOf(Math.min(...g));
  const minAt = v.indexOf(Math.min(...v));
  return { valley: l[valleyAt], steepest: l[steepestAt], minOverTen: l[minAt] / 10 };
}

/** Index of the valley point of `losses` (see LrSuggestion.valley). */
export function valleyIndex(losses: readonly number[]): number {
  const n = losses.length;
  // longest[i]: the longest strictly decreasing subsequence of losses ending at i.
  const longest = new Array<number>(n).fill(1);
  let end = 0;
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i] < losses[j] && longest[j] + 1 > longest[i]) longest[i] = longest[j] + 1;
    }
    if (longest[i] > longest[end]) end = i;
  }
  // As fastai computes it: the start is one before the run's first point.
  const start = end - longest[end];
  const third = (end - start) / 3;
  return Math.max(0, Math.min(n - 1, start + Math.floor(third) + Math.floor(third / 2)));
}
