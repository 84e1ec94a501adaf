// Our hand-written WebAssembly SIMD filter-gradient kernel: the binary writer, the kernel and its
// call plan against a plain-JS reference, thread splitting, and the registered wasm kernel vs cpu.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  planFilterGradient,
  tilesFit,
  type ConvShape,
  type KernelCall,
} from '../src/worker/kernels/simd/filter-gradient-plan';
import {
  KERNEL_PARAMS,
  TILE_COLS,
  TILE_ROWS,
  kernelFunctions,
  outerProductModule,
} from '../src/worker/kernels/simd/outer-product-kernel';
import { shareFilterGradient, splitCall } from '../src/worker/kernels/simd/thread-shares';
import { packedScratch } from '../src/worker/kernels/simd/packed-gradient-kernel';
import { sleb, uleb } from '../src/worker/kernels/simd/wasm-writer';
import { convolutionEngineThreads } from '../src/worker/kernels/register';
import {
  compare,
  onBackend,
  relativeError,
  seeded,
  withWasmKernels,
  type ConvCase,
} from './support/conv-compare';

withWasmKernels();

describe('wasm binary writer', () => {
  it('encodes LEB128 as the spec examples do', () => {
    expect(uleb(0)).toEqual([0]);
    expect(uleb(127)).toEqual([0x7f]);
    expect(uleb(128)).toEqual([0x80, 0x01]);
    expect(uleb(624485)).toEqual([0xe5, 0x8e, 0x26]);
    expect(sleb(-1)).toEqual([0x7f]);
    expect(sleb(63)).toEqual([0x3f]);
    expect(sleb(64)).toEqual([0xc0, 0x00]);
    expect(sleb(-123456)).toEqual([0xc0, 0xbb, 0x78]);
  });

  it('writes a module WebAssembly accepts, shared memory or not', () => {
    expect(WebAssembly.validate(outerProductModule(64, false))).toBe(true);
    expect(WebAssembly.validate(outerProductModule(64, true))).toBe(true);
  });
});

/** dW by the definition, in float64. */
function referenceFilterGradient(s: ConvShape, x: Float32Array, dy: Float32Array): Float64Array {
  const out = new Float64Array(s.filterHeight * s.filterWidth * s.inChannels * s.outChannels);
  for (let b = 0; b < s.batch; b++)
    for (let y = 0; y < s.outHeight; y++)
      for (let xo = 0; xo < s.outWidth; xo++)
        for (let i = 0; i < s.filterHeight; i++)
          for (let j = 0; j < s.filterWidth; j++) {
            const yi = y * s.strideHeight + i * s.dilationHeight - s.padTop;
            const xi = xo * s.strideWidth + j * s.dilationWidth - s.padLeft;
            if (yi < 0 || yi >= s.inHeight || xi < 0 || xi >= s.inWidth) continue;
            const xAt = ((b * s.inHeight + yi) * s.inWidth + xi) * s.inChannels;
            const dyAt = ((b * s.outHeight + y) * s.outWidth + xo) * s.outChannels;
            const wAt = (i * s.filterWidth + j) * s.inChannels * s.outChannels;
            for (let c = 0; c < s.inChannels; c++)
              for (let o = 0; o < s.outChannels; o++)
                out[wAt + c * s.outChannels + o] += x[xAt + c] * dy[dyAt + o];
          }
  return out;
}

function convShape(
  [batch, inHeight, inWidth, inChannels]: number[],
  [filterHeight, filterWidth, outChannels]: number[],
  stride: number,
  dilation: number,
  padTop: number,
  padLeft: number,
): ConvShape {
  const out = (size: number, k: number) =>
    Math.floor((size + 2 * padTop - dilation * (k - 1) - 1) / stride) + 1;
  return {
    batch,
    inHeight,
    inWidth,
    inChannels,
    outHeight: out(inHeight, filterHeight),
    outWidth: out(inWidth, filterWidth),
    outChannels,
    filterHeight,
    filterWidth,
    strideHeight: stride,
    strideWidth: stride,
    dilationHeight: dilation,
    dilationWidth: dilation,
    padTop,
    padLeft,
  };
}

/** Floats after the packing scratch that no call may touch. */
const CANARY = 64;

/**
 * Runs calls (byte offsets relative to x, dy and dW) on a fresh instance, each with the packing
 * scratch `packedScratch` sizes for it, followed by a canary; returns dW, and checks that the calls
 * wrote nothing past their scratch and left x and dy as they were.
 */
function runCalls(s: ConvShape, x: Float32Array, dy: Float32Array, calls: KernelCall[]): Float32Array {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 1024 });
  const instance = new WebAssembly.Instance(new WebAssembly.Module(outerProductModule(1024, false)), {
    env: { memory },
  });
  const kernels = kernelFunctions(instance);
  const dwLength = s.filterHeight * s.filterWidth * s.inChannels * s.outChannels;
  const packs = calls.map((c) =>
    packedScratch(c.outerCount * c.midCount * c.innerCount, c.rowTiles, c.colTiles),
  );
  const packFloats = Math.max(...packs.map((p) => (p.a + p.b) / 4));
  const bytes = (x.length + dy.length + dwLength + packFloats + CANARY) * 4;
  memory.grow(Math.ceil(bytes / 65536));
  const heap = new Float32Array(memory.buffer);
  heap.set(x, 0);
  heap.set(dy, x.length);
  const dwAt = x.length + dy.length;
  const packAt = dwAt + dwLength;
  calls.forEach((c, i) => {
    const canaryAt = packAt + (packs[i].a + packs[i].b) / 4;
    heap.fill(-7.5, canaryAt, canaryAt + CANARY);
    const placed = {
      ...c,
      b: c.b + x.length * 4,
      c: c.c + dwAt * 4,
      packA: packAt * 4,
      packB: packAt * 4 + packs[i].a,
    };
    kernels[c.fn](...KERNEL_PARAMS.map((name) => placed[name]));
    expect(heap.subarray(canaryAt, canaryAt + CANARY).every((v) => v === -7.5)).toBe(true);
  });
  expect(heap.subarray(0, x.length)).toEqual(x);
  expect(heap.subarray(x.length, dwAt)).toEqual(dy);
  return heap.slice(dwAt, dwAt + dwLength);
}

/** Seeded random x and dy of a shape's sizes. */
function randomOperands(shape: ConvShape, seed: number): { x: Float32Array; dy: Float32Array } {
  const random = seeded(seed);
  const s = shape;
  return {
    x: Float32Array.from({ length: s.batch * s.inHeight * s.inWidth * s.inChannels }, random),
    dy: Float32Array.from({ length: s.batch * s.outHeight * s.outWidth * s.outChannels }, random),
  };
}

const KERNEL_CASES: [string, ConvShape][] = [
  ['1×1 stride 1, batch 3', convShape([3, 6, 5, 8], [1, 1, 16], 1, 1, 0, 0)],
  ['1×1 stride 2', convShape([2, 7, 7, 12], [1, 1, 8], 2, 1, 0, 0)],
  ['3×3 same, batch 3', convShape([3, 9, 6, 4], [3, 3, 24], 1, 1, 1, 1)],
  ['3×3 stride 2, padded', convShape([2, 9, 9, 8], [3, 3, 8], 2, 1, 1, 1)],
  ['7×7 stride 2, pad 3', convShape([2, 15, 15, 4], [7, 7, 16], 2, 1, 3, 3)],
  ['3×3 dilation 2', convShape([1, 10, 10, 8], [3, 3, 8], 1, 2, 2, 2)],
  ['5×5 bigger than the image', convShape([1, 3, 3, 4], [5, 5, 8], 1, 1, 2, 2)],
];

describe('outer-product kernel and its plan', () => {
  for (const [name, shape] of KERNEL_CASES) {
    it(`${name} equals the definition`, () => {
      expect(tilesFit(shape)).toBe(true);
      const { x, dy } = randomOperands(shape, 7);
      const expected = referenceFilterGradient(shape, x, dy);
      // Small groups of images too, so that a plan with several calls per tap is covered.
      for (const pixels of [256, 4]) {
        const dw = runCalls(shape, x, dy, planFilterGradient(shape, pixels));
        expect(relativeError(dw, expected)).toBeLessThan(1e-5);
      }
    });
  }

  it('split into thread shares (by columns and by rows), the calls give the same dW', () => {
    for (const shape of [KERNEL_CASES[0][1], KERNEL_CASES[2][1], KERNEL_CASES[1][1]]) {
      const { x, dy } = randomOperands(shape, 11);
      const calls = planFilterGradient(shape);
      const whole = runCalls(shape, x, dy, calls);
      for (const parts of [2, 3, 5]) {
        const shares = calls.map((c) => splitCall(c, parts));
        expect(shares.every((s) => s.length >= 1 && s.length <= parts)).toBe(true);
        expect(Array.from(runCalls(shape, x, dy, shares.flat()))).toEqual(Array.from(whole));
      }
    }
  });

  it('shared by taps over threads (whole taps, the rest split), each weight gets the same bits from one share', () => {
    // 3×3 (9 taps, some with fewer pixels), 7×7 (49), 1×1 (one tap: every call split).
    for (const shape of [KERNEL_CASES[2][1], KERNEL_CASES[4][1], KERNEL_CASES[0][1]]) {
      const { x, dy } = randomOperands(shape, 13);
      const calls = planFilterGradient(shape, 4);
      const whole = Array.from(runCalls(shape, x, dy, calls));
      const weights = (c: KernelCall) => {
        // The dW floats a call writes: its rows of tiles × its columns.
        const out: number[] = [];
        for (let r = 0; r < c.rowTiles * TILE_ROWS; r++)
          for (let col = 0; col < c.colTiles * TILE_COLS; col++) out.push(c.c / 4 + (r * c.ldc) / 4 + col);
        return out;
      };
      for (const threads of [2, 3, 4, 16]) {
        const shares = shareFilterGradient(calls, threads);
        expect(shares).toHaveLength(threads);
        // No weight is written by two shares.
        const owner = new Map<number, number>();
        shares.forEach((share, k) =>
          share.forEach((c) =>
            weights(c).forEach((w) => {
              expect(owner.get(w) ?? k).toBe(k);
              owner.set(w, k);
            }),
          ),
        );
        // Run share after share: the same bits as the plan on one thread.
        expect(Array.from(runCalls(shape, x, dy, shares.flat()))).toEqual(whole);
      }
    }
    // 9 taps on 2 threads: 8 whole taps, balanced within one tap's work; 1 tap split.
    const shares = shareFilterGradient(
      planFilterGradient(convShape([16, 32, 32, 64], [3, 3, 64], 1, 1, 1, 1)),
      2,
    );
    const work = shares.map((share) =>
      share.reduce((sum, c) => sum + c.outerCount * c.midCount * c.innerCount * c.rowTiles * c.colTiles, 0),
    );
    expect(Math.abs(work[0] - work[1]) / Math.max(...work)).toBeLessThan(0.03);
    expect(shares.map((share) => new Set(share.map((c) => c.c)).size)).toEqual([5, 5]);
  });

  it('says which channel counts its tiles cannot cover', () => {
    expect(tilesFit(convShape([1, 8, 8, 3], [7, 7, 64], 2, 1, 3, 3))).toBe(false);
    expect(tilesFit(convShape([1, 8, 8, 8], [1, 1, 12], 1, 1, 0, 0))).toBe(false);
  });
});

describe('the registered wasm Conv2DBackpropFilter on the SIMD path', () => {
  const cases: ConvCase[] = [
    {
      name: 'batch 3 3×3 same',
      xShape: [3, 9, 9, 8],
      filterShape: [3, 3, 8, 16],
      strides: [1, 1],
      pad: 'same',
    },
    {
      name: 'batch 2 1×1 s2',
      xShape: [2, 8, 8, 16],
      filterShape: [1, 1, 16, 32],
      strides: [2, 2],
      pad: 'valid',
    },
    {
      name: 'explicit padding, mixed strides',
      xShape: [2, 9, 7, 4],
      filterShape: [3, 3, 4, 8],
      strides: [2, 1],
      pad: [
        [0, 0],
        [1, 2],
        [0, 1],
        [0, 0],
      ],
    },
  ];
  for (const c of cases) {
    it(`${c.name} equals tfjs cpu`, async () => {
      const { filter } = await compare(c, 5);
      expect(filter).toBeLessThan(1e-4);
      expect(convolutionEngineThreads()).toBeGreaterThanOrEqual(1); // the SIMD engine ran
    });
  }
});

describe('the registered wasm Conv2D (training forward pass) on the SIMD path', () => {
  const cases: {
    name: string;
    x: [number, number, number, number];
    w: [number, number, number, number];
    strides: number;
    pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]];
    dilation?: number;
  }[] = [
    { name: '7×7 stride 2 from 3 channels', x: [2, 23, 23, 3], w: [7, 7, 3, 16], strides: 2, pad: 'valid' },
    {
      name: '3×3 same, 7 pixels a row (not whole tiles), batch 3',
      x: [3, 7, 7, 8],
      w: [3, 3, 8, 24],
      strides: 1,
      pad: 'same',
    },
    { name: '1×1 stride 2', x: [2, 10, 9, 12], w: [1, 1, 12, 8], strides: 2, pad: 'valid' },
    // Read and written in place on tfjs's heap: no padding, rows of whole tiles.
    { name: '1×1 in place', x: [2, 4, 8, 16], w: [1, 1, 16, 8], strides: 1, pad: 'valid' },
    // One run of 90 pixels: not whole tiles, so through scratch.
    { name: '1×1 as one run of pixels', x: [3, 5, 6, 8], w: [1, 1, 8, 16], strides: 1, pad: 'same' },
    { name: '1×1 stride 2 in place', x: [2, 8, 8, 8], w: [1, 1, 8, 16], strides: 2, pad: 'valid' },
    // Padded copy in scratch, output written in place.
    { name: '3×3 same, whole tiles', x: [2, 8, 8, 8], w: [3, 3, 8, 16], strides: 1, pad: 'same' },
    { name: '3×3 dilation 2', x: [1, 11, 10, 4], w: [3, 3, 4, 8], strides: 1, pad: 'same', dilation: 2 },
    {
      name: 'explicit padding',
      x: [2, 9, 7, 5],
      w: [3, 2, 5, 16],
      strides: 2,
      pad: [
        [0, 0],
        [2, 1],
        [0, 3],
        [0, 0],
      ],
    },
  ];
  for (const c of cases) {
    it(`${c.name} equals tfjs cpu`, async () => {
      const random = seeded(3);
      const x = Float32Array.from({ length: c.x.reduce((a, b) => a * b) }, random);
      const w = Float32Array.from({ length: c.w.reduce((a, b) => a * b) }, random);
      const run = (backend: string) =>
        onBackend(backend, () =>
          tf.tidy(() =>
            tf.conv2d(tf.tensor4d(x, c.x), tf.tensor4d(w, c.w), c.strides, c.pad, 'NHWC', c.dilation ?? 1),
          ),
        );
      const expected = await run('cpu');
      const actual = await run('wasm');
      expect(actual.length).toBe(expected.length);
      expect(relativeError(actual, expected)).toBeLessThan(1e-5);
    });
  }

  it('frees its scratch on the heap and leaks no tensor (in place, padded, rows not whole tiles)', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as { numDataIds(): number };
    for (const c of cases.slice(1, 8)) {
      const x = tf.ones(c.x) as tf.Tensor4D;
      const w = tf.ones(c.w) as tf.Tensor4D;
      tf.conv2d(x, w, c.strides, c.pad, 'NHWC', c.dilation ?? 1).dispose(); // warm-up
      const [tensors, buffers] = [tf.memory().numTensors, backend.numDataIds()];
      const y = tf.conv2d(x, w, c.strides, c.pad, 'NHWC', c.dilation ?? 1);
      expect([tf.memory().numTensors, backend.numDataIds()], c.name).toEqual([tensors + 1, buffers + 1]);
      y.dispose();
      tf.dispose([x, w]);
    }
  });
});
