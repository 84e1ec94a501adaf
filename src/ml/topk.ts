import type { Prediction } from '../protocol';

/** The k most probable classes, highest first (ties keep the lower index first). */
export function topK(probabilities: ArrayLike<number>, labels: readonly string[], k: number): Prediction[] {
  const order = Array.from({ length: probabilities.length }, (_, i) => i);
  order.sort((a, b) => probabilities[b] - probabilities[a] || a - b);
  return order.slice(0, Math.max(0, k)).map((index) => ({
    index,
    label: labels[index] ?? `class ${index}`,
    probability: probabilities[index],
  }));
}

/** ImageNet labels use underscores ("great_white_shark"); people read spaces. */
export function humanLabel(label: string): string {
  return label.replace(/_/g, ' ');
}
