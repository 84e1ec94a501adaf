// Runs the outer-product kernel on every core: the ML worker does one share of each call and helper
// workers (sharing the kernel's memory) do the rest (helper-pool.ts). The same threads run our
// kernels on tfjs-wasm's heap (heap-module.ts) where that heap is shared (tfjs's threaded build).
// Without cross-origin isolation (no SharedArrayBuffer) or without Worker (Node tests) the same code
// runs on the calling thread alone.
import { convolutionLayout, packFilter, packFlippedFilter, planConvolution } from './convolution-plan';
import { planFilterGradient, splitCall, type ConvShape, type KernelCall } from './filter-gradient-plan';
import { MAX_HELPERS, type EngineCall } from './control-block';
import { HEAP_FUNCTIONS, heapFunctions, heapModule, type HeapFunction } from './heap-module';
import { HelperPool } from './helper-pool';
import { PEAK_ACCUMULATORS, PEAK_FLOPS_PER_ITERATION } from './peak-loop';
import { KERNEL_FUNCTIONS, KERNEL_PARAMS, kernelFunctions, outerProductModule } from './outer-product-kernel';

type Accumulate = (...args: number[]) => void;

const MAX_PAGES = 16384; // 1 GiB: room for the largest activation pair at 224 px
const PAGE = 65536;

function sharedMemoryAvailable(): boolean {
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return typeof SharedArrayBuffer !== 'undefined';
  } catch {
    return false;
  }
}

const isShared = (memory: WebAssembly.Memory) =>
  typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;

/** Float index rounded up to a whole SIMD vector (16 bytes). */
function alignToVector(index: number): number {
  return Math.ceil(index / 4) * 4;
}

export class OuterProductEngine {
  private readonly memory: WebAssembly.Memory;
  /** The modules' functions: the outer-product ones (KernelCall.fn), then the heap ones. */
  private readonly kernels: Accumulate[];
  private readonly pool: HelperPool | null;
  /** Whether tfjs's heap is shared with the helpers (else the heap kernels run on one thread). */
  private readonly heapShared: boolean;
  /** Whether the heap kernels (BatchNorm, AdamW) run on tfjs's heap here. */
  readonly onHeap: boolean;

  private constructor(
    memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    heap: { memory: WebAssembly.Memory; module: WebAssembly.Module } | null,
    pool: HelperPool | null,
    /** Whether the module multiplies-adds with relaxed SIMD's fused instruction. */
    readonly fused: boolean,
  ) {
    this.memory = memory;
    this.pool = pool;
    this.kernels = kernelFunctions(new WebAssembly.Instance(module, { env: { memory } }));
    this.onHeap = heap !== null;
    this.heapShared = heap !== null && isShared(heap.memory);
    if (heap)
      this.kernels.push(
        ...heapFunctions(new WebAssembly.Instance(heap.module, { env: { memory: heap.memory } })),
      );
  }

  /**
   * Null where WebAssembly SIMD is missing (tfjs-wasm then has no SIMD either; callers fall back).
   * `heap`: tfjs-wasm's memory, for the heap kernels (absent: convolutions only).
   */
  static create(
    threads: number,
    spawnHelper?: () => Worker,
    heap?: WebAssembly.Memory,
  ): OuterProductEngine | null {
    const shared = sharedMemoryAvailable();
    const plain = outerProductModule(MAX_PAGES, shared, false);
    if (!WebAssembly.validate(plain)) return null;
    // Relaxed-SIMD fused multiply-add where the browser has it (Chromium ≥ 114), else mul + add.
    const fused = outerProductModule(MAX_PAGES, shared, true);
    const hasFma = WebAssembly.validate(fused);
    const module = new WebAssembly.Module(hasFma ? fused : plain);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared });
    const onHeap = heap ? { memory: heap, module: new WebAssembly.Module(heapModule(isShared(heap))) } : null;
    const helperCount = shared && spawnHelper ? Math.min(MAX_HELPERS, Math.max(0, threads - 1)) : 0;
    const pool =
      helperCount > 0
        ? new HelperPool(
            helperCount,
            spawnHelper!,
            { memory, module },
            onHeap && isShared(heap!) ? onHeap : null,
          )
        : null;
    return new OuterProductEngine(memory, module, onHeap, pool, hasFma);
  }

  /** Threads that take part in a call right now (helpers join once they have compiled the kernel). */
  get threads(): number {
    return 1 + (this.pool?.ready() ?? 0);
  }

  /** Threads a heap kernel's call may be split over now. */
  get heapThreads(): number {
    return this.heapShared ? this.threads : 1;
  }

  /** Frees the helper workers (the engine still works, on one thread). */
  dispose(): void {
    this.pool?.dispose();
  }

  private ensureBytes(bytes: number): Float32Array {
    const missing = bytes - this.memory.buffer.byteLength;
    if (missing > 0) {
      try {
        this.memory.grow(Math.ceil(missing / PAGE));
      } catch (error) {
        // Worded so the app treats it like any other exhausted heap (smaller passes, restart).
        const mb = Math.ceil(bytes / 2 ** 20);
        throw new Error(`Out of memory: the convolution kernel needs ${mb} MB (${String(error)})`);
      }
    }
    return new Float32Array(this.memory.buffer);
  }

  /**
   * dW for NHWC x and dy (laid out as `shape` says) into `out` ([kh, kw, ci, co]). The caller checks
   * `tilesFit(shape)` first.
   */
  filterGradient(x: Float32Array, dy: Float32Array, shape: ConvShape, out: Float32Array): void {
    const xAt = 0;
    const dyAt = xAt + x.length;
    const dwAt = dyAt + dy.length;
    const heap = this.ensureBytes((dwAt + out.length) * 4);
    heap.set(x, xAt);
    heap.set(dy, dyAt);
    heap.fill(0, dwAt, dwAt + out.length);
    const calls = planFilterGradient(shape).map((c) => ({
      ...c,
      a: c.a + xAt * 4,
      b: c.b + dyAt * 4,
      c: c.c + dwAt * 4,
    }));
    this.run(calls);
    out.set(heap.subarray(dwAt, dwAt + out.length));
  }

  /**
   * A convolution of NHWC x with filter [kh, kw, ci, co] into `out` (NHWC); padTop/padLeft are in
   * `shape`, the bottom and right padding here. The caller checks `convolutionFits(shape)`.
   * `flipped`: the filter is given as the forward filter [kh, kw, co, ci] whose flip is meant
   * (an input gradient), and is flipped while it is packed.
   */
  convolution(
    x: Float32Array,
    filter: Float32Array,
    shape: ConvShape,
    padBottom: number,
    padRight: number,
    out: Float32Array,
    flipped = false,
  ): void {
    const s = shape;
    const layout = convolutionLayout(s, padBottom, padRight);
    const { paddedHeight: hp, paddedWidth: wp, rowPixels } = layout;
    const ci = s.inChannels;
    const co = s.outChannels;
    const paddedLength = s.batch * hp * wp * ci;
    const filterAt = alignToVector(paddedLength + layout.inputSlack);
    const outAt = alignToVector(filterAt + filter.length);
    const outLength = s.batch * s.outHeight * rowPixels * co;
    const heap = this.ensureBytes((outAt + outLength) * 4);
    if (paddedLength === x.length) heap.set(x, 0);
    else {
      heap.fill(0, 0, paddedLength);
      const rowLength = s.inWidth * ci;
      for (let b = 0; b < s.batch; b++)
        for (let y = 0; y < s.inHeight; y++) {
          const from = (b * s.inHeight + y) * rowLength;
          heap.set(x.subarray(from, from + rowLength), ((b * hp + y + s.padTop) * wp + s.padLeft) * ci);
        }
    }
    heap.fill(0, paddedLength, filterAt); // what the dropped pixels read: finite, whatever it is
    if (flipped) packFlippedFilter(filter, [s.filterHeight, s.filterWidth, co, ci], heap, filterAt);
    else packFilter(filter, s.filterHeight * s.filterWidth * ci, co, heap, filterAt);
    heap.fill(0, outAt, outAt + outLength);
    const call = planConvolution(s, layout);
    this.run([{ ...call, b: call.b + filterAt * 4, c: call.c + outAt * 4 }]);
    if (rowPixels === s.outWidth) {
      out.set(heap.subarray(outAt, outAt + out.length));
      return;
    }
    const rowLength = s.outWidth * co;
    for (let row = 0; row < s.batch * s.outHeight; row++) {
      const from = outAt + row * rowPixels * co;
      out.set(heap.subarray(from, from + rowLength), row * rowLength);
    }
  }

  /**
   * The measured SIMD peak: the register-resident multiply-add loop on every thread at once for
   * `iterations` iterations each. Returns GFLOP/s over all threads.
   */
  peak(iterations: number): { gflops: number; threads: number; seconds: number } {
    const threads = this.threads;
    const region = (PEAK_ACCUMULATORS + 2) * 16;
    const heap = this.ensureBytes(threads * region);
    for (let t = 0; t < threads; t++) {
      const at = (t * region) / 4;
      heap.fill(0, at, at + PEAK_ACCUMULATORS * 4); // accumulators 0
      heap.fill(1, at + PEAK_ACCUMULATORS * 4, at + (PEAK_ACCUMULATORS + 1) * 4); // v0 = 1
      heap.fill(0.5, at + (PEAK_ACCUMULATORS + 1) * 4, at + (PEAK_ACCUMULATORS + 2) * 4); // v1
    }
    const call = Object.fromEntries(KERNEL_PARAMS.map((name) => [name, 1])) as KernelCall;
    // One column tile per thread: splitCall gives each its own `b` region.
    Object.assign(call, { fn: 3, b: 0, bTile: region, colTiles: threads, outerCount: iterations });
    const t0 = performance.now();
    this.run([call]);
    const seconds = (performance.now() - t0) / 1000;
    return { gflops: (threads * iterations * PEAK_FLOPS_PER_ITERATION) / seconds / 1e9, threads, seconds };
  }

  /**
   * Runs a heap kernel (heap-module.ts) over tfjs's heap, one argument list per share: share 0 on
   * this thread, the others on helpers (at most heapThreads shares).
   */
  runOnHeap(fn: HeapFunction, shares: number[][]): void {
    if (!this.onHeap) throw new Error('the heap kernels are not set up on this engine');
    const index = KERNEL_FUNCTIONS.length + HEAP_FUNCTIONS.indexOf(fn);
    const calls = shares.map((args) => [{ fn: index, args }]);
    if (calls.length > 1 && this.heapShared && this.pool?.dispatch(calls, (c) => this.call(c))) return;
    for (const [call] of calls) this.call(call);
  }

  private run(calls: KernelCall[]): void {
    const threads = this.threads;
    const asCall = (c: KernelCall): EngineCall => ({ fn: c.fn, args: KERNEL_PARAMS.map((name) => c[name]) });
    if (threads > 1) {
      // Every call split into one share per thread: share 0 is ours, share k the k-th ready helper's.
      const parts = calls.map((call) => splitCall(call, threads));
      const shares = Array.from({ length: threads }, (_, k) =>
        parts.flatMap((p) => (p[k] ? [asCall(p[k])] : [])),
      );
      if (this.pool!.dispatch(shares, (c) => this.call(c))) return;
    }
    for (const call of calls) this.call(asCall(call));
  }

  private call(c: EngineCall): void {
    this.kernels[c.fn](...c.args);
  }
}
