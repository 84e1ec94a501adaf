// Interpretation on the validation set: confusion matrix, most_confused, top losses.

/** rows: actual class, columns: predicted class. */
export function confusionMatrix(
  actual: readonly number[],
  predicted: readonly number[],
  classes: number,
): number[][] {
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  actual.forEach((a, i) => matrix[a][predicted[i]]++);
  return matrix;
}

export interface Confusion {
  actual: string;
  predicted: string;
  count: number;
}

/** fast.ai's most_confused(min_val): off-diagonal cells ≥ minVal, largest first. */
export function mostConfused(
  matrix: readonly number[][],
  classNames: readonly string[],
  minVal = 1,
): Confusion[] {
  const out: Confusion[] = [];
  matrix.forEach((row, a) =>
    row.forEach((count, p) => {
      if (a !== p && count >= minVal) out.push({ actual: classNames[a], predicted: classNames[p], count });
    }),
  );
  return out.sort(
    (x, y) => y.count - x.count || x.actual.localeCompare(y.actual) || x.predicted.localeCompare(y.predicted),
  );
}

/** Indices of the k largest losses, largest first. */
export function topLosses(losses: readonly number[], k: number): number[] {
  return losses
    .map((loss, index) => ({ loss, index }))
    .sort((a, b) => b.loss - a.loss || a.index - b.index)
    .slice(0, k)
    .map((e) => e.index);
}

export function errorRate(actual: readonly number[], predicted: readonly number[]): number {
  if (!actual.length) return 0;
  return actual.filter((a, i) => a !== predicted[i]).length / actual.length;
}

export interface ClassMetrics {
  className: string;
  /** Validation images of this class. */
  support: number;
  /** Of the images predicted as this class, the share that are (null: none predicted). */
  precision: number | null;
  /** Of the images of this class, the share predicted as it (null: none in the set). */
  recall: number | null;
  /** One-vs-rest accuracy: the share of all images this class's yes/no decision gets right. */
  accuracy: number;
}

/** Precision, recall and one-vs-rest accuracy per class, from a confusion matrix (rows: actual). */
export function perClassMetrics(matrix: readonly number[][], classNames: readonly string[]): ClassMetrics[] {
  const total = matrix.flat().reduce((a, b) => a + b, 0);
  return classNames.map((className, c) => {
    const tp = matrix[c][c];
    const support = matrix[c].reduce((a, b) => a + b, 0);
    const predicted = matrix.reduce((n, row) => n + row[c], 0);
    const fp = predicted - tp;
    const fn = support - tp;
    return {
      className,
      support,
      precision: predicted ? tp / predicted : null,
      recall: support ? tp / support : null,
      accuracy: total ? (total - fp - fn) / total : 0,
    };
  });
}
