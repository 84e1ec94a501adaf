// float32 → float16 against hand-computed bit patterns, and a round trip within half precision.
import { describe, expect, it } from 'vitest';
import { fromFloat16Bits, toFloat16, toFloat16Bits } from '../src/ml/float16';

describe('float16', () => {
  it('encodes known values exactly', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(0.5)).toBe(0x3800);
    expect(toFloat16Bits(65504)).toBe(0x7bff); // the largest half
    expect(toFloat16Bits(1e6)).toBe(0x7c00); // overflow → Infinity
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // the smallest subnormal
    expect(toFloat16Bits(1e-9)).toBe(0); // underflow → 0
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even (down)
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // a tie rounds to even (up)
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });

  it('round-trips within half precision (relative 2^-11)', () => {
    const values = Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i * 1.7) * 10 ** ((i % 9) - 4));
    const halves = toFloat16(values);
    values.forEach((v, i) => {
      const back = fromFloat16Bits(halves[i]);
      if (Math.abs(v) > 6.2e-5) expect(Math.abs(back - v) / Math.abs(v)).toBeLessThanOrEqual(2 ** -11);
      else expect(Math.abs(back - v)).toBeLessThanOrEqual(2 ** -25);
    });
  });
});
