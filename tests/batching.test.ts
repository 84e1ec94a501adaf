import { describe, expect, it } from 'vitest';
import { defaultImagesPerPass, lowerImagesPerPass, splitIntoPasses } from '../src/ml/batching';
import { isOutOfMemory } from '../src/worker/errors';

describe('splitIntoPasses', () => {
  it('keeps a batch that fits in one pass', () => {
    expect(splitIntoPasses(16, 16)).toEqual([16]);
    expect(splitIntoPasses(7, 32)).toEqual([7]);
  });
  it('splits evenly into the fewest passes', () => {
    expect(splitIntoPasses(16, 8)).toEqual([8, 8]);
    expect(splitIntoPasses(16, 13)).toEqual([8, 8]);
    expect(splitIntoPasses(16, 4)).toEqual([4, 4, 4, 4]);
    expect(splitIntoPasses(10, 4)).toEqual([4, 3, 3]);
  });
  it('never leaves a pass of one image', () => {
    expect(splitIntoPasses(3, 2)).toEqual([3]);
    expect(splitIntoPasses(5, 2)).toEqual([2, 3]);
    for (let n = 2; n <= 40; n++)
      for (let p = 2; p <= 16; p++) {
        const sizes = splitIntoPasses(n, p);
        expect(sizes.reduce((a, b) => a + b, 0)).toBe(n);
        expect(Math.min(...sizes)).toBeGreaterThanOrEqual(2);
      }
  });
  it('handles an empty batch', () => {
    expect(splitIntoPasses(0, 8)).toEqual([]);
  });
});

describe('images per pass', () => {
  it('defaults from the wasm heap limit by image size, whole batches on GPUs', () => {
    expect(defaultImagesPerPass('wasm', 128, 16)).toBe(16); // one pass: see pass-memory.test.ts
    expect(defaultImagesPerPass('wasm', 160, 16)).toBe(10);
    expect(defaultImagesPerPass('wasm', 224, 16)).toBe(5); // passes of 4, 4, 4, 4
    expect(defaultImagesPerPass('wasm', 64, 16)).toBe(16);
    expect(defaultImagesPerPass('wasm', 512, 16)).toBe(2);
    expect(defaultImagesPerPass('webgpu', 224, 16)).toBe(16);
    expect(defaultImagesPerPass('webgl', 224, 16)).toBe(16);
    expect(defaultImagesPerPass('cpu', 224, 16)).toBe(5); // host memory too, as wasm
  });
  it('halves after running out of memory, down to two', () => {
    expect(lowerImagesPerPass(16)).toBe(8);
    expect(lowerImagesPerPass(5)).toBe(2);
    expect(lowerImagesPerPass(3)).toBe(2);
    expect(lowerImagesPerPass(2)).toBeNull();
  });
  it('recognises out-of-memory failures of each backend', () => {
    expect(isOutOfMemory(new Error('RuntimeError: memory access out of bounds'))).toBe(true);
    expect(isOutOfMemory(new Error('Aborted(). Build with -sASSERTIONS'))).toBe(true);
    expect(isOutOfMemory(new Error('Failed to allocate texture'))).toBe(true);
    expect(isOutOfMemory(new Error('Array buffer allocation failed'))).toBe(true);
    expect(isOutOfMemory(new Error('Kernel not registered'))).toBe(false);
  });
});
