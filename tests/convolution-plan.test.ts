// The convolution's padded input copy, against the padding written out by its definition.
import { describe, expect, it } from 'vitest';
import { convolutionLayout, copyPadded } from '../src/worker/kernels/simd/convolution-plan';
import type { ConvShape } from '../src/worker/kernels/simd/filter-gradient-plan';

function shape(over: Partial<ConvShape>): ConvShape {
  return {
    batch: 2,
    inHeight: 5,
    inWidth: 6,
    inChannels: 3,
    outHeight: 5,
    outWidth: 6,
    outChannels: 8,
    filterHeight: 3,
    filterWidth: 3,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: 1,
    padLeft: 1,
    ...over,
  };
}

describe('copyPadded', () => {
  it.each([
    ['symmetric', shape({}), 1, 1],
    ['asymmetric (TF same, stride 2)', shape({ padTop: 0, padLeft: 0, outWidth: 3, strideWidth: 2 }), 1, 1],
    ['rows not whole tiles', shape({ inWidth: 7, outWidth: 7, padLeft: 3, padTop: 2 }), 2, 3],
  ])('%s: every padded float written once, x in its place, nothing past the slack', (_, s, bottom, right) => {
    const layout = convolutionLayout(s, bottom, right);
    const x = Float32Array.from({ length: s.batch * s.inHeight * s.inWidth * s.inChannels }, (_, i) => i + 1);
    const padded = s.batch * layout.paddedHeight * layout.paddedWidth * s.inChannels;
    const to = x.length + 5;
    const heap = new Float32Array(to + padded + layout.inputSlack + 4).fill(NaN);
    heap.set(x, 0);
    copyPadded(heap, 0, s, layout, to);
    const ci = s.inChannels;
    for (let b = 0; b < s.batch; b++)
      for (let y = 0; y < layout.paddedHeight; y++)
        for (let xo = 0; xo < layout.paddedWidth; xo++)
          for (let c = 0; c < ci; c++) {
            const iy = y - s.padTop;
            const ix = xo - s.padLeft;
            const inside = iy >= 0 && iy < s.inHeight && ix >= 0 && ix < s.inWidth;
            const want = inside ? x[((b * s.inHeight + iy) * s.inWidth + ix) * ci + c] : 0;
            expect(heap[to + ((b * layout.paddedHeight + y) * layout.paddedWidth + xo) * ci + c]).toBe(want);
          }
    const slack = heap.subarray(to + padded, to + padded + layout.inputSlack);
    expect([...slack].every((v) => v === 0)).toBe(true);
    expect([...heap.subarray(to + padded + layout.inputSlack)].every(Number.isNaN)).toBe(true);
    expect([...heap.subarray(x.length, to)].every(Number.isNaN)).toBe(true);
  });
});
