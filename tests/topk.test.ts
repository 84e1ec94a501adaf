import { describe, expect, it } from 'vitest';
import { humanLabel, topK } from '../src/ml/topk';

describe('topK', () => {
  const labels = ['tench', 'goldfish', 'great_white_shark', 'tiger_shark'];
  it('orders by probability and attaches labels', () => {
    expect(topK([0.1, 0.6, 0.05, 0.25], labels, 2)).toEqual([
      { index: 1, label: 'goldfish', probability: 0.6 },
      { index: 3, label: 'tiger_shark', probability: 0.25 },
    ]);
  });
  it('breaks ties by index and tolerates k larger than the classes', () => {
    expect(topK([0.5, 0.5], labels, 5).map((p) => p.index)).toEqual([0, 1]);
  });
  it('reads labels with spaces', () => {
    expect(humanLabel('great_white_shark')).toBe('great white shark');
  });
});
