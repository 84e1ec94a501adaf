// Which failures mean the device ran out of memory: each engine says it in its own words (WebGL
// and WebGPU allocation failures, wasm's "memory access out of bounds" or abort, the JS heap).
const OUT_OF_MEMORY =
  /out of memory|OOM|failed to allocate|Array buffer allocation failed|memory access out of bounds|Aborted\(/i;

export function isOutOfMemory(error: unknown): boolean {
  return OUT_OF_MEMORY.test(error instanceof Error ? error.message : String(error));
}
