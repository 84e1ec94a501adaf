// What our wasm kernels share (one context, owned by register.ts): the SIMD engine, created on first
// use over tfjs-wasm's heap, and two caches of filters in other layouts — flipped tensors for the
// input gradients tfjs builds, packed panels on the heap for inference's fixed weights.
import * as tf from '@tensorflow/tfjs';
import { flipFilter } from './conv-backprop';
import { heapAddress, heapSpan } from './heap-calls';
import type { WasmHeap } from './heap-kernels';
import { OuterProductEngine } from './simd/engine';
import type { ConvShape } from './simd/filter-gradient-plan';

const BACKEND = 'wasm';

export interface TrainingKernelOptions {
  /** Threads for our convolution engine (the machine's cores); 1 without helpers. */
  threads?: number;
  /** Starts one convolution helper worker (absent in Node: one thread). */
  spawnHelper?: () => Worker;
}

function backendHolds(dataId: object): boolean {
  const backend = tf.findBackend(BACKEND) as unknown as { dataIdMap?: { has(id: object): boolean } } | null;
  return backend?.dataIdMap?.has(dataId) ?? false;
}

/** Frees a cache's entries whose source data is gone, and the one for `key` (about to be rebuilt). */
function dropStale<T>(cache: Map<object, T>, key: object, free: (entry: T) => void): void {
  for (const [id, entry] of cache) {
    if (id !== key && backendHolds(id)) continue;
    free(entry);
    cache.delete(id);
  }
}
/** tfjs-wasm's memory (its Emscripten module keeps it as wasmMemory when threaded, else exports it). */
function wasmHeapMemory(): WebAssembly.Memory | undefined {
  const backend = tf.findBackend(BACKEND) as unknown as {
    wasm?: { wasmMemory?: WebAssembly.Memory; asm?: { memory?: WebAssembly.Memory } };
  } | null;
  const memory = backend?.wasm?.wasmMemory ?? backend?.wasm?.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : undefined;
}

function flippedShape([kh, kw, ci, co]: number[]): number[] {
  return [kh, kw, co, ci];
}

export class KernelContext {
  private engine: OuterProductEngine | null | undefined;
  /**
   * Flipped filters by the dataId of the filter they came from, for the input gradients that still
   * flip a filter as a tensor (strided ones, and those the engine's tiles do not fit). A training
   * step runs its passes with the same weights, so the flip happens once per step, not once per
   * pass. Entries whose source data is gone (weights updated) are dropped on the next miss.
   */
  private readonly flipped = new Map<object, tf.Tensor4D>();
  /**
   * Packed filters on the heap by the dataId of the filter they came from, for the convolutions
   * whose weights stay fixed from call to call (FusedConv2D: inference, the frozen body), as
   * XNNPACK keeps its packed weights. Stale entries are dropped on the next miss, as above.
   */
  private readonly packed = new Map<object, { info: tf.TensorInfo; shape: number[] }>();

  constructor(private readonly options: TrainingKernelOptions) {}

  /**
   * Created on first use, once the wasm backend exists (it compiles two small modules, one over
   * tfjs's heap, and starts helper threads).
   */
  simd(): OuterProductEngine | null {
    if (this.engine === undefined)
      this.engine = OuterProductEngine.create(
        this.options.threads ?? 1,
        this.options.spawnHelper,
        wasmHeapMemory(),
      );
    return this.engine;
  }

  /** The engine where its kernels run on tfjs's heap (always, with tfjs-wasm); else null: stock. */
  onHeap(): OuterProductEngine | null {
    const engine = this.simd();
    return engine?.onHeap ? engine : null;
  }

  get threads(): number {
    return this.engine?.threads ?? 0;
  }

  /** See OuterProductEngine.takeRunThreads (0: no engine). */
  takeRunThreads(): number {
    return this.engine?.takeRunThreads() ?? 0;
  }

  cachedFlip(dataId: object): (filter: tf.Tensor4D) => tf.Tensor4D {
    return (filter) => {
      const hit = this.flipped.get(dataId);
      // A reshaped view shares its dataId: only a filter of the same shape may reuse the flip.
      if (hit && tf.util.arraysEqual(hit.shape, flippedShape(filter.shape))) return hit;
      dropStale(this.flipped, dataId, (flipped) => flipped.dispose());
      const flipped = tf.keep(flipFilter(filter));
      this.flipped.set(dataId, flipped);
      return flipped;
    };
  }

  /** Byte address of `filter` packed for the engine's convolution, packed on the first call. */
  packedFilter(engine: OuterProductEngine, heap: WasmHeap, filter: tf.TensorInfo, shape: ConvShape): number {
    const hit = this.packed.get(filter.dataId);
    if (hit && tf.util.arraysEqual(hit.shape, filter.shape)) return heapAddress(heap, hit.info);
    dropStale(this.packed, filter.dataId, (entry) => heap.disposeData(entry.info.dataId));
    const info = heap.makeOutput([tf.util.sizeFromShape(filter.shape)], 'float32');
    const at = heapAddress(heap, info);
    engine.packFilter(heapSpan(heap, filter), shape, at);
    this.packed.set(filter.dataId, { info, shape: filter.shape });
    return at;
  }

  releaseCaches(): void {
    for (const flipped of this.flipped.values()) flipped.dispose();
    this.flipped.clear();
    const heap = tf.findBackend(BACKEND) as unknown as WasmHeap | null;
    for (const { info } of this.packed.values()) heap?.disposeData(info.dataId);
    this.packed.clear();
  }
}
