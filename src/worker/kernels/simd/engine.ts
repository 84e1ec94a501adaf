// Runs the outer-product kernel on every core: the ML worker does one share of each call and helper
// workers (sharing the kernel's memory) do the rest, synchronised with Atomics. tfjs-wasm's own
// thread pool is private to its module, so we bring our own. Without cross-origin isolation (no
// SharedArrayBuffer) or without Worker (Node tests) the same code runs on the calling thread alone.
import { convolutionLayout, packFilter, packFlippedFilter, planConvolution } from './convolution-plan';
import { planFilterGradient, splitCall, type ConvShape, type KernelCall } from './filter-gradient-plan';
import { PEAK_ACCUMULATORS, PEAK_FLOPS_PER_ITERATION } from './peak-loop';
import { KERNEL_PARAMS, kernelFunctions, outerProductModule } from './outer-product-kernel';
import {
  CONTROL,
  MAX_CALLS,
  MAX_HELPERS,
  callCountIndex,
  controlInts,
  doneIndex,
  readyIndex,
  writeCall,
  type HelperInit,
} from './control-block';

type Accumulate = (...args: number[]) => void;

const MAX_PAGES = 16384; // 1 GiB: room for the largest activation pair at 224 px
const PAGE = 65536;
/** How long the ML worker waits for the helpers before it gives up on them (a helper died). */
const HELPER_TIMEOUT_MS = 20_000;

interface Helper {
  worker: Worker;
  /** Its call list and flags in the control block (fixed for the helper's life). */
  slot: number;
  /** False once dropped (it failed or stopped answering). */
  alive: boolean;
}

function sharedMemoryAvailable(): boolean {
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    return typeof SharedArrayBuffer !== 'undefined';
  } catch {
    return false;
  }
}

/** Atomics.wait, or a spin where blocking is not allowed (a page's main thread: benchmarks only). */
function waitForChange(control: Int32Array, index: number, value: number, ms: number): string {
  try {
    return Atomics.wait(control, index, value, ms);
  } catch {
    const until = performance.now() + ms;
    while (Atomics.load(control, index) === value) if (performance.now() > until) return 'timed-out';
    return 'ok';
  }
}

/** Float index rounded up to a whole SIMD vector (16 bytes). */
function alignToVector(index: number): number {
  return Math.ceil(index / 4) * 4;
}

export class OuterProductEngine {
  private readonly memory: WebAssembly.Memory;
  /** The module's functions, indexed by KernelCall.fn. */
  private readonly kernels: Accumulate[];
  private readonly control: Int32Array | null;
  private readonly helpers: Helper[] = [];

  private constructor(
    memory: WebAssembly.Memory,
    module: WebAssembly.Module,
    control: Int32Array | null,
    /** Whether the module multiplies-adds with relaxed SIMD's fused instruction. */
    readonly fused: boolean,
  ) {
    this.memory = memory;
    this.control = control;
    const instance = new WebAssembly.Instance(module, { env: { memory } });
    this.kernels = kernelFunctions(instance);
  }

  /** Null where WebAssembly SIMD is missing (tfjs-wasm then has no SIMD either; callers fall back). */
  static create(threads: number, spawnHelper?: () => Worker): OuterProductEngine | null {
    const shared = sharedMemoryAvailable();
    const plain = outerProductModule(MAX_PAGES, shared, false);
    if (!WebAssembly.validate(plain)) return null;
    // Relaxed-SIMD fused multiply-add where the browser has it (Chromium ≥ 114), else mul + add.
    const fused = outerProductModule(MAX_PAGES, shared, true);
    const hasFma = WebAssembly.validate(fused);
    const module = new WebAssembly.Module(hasFma ? fused : plain);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared });
    const helperCount = shared && spawnHelper ? Math.min(MAX_HELPERS, Math.max(0, threads - 1)) : 0;
    const control =
      helperCount > 0 ? new Int32Array(new SharedArrayBuffer(controlInts(helperCount) * 4)) : null;
    const engine = new OuterProductEngine(memory, module, control, hasFma);
    for (let i = 0; i < helperCount; i++) engine.startHelper(spawnHelper!, module, i);
    return engine;
  }

  /** Threads that take part in a call right now (helpers join once they have compiled the kernel). */
  get threads(): number {
    return 1 + this.readyHelpers().length;
  }

  private readyHelpers(): Helper[] {
    const control = this.control;
    if (!control) return [];
    return this.helpers.filter((h) => h.alive && Atomics.load(control, readyIndex(h.slot)) === 1);
  }

  private startHelper(spawn: () => Worker, module: WebAssembly.Module, index: number): void {
    const helper: Helper = { worker: spawn(), slot: index, alive: true };
    this.helpers.push(helper);
    helper.worker.onerror = (event) => {
      console.warn(`convolution helper ${index} failed: ${event.message}`);
      this.dropHelper(helper);
    };
    const init: HelperInit = { memory: this.memory, module, control: this.control!, index };
    helper.worker.postMessage(init);
  }

  private dropHelper(helper: Helper): void {
    // Slots stay as they are: a dropped helper just never takes part again.
    helper.alive = false;
    helper.worker.terminate();
  }

  /** Frees the helper workers (the engine still works, on one thread). */
  dispose(): void {
    for (const helper of this.helpers) this.dropHelper(helper);
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

  private run(calls: KernelCall[]): void {
    const control = this.control;
    const ready = this.readyHelpers();
    if (!control || ready.length === 0 || calls.length > MAX_CALLS) {
      for (const call of calls) this.call(call);
      return;
    }
    // Every call split into one share per thread: share 0 is ours, share k the k-th ready helper's.
    const shares = calls.map((call) => splitCall(call, ready.length + 1));
    const slots = ready.map((h) => h.slot);
    this.helpers.forEach((h) => Atomics.store(control, callCountIndex(h.slot), 0));
    slots.forEach((slot, k) => {
      let count = 0;
      for (const parts of shares) if (parts[k + 1]) writeCall(control, slot, count++, parts[k + 1]);
      Atomics.store(control, callCountIndex(slot), count);
    });
    Atomics.store(control, CONTROL.failed, 0);
    const generation = Atomics.add(control, CONTROL.generation, 1) + 1;
    Atomics.notify(control, CONTROL.generation);
    for (const parts of shares) this.call(parts[0]);
    this.awaitHelpers(control, slots, generation);
  }

  private awaitHelpers(control: Int32Array, slots: number[], generation: number): void {
    const deadline = performance.now() + HELPER_TIMEOUT_MS;
    for (const slot of slots) {
      for (;;) {
        const done = Atomics.load(control, doneIndex(slot));
        if (done === generation) break;
        const left = deadline - performance.now();
        if (left <= 0 || waitForChange(control, doneIndex(slot), done, left) === 'timed-out') {
          // A helper that never answers would leave dW half computed: drop them all and say so.
          this.dispose();
          throw new Error('convolution helper threads stopped responding');
        }
      }
    }
    if (Atomics.load(control, CONTROL.failed)) {
      this.dispose();
      throw new Error('a convolution helper thread failed');
    }
  }

  private call(c: KernelCall): void {
    this.kernels[c.fn](...KERNEL_PARAMS.map((name) => c[name]));
  }
}
