// Our wasm convolution-gradient kernels equal the cpu backend's for every convolution shape in
// ResNet50 at 128 px: the even-numbered shapes here, the odd ones in conv-backprop-128-odd.test.ts
// (files run in parallel: the cpu reference takes minutes at this size).
import { describe, expect, it } from 'vitest';
import { compare, MODEL, resnetConvShapes, withWasmKernels } from './support/conv-compare';

withWasmKernels();

describe('ResNet50 convolutions at 128 px (even-numbered shapes)', () => {
  const all = resnetConvShapes(MODEL, 128, 1);
  const cases = all.filter((_, i) => i % 2 === 0);
  it(`covers ${all.length} distinct shapes, half of them here`, () => {
    expect(all.length).toBeGreaterThan(10);
  });
  for (const c of cases) {
    it(`${c.name}: x ${c.xShape.join('×')} w ${c.filterShape.join('×')} s${c.strides[0]} ${c.pad}`, async () => {
      const { filter, input } = await compare(c, 7);
      expect(filter).toBeLessThan(1e-4);
      expect(input).toBeLessThan(1e-4);
    });
  }
});
