// Runs the outer-product kernel on every core: the ML worker does one share of each call and helper
// workers (sharing the kernel's memory) do the rest (helper-pool.ts). The same threads run our
// kernels on tfjs-wasm's heap (heap-module.ts) where that heap is shared (tfjs's threaded build).
// Without cross-origin isolation (no SharedArrayBuffer) or without Worker (Node tests) the same code
// runs on the calling thread alone.
import {
  convolutionLayout,
  copyPadded,
  copyWholeRows,
  epilogueLength,
  planConvolution,
} from './convolution-plan';
import { planFilterGradient, type ConvShape, type KernelCall } from './filter-gradient-plan';
import { shareFilterGradient, splitEachCall } from './thread-shares';
import { MAX_HELPERS, type EngineCall } from './control-block';
import { HEAP_FUNCTIONS, heapFunctions, heapModule, type HeapFunction } from './heap-module';
import { HelperPool } from './helper-pool';
import { packedScratch } from './packed-gradient-kernel';
import { packArgs, packShares } from './pack-kernel';
import { PEAK_ACCUMULATORS, PEAK_FLOPS_PER_ITERATION } from './peak-loop';
import { KERNEL_FUNCTIONS, KERNEL_PARAMS, kernelFunctions, outerProductModule } from './outer-product-kernel';

type Accumulate = (...args: number[]) => void;

/** The engine's own memory holds only the peak loop's registers (the kernels work on tfjs's heap). */
const OWN_PAGES = 1;

/** A tensor (or scratch) on tfjs's heap: its byte address and its length in floats. */
export interface HeapSpan {
  at: number;
  length: number;
}

/** Scratch floats on tfjs's heap for one call: their byte address (the caller frees them after). */
export type Scratch = (floats: number) => number;

/** How `run` splits calls: at most `threads` shares (scratch was sized for them), each placed. */
interface SharePlacement {
  threads?: number;
  /** The call as share `share` runs it (its own scratch). */
  place?: (call: KernelCall, share: number) => KernelCall;
  /** The calls as one list per thread; by default every call is split (splitEachCall). */
  share?: (calls: KernelCall[], threads: number) => KernelCall[][];
}

export interface ConvolutionOptions {
  /** The filter is the forward filter [kh, kw, co, ci] whose flip is meant (an input gradient). */
  flipped?: boolean;
  /** Added per output channel before the floor. */
  bias?: HeapSpan;
  /** max(·, 0) as the result is stored. */
  relu?: boolean;
  /** Byte address of the filter already packed (`packFilter`): inference's fixed weights. */
  packedAt?: number;
}

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

export class OuterProductEngine {
  private readonly memory: WebAssembly.Memory;
  /**
   * The modules' functions: the outer-product ones on our own memory (the peak loop), then the heap
   * module's (heap-module.ts: the outer-product ones again, BatchNorm, AdamW).
   */
  private readonly kernels: Accumulate[];
  private readonly pool: HelperPool | null;
  /** tfjs-wasm's memory, where our kernels read and write tensors; null: not set up. */
  private readonly heap: WebAssembly.Memory | null;
  /** Whether tfjs's heap is shared with the helpers (else the heap kernels run on one thread). */
  private readonly heapShared: boolean;
  /** Whether the kernels on tfjs's heap (convolutions, BatchNorm, AdamW) run here. */
  readonly onHeap: boolean;
  /** The most threads an outer-product run was split over since takeRunThreads last asked. */
  private runThreads = 0;

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
    this.heap = heap?.memory ?? null;
    this.onHeap = heap !== null;
    this.heapShared = heap !== null && isShared(heap.memory);
    if (heap)
      this.kernels.push(
        ...heapFunctions(new WebAssembly.Instance(heap.module, { env: { memory: heap.memory } })),
      );
  }

  /**
   * Null where WebAssembly SIMD is missing (tfjs-wasm then has no SIMD either; callers fall back).
   * `heap`: tfjs-wasm's memory, for the kernels (absent: only the peak loop runs).
   */
  static create(
    threads: number,
    spawnHelper?: () => Worker,
    heap?: WebAssembly.Memory,
  ): OuterProductEngine | null {
    const shared = sharedMemoryAvailable();
    const plain = outerProductModule(OWN_PAGES, shared, false);
    if (!WebAssembly.validate(plain)) return null;
    // Relaxed-SIMD fused multiply-add where the browser has it (Chromium ≥ 114), else mul + add.
    const fused = outerProductModule(OWN_PAGES, shared, true);
    const hasFma = WebAssembly.validate(fused);
    const module = new WebAssembly.Module(hasFma ? fused : plain);
    const memory = new WebAssembly.Memory({ initial: OWN_PAGES, maximum: OWN_PAGES, shared });
    const onHeap = heap
      ? { memory: heap, module: new WebAssembly.Module(heapModule(isShared(heap), hasFma)) }
      : null;
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

  /**
   * The most threads that took part in one convolution, filter gradient or peak loop since the
   * last call (0: none ran) — what the threads did, not what they could.
   */
  takeRunThreads(): number {
    const threads = this.runThreads;
    this.runThreads = 0;
    return threads;
  }

  /** Threads a heap kernel's call may be split over now. */
  get heapThreads(): number {
    return this.heapShared ? this.threads : 1;
  }

  /** Frees the helper workers (the engine still works, on one thread). */
  dispose(): void {
    this.pool?.dispose();
  }

  private heapView(kernel: string): Float32Array {
    if (!this.heap) throw new Error(`${kernel}: the kernels on tfjs's heap are not set up`);
    // Made after every allocation: growing an unshared heap detaches the old views.
    return new Float32Array(this.heap.buffer);
  }

  /**
   * dW[kh, kw, ci, co] into `out` for NHWC x and dy on tfjs's heap: each call of the plan packs the
   * pixels it reads into `scratch` of its thread's own (freed by the caller) and accumulates into
   * `out` in place. The caller checks `tilesFit(shape)` first.
   */
  filterGradient(x: HeapSpan, dy: HeapSpan, shape: ConvShape, out: HeapSpan, scratch: Scratch): void {
    this.heapView('filterGradient').fill(0, out.at / 4, out.at / 4 + out.length); // calls accumulate
    const calls = planFilterGradient(shape).map((c) => ({
      ...c,
      a: c.a + x.at,
      b: c.b + dy.at,
      c: c.c + out.at,
    }));
    // Each share packs its operands into scratch of its own, sized for the longest call.
    const k = Math.max(...calls.map((c) => c.outerCount * c.midCount * c.innerCount));
    const pack = packedScratch(k, calls[0].rowTiles, calls[0].colTiles);
    const threads = this.heapThreads;
    const at = scratch((threads * (pack.a + pack.b)) / 4);
    this.run(calls, true, {
      threads,
      share: shareFilterGradient,
      place: (call, share) => {
        const own = at + share * (pack.a + pack.b);
        return { ...call, packA: own, packB: own + pack.a };
      },
    });
  }

  /**
   * A convolution of NHWC x with filter [kh, kw, ci, co] into `out` (NHWC), on tfjs's heap, as
   * max(conv + bias, floor); padTop/padLeft are in `shape`, the bottom and right padding here. The
   * kernel reads x in place where no padding is needed and writes `out` in place where its rows are
   * whole tiles; otherwise it goes through `scratch` (the caller frees it after), as do the packed
   * filter (unless `options.packedAt` gives one) and the bias. The caller checks
   * `convolutionFits(shape)`.
   */
  convolution(
    x: HeapSpan,
    filter: HeapSpan,
    shape: ConvShape,
    padBottom: number,
    padRight: number,
    out: HeapSpan,
    scratch: Scratch,
    options: ConvolutionOptions = {},
  ): void {
    const s = shape;
    const layout = convolutionLayout(s, padBottom, padRight);
    const { rowPixels } = layout;
    const co = s.outChannels;
    const paddedLength = s.batch * layout.paddedHeight * layout.paddedWidth * s.inChannels;
    // Dropped pixels (rows rounded up to whole tiles) read past the input: only inside our scratch.
    const wholeRows = rowPixels === s.outWidth;
    const inPlace = wholeRows && paddedLength === x.length;
    const inputAt = inPlace ? x.at : scratch(paddedLength + layout.inputSlack);
    const packedAt = options.packedAt ?? scratch(filter.length);
    const epilogueAt = scratch(epilogueLength(s));
    const outputAt = wholeRows ? out.at : scratch(s.batch * s.outHeight * rowPixels * co);
    const heap = this.heapView('convolution');
    if (!inPlace) copyPadded(heap, x.at / 4, s, layout, inputAt / 4);
    if (options.packedAt === undefined) this.packFilter(filter, s, packedAt, options.flipped);
    const epilogue = epilogueAt / 4;
    if (options.bias) heap.copyWithin(epilogue, options.bias.at / 4, options.bias.at / 4 + co);
    else heap.fill(0, epilogue, epilogue + co);
    heap[epilogue + co] = options.relu ? 0 : -Infinity;
    const call = planConvolution(s, layout);
    this.run(
      [
        {
          ...call,
          a: call.a + inputAt,
          b: call.b + packedAt,
          c: call.c + outputAt,
          bias: call.bias + epilogueAt,
          floor: call.floor + epilogueAt,
        },
      ],
      true,
    );
    if (!wholeRows) copyWholeRows(heap, outputAt / 4, s, rowPixels, out.at / 4);
  }

  /**
   * Packs a filter on tfjs's heap at byte address `at` (filter.length floats) as `convolution` reads
   * it, over the threads. `flipped`: the filter is given as the forward filter [kh, kw, co, ci] whose
   * flip is meant (an input gradient), and is flipped while it is packed.
   */
  packFilter(filter: HeapSpan, s: ConvShape, at: number, flipped = false): void {
    const [ci, co] = flipped ? [s.outChannels, s.inChannels] : [s.inChannels, s.outChannels];
    const pack = packArgs(filter.at, [s.filterHeight, s.filterWidth, ci, co], at, flipped);
    this.runOnHeap(pack.fn, packShares(pack, this.heapThreads));
  }

  /**
   * The measured SIMD peak: the register-resident multiply-add loop on every thread at once for
   * `iterations` iterations each. Returns GFLOP/s over all threads.
   */
  peak(iterations: number): { gflops: number; threads: number; seconds: number } {
    const threads = this.threads;
    const region = (PEAK_ACCUMULATORS + 2) * 16;
    const heap = new Float32Array(this.memory.buffer);
    for (let t = 0; t < threads; t++) {
      const at = (t * region) / 4;
      heap.fill(0, at, at + PEAK_ACCUMULATORS * 4); // accumulators 0
      heap.fill(1, at + PEAK_ACCUMULATORS * 4, at + (PEAK_ACCUMULATORS + 1) * 4); // v0 = 1
      heap.fill(0.5, at + (PEAK_ACCUMULATORS + 1) * 4, at + (PEAK_ACCUMULATORS + 2) * 4); // v1
    }
    const call = Object.fromEntries(KERNEL_PARAMS.map((name) => [name, 1])) as KernelCall;
    // One column tile per thread: splitCall gives each its own `b` region.
    Object.assign(call, {
      fn: KERNEL_FUNCTIONS.indexOf('peak'),
      b: 0,
      bTile: region,
      colTiles: threads,
      outerCount: iterations,
    });
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

  /** Runs outer-product calls on our memory or (onHeap) on tfjs's heap, split over the threads. */
  private run(calls: KernelCall[], onHeap = false, shares: SharePlacement = {}): void {
    const threads = Math.min(shares.threads ?? Infinity, onHeap ? this.heapThreads : this.threads);
    const place = shares.place ?? ((call: KernelCall) => call);
    const base = onHeap ? KERNEL_FUNCTIONS.length : 0;
    const asCall = (c: KernelCall): EngineCall => ({
      fn: base + c.fn,
      args: KERNEL_PARAMS.map((name) => c[name]),
    });
    if (threads > 1) {
      // One list per thread: share 0 is ours, share k the k-th ready helper's.
      const work = (shares.share ?? splitEachCall)(calls, threads).map((share, k) =>
        share.map((call) => asCall(place(call, k))),
      );
      if (this.pool!.dispatch(work, (c) => this.call(c))) {
        this.runThreads = Math.max(this.runThreads, work.filter((share) => share.length > 0).length);
        return;
      }
    }
    for (const call of calls) this.call(asCall(place(call, 0)));
    this.runThreads = Math.max(this.runThreads, 1);
  }

  private call(c: EngineCall): void {
    this.kernels[c.fn](...c.args);
  }
}
