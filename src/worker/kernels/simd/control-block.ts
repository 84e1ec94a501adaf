// The shared control block between the ML worker and the convolution helper threads:
// a generation counter the helpers wait on, one call list and one "done" generation per helper.
import { KERNEL_PARAMS } from './outer-product-kernel';

export const MAX_HELPERS = 15;
/** Calls per helper per round of a dispatch (longer share lists run in several rounds). */
export const MAX_CALLS = 512;
/** A function index (outer-product functions, then the heap ones) and its i32 arguments. */
export interface EngineCall {
  fn: number;
  args: readonly number[];
}
/** The most arguments a call has (the outer-product kernels'; the BatchNorm ones have fewer). */
const MAX_ARGS = KERNEL_PARAMS.length;
const CALL_INTS = 2 + MAX_ARGS;

export const CONTROL = {
  /** Bumped by the ML worker for every dispatch; the helpers Atomics.wait on it. */
  generation: 0,
  /** Set by a helper whose kernel threw. */
  failed: 1,
} as const;
const HEADER = 4;

export const callCountIndex = (helper: number) => HEADER + helper;
/** The last generation the helper finished. */
export const doneIndex = (helper: number) => HEADER + MAX_HELPERS + helper;
/**
 * 1 once the helper has compiled the kernel. A flag, not a message: a training step on wasm is one
 * long chain of microtasks, so the ML worker may not see a message for minutes.
 */
export const readyIndex = (helper: number) => HEADER + 2 * MAX_HELPERS + helper;
const callIndex = (helper: number, call: number) =>
  HEADER + 3 * MAX_HELPERS + (helper * MAX_CALLS + call) * CALL_INTS;

export function controlInts(helpers: number): number {
  return callIndex(helpers, 0);
}

export function writeCall(control: Int32Array, helper: number, index: number, call: EngineCall): void {
  if (call.args.length > MAX_ARGS) throw new Error(`an engine call takes at most ${MAX_ARGS} arguments`);
  const at = callIndex(helper, index);
  control[at] = call.fn;
  control[at + 1] = call.args.length;
  control.set(call.args, at + 2);
}

export function readCall(control: Int32Array, helper: number, index: number): EngineCall {
  const at = callIndex(helper, index);
  const count = control[at + 1];
  return { fn: control[at], args: Array.from(control.subarray(at + 2, at + 2 + count)) };
}

/** A module and the memory it is instantiated on. */
export interface ModuleOnMemory {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
}

/**
 * What the ML worker posts to a helper once: the outer-product kernels on the engine's memory and,
 * where tfjs-wasm's heap is shared, the heap kernels on that heap (their functions follow the
 * outer-product ones in the call indices).
 */
export interface HelperInit extends ModuleOnMemory {
  control: Int32Array;
  index: number;
  heap: ModuleOnMemory | null;
}
