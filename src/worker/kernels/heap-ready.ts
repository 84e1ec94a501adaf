// Whether our kernels on tfjs-wasm's heap (BatchNorm, AdamW) are set up: register.ts answers once it
// has registered them; the op wrappers ask before taking them. False until then.
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
