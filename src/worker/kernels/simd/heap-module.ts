// The module of our kernels that work in place on tfjs-wasm's heap (it imports that memory): the
// outer-product functions (convolutions and filter gradients read and write tensors where tfjs keeps
// them), training BatchNorm's passes, the AdamW update, the packing of filters and MaxPool's gradient. Every engine thread instantiates it where
// the heap is shared (tfjs's threaded build); an unshared heap is imported with no maximum declared.
import { adamwSpec } from './adamw-kernel';
import { BATCHNORM_FUNCTIONS, batchNormSpecs } from './batchnorm-kernel';
import { KERNEL_FUNCTIONS, outerProductSpecs } from './outer-product-kernel';
import { maxPoolGradSpec } from './max-pool-grad-kernel';
import { PACK_FUNCTIONS, packSpecs } from './pack-kernel';
import { moduleBytes } from './wasm-writer';

/** The outer-product functions first, in KernelCall.fn's order: a call's fn indexes both modules. */
export const HEAP_FUNCTIONS = [
  ...KERNEL_FUNCTIONS,
  ...BATCHNORM_FUNCTIONS,
  'adamw',
  ...PACK_FUNCTIONS,
  'maxPoolGrad',
] as const;
export type HeapFunction = (typeof HEAP_FUNCTIONS)[number];

/** The most pages a 32-bit memory has: the maximum we declare for a shared heap. */
const HEAP_MAX_PAGES = 65536;

export function heapModule(shared: boolean, fma: boolean): Uint8Array<ArrayBuffer> {
  return moduleBytes(
    [...outerProductSpecs(fma), ...batchNormSpecs(), adamwSpec(), ...packSpecs(), maxPoolGradSpec()],
    shared ? HEAP_MAX_PAGES : null,
    shared,
  );
}

export function heapFunctions(instance: WebAssembly.Instance): ((...args: number[]) => void)[] {
  return HEAP_FUNCTIONS.map((name) => instance.exports[name] as (...args: number[]) => void);
}
