// The shared control block between the ML worker and the convolution helper threads:
// a generation counter the helpers wait on, one call list and one "done" generation per helper.
import type { KernelCall } from './filter-gradient-plan';
import { KERNEL_PARAMS } from './outer-product-kernel';

export const MAX_HELPERS = 15;
/** Calls per helper per dispatch (a 7×7 filter over 8 image groups is 392; ours stay far below). */
export const MAX_CALLS = 512;
export const CALL_FIELDS = ['fn', ...KERNEL_PARAMS] as const;
export const CALL_INTS = CALL_FIELDS.length;

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

export function writeCall(control: Int32Array, helper: number, index: number, call: KernelCall): void {
  const at = callIndex(helper, index);
  CALL_FIELDS.forEach((field, i) => (control[at + i] = call[field]));
}

/** [function index, ...kernel arguments] of a call written by writeCall. */
export function readCall(control: Int32Array, helper: number, index: number): number[] {
  const at = callIndex(helper, index);
  return Array.from(control.subarray(at, at + CALL_INTS));
}

/** What the ML worker posts to a helper once. */
export interface HelperInit {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  control: Int32Array;
  index: number;
}
