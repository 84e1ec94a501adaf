// What our kernels on tfjs-wasm's heap share: whether BatchNorm's and AdamW's are set up (register.ts
// answers once it has registered them; the op wrappers ask before taking them), the engine they run
// on, a tensor's address in the heap, scratch space there, and how a call is split into one share per
// thread.
import type * as tf from '@tensorflow/tfjs';
import type { WasmHeap } from './heap-kernels';
import type { HeapSpan, OuterProductEngine, Scratch } from './simd/engine';

let check: () => boolean = () => false;
let enabled = true;

export function setHeapKernelsReady(ready: () => boolean): void {
  check = ready;
}

/** bench:speed --compare-heap-kernels: the same step with tfjs's ops instead, for the ratio. */
export function setHeapKernelsEnabled(on: boolean): void {
  enabled = on;
}

export function heapKernelsReady(): boolean {
  return enabled && check();
}

/** The engine a heap kernel runs on; throws where the heap kernels are not set up. */
export function heapEngine(engine: () => OuterProductEngine | null, kernel: string): OuterProductEngine {
  const e = engine();
  if (!e?.onHeap) throw new Error(`${kernel}: the heap kernels are not set up`);
  return e;
}

/** Byte address of a tensor's data in the heap. */
export const heapAddress = (heap: WasmHeap, info: tf.TensorInfo) => heap.typedArrayFromHeap(info).byteOffset;

/** A tensor's place in the heap: byte address and floats (addresses stay valid as the heap grows). */
export function heapSpan(heap: WasmHeap, info: tf.TensorInfo): HeapSpan {
  const view = heap.typedArrayFromHeap(info);
  return { at: view.byteOffset, length: view.length };
}

/**
 * Runs `run` with scratch space on the heap (allocated by tfjs as data of its own, so tfjs's memory
 * accounting and out-of-memory errors cover it) and frees it after, whatever happens.
 */
export function withScratch<T>(heap: WasmHeap, run: (scratch: Scratch) => T): T {
  const held: tf.TensorInfo[] = [];
  try {
    return run((floats) => {
      const info = heap.makeOutput([floats], 'float32');
      held.push(info);
      return heapAddress(heap, info);
    });
  } finally {
    for (const info of held) heap.disposeData(info.dataId);
  }
}

/** Even shares of `count` units over at most `parts` threads: [start, end) each, none empty. */
export function shares(count: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, count));
  return Array.from({ length: n }, (_, k) => [
    Math.floor((k * count) / n),
    Math.floor(((k + 1) * count) / n),
  ]);
}
