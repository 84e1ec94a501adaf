// What our kernels on tfjs-wasm's heap (BatchNorm, AdamW) share: whether they are set up (register.ts
// answers once it has registered them; the op wrappers ask before taking them), the engine they run
// on, a tensor's address in the heap, and how a call is split into one share per thread.
import type * as tf from '@tensorflow/tfjs';
import type { WasmHeap } from './heap-kernels';
import type { OuterProductEngine } from './simd/engine';

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

/** Even shares of `count` units over at most `parts` threads: [start, end) each, none empty. */
export function shares(count: number, parts: number): [number, number][] {
  const n = Math.max(1, Math.min(parts, count));
  return Array.from({ length: n }, (_, k) => [
    Math.floor((k * count) / n),
    Math.floor(((k + 1) * count) / n),
  ]);
}
