// Our wasm convolution-gradient kernels equal the cpu backend's for every convolution shape in
// ResNet50 at 128 px (files per size run in parallel).
import { describe, expect, it } from 'vitest';
import { compare, MODEL, resnetConvShapes, withWasmKernels } from './support/conv-compare';

withWasmKernels();

describe('ResNet50 convolutions at 128 px', () => {
  const cases = resnetConvShapes(MODEL, 128, 1);
  it(`covers ${cases.length} distinct shapes`, () => {
    expect(cases.length).toBeGreaterThan(10);
  });
  for (const c of cases) {
    it(`${c.name}: x ${c.xShape.join('×')} w ${c.filterShape.join('×')} s${c.strides[0]} ${c.pad}`, async () => {
      const { filter, input } = await compare(c, 7);
      expect(filter).toBeLessThan(1e-4);
      expect(input).toBeLessThan(1e-4);
    });
  }
});
