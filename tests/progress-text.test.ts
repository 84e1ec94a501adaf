// The progress lines' numbers (header, training step, download card) share one separator rule.
import { describe, expect, it } from 'vitest';
import { progressText } from '../src/ui/train/format';

describe('progressText', () => {
  it('joins the parts present with one separator and never starts or ends with one', () => {
    expect(progressText('12/40', '00:07 left', 'loss 0.5000')).toBe('12/40 · 00:07 left · loss 0.5000');
    expect(progressText('', '02:05 left', false)).toBe('02:05 left');
    expect(progressText(false, undefined, null, '')).toBe('');
  });
});
