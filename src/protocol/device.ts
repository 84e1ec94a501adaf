// The compute device as the worker reports it: backends, the race between them, memory, benchmarks.

export const BACKENDS = ['webgpu', 'webgl', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKENDS)[number];

export function isBackendName(value: unknown): value is BackendName {
  return typeof value === 'string' && (BACKENDS as readonly string[]).includes(value);
}

/**
 * Backends that compute in the CPU's own memory: reading a vector back costs a copy, not a GPU round
 * trip, and memory is wasm32's 4 GiB heap (or the JS heap), not a GPU's.
 */
export function isHostMemoryBackend(backend: string): boolean {
  return backend === 'wasm' || backend === 'cpu';
}

export interface DeviceInfo {
  backend: BackendName;
  /** Human name of the adapter/renderer, e.g. "NVIDIA GeForce …" or "SwiftShader". */
  adapter: string;
  /** A software WebGPU adapter (SwiftShader): used only when asked for; its shaders compile slowly. */
  softwareGpu?: boolean;
  /** wasm threads in use (1 when not cross-origin isolated). */
  threads: number;
  /** Why the preferred backend was not used, when the worker fell back. */
  fallbackReason?: string;
  /** How webgpu and wasm compared in a timed training step on this device, when they were raced. */
  race?: BackendRace;
}

export interface BackendRace {
  winner: 'webgpu' | 'wasm';
  webgpuMs: number;
  wasmMs: number;
  measuredAt: number;
  /** True when this is a stored result from an earlier visit (measured once per adapter). */
  cached: boolean;
}

export type ModelState =
  | { kind: 'idle' }
  | { kind: 'loading'; fraction: number }
  | { kind: 'warming' }
  | { kind: 'ready' }
  | { kind: 'error'; message: string };

export interface Prediction {
  index: number;
  label: string;
  probability: number;
}

export interface MemoryInfo {
  numTensors: number;
  numBytes: number;
}

export interface BenchArgs {
  mode: 'inference' | 'train';
  size: number;
  batch: number;
  /** Training accumulates gradients over passes of this many images (default: the app's own). */
  microBatch?: number;
  steps: number;
  warmup: number;
  /** Stop after one measured step slower than this. */
  budgetSeconds?: number;
  /** Also return the kernels that took the most time in one extra step. */
  profile?: boolean;
  /** false: BatchNorm and AdamW as tfjs ops instead of our kernels on tfjs's heap (wasm; A/B). */
  heapKernels?: boolean;
}

/** bench:speed --kernels and the WebGPU kernel parity test: ResNet50's filter gradients, one row per shape. */
export interface KernelReportArgs {
  /** Input size of ResNet50 whose convolution shapes are taken. */
  size: number;
  batch: number;
  /** Compare ours with the cpu backend (max |Δ| / max |cpu|). */
  check: boolean;
  /** Time tfjs-webgpu's kernel, ours and tfjs's matMul of the same size (ms per call). */
  time: boolean;
  /** Timed calls after one warm-up (fewer where one call exceeds the budget). */
  repeats?: number;
}

export interface FilterGradientRow {
  /** e.g. "3×3 s1 64→64 at 32×32". */
  shape: string;
  /** Layers of ResNet50 with this shape. */
  layers: number;
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid';
  flops: number;
  /** Partial sums our kernel adds (split-K). */
  splits: number;
  /** Our tiled kernel takes this shape (false: K is shorter than one step, tfjs's kernel runs). */
  ours: boolean;
  relativeError?: number;
  tfjsMs?: number;
  oursMs?: number;
  matmulMs?: number;
}

export interface KernelReport {
  rows: FilterGradientRow[];
  tensorsLeaked: number;
}

export interface KernelTime {
  /** The kernel's name; a convolution's also names its shapes (x, filter, output or dy). */
  name: string;
  ms: number;
  calls: number;
  /** A convolution's FLOPs over its calls (2 per multiply-add), for its GFLOP/s. */
  flops?: number;
}

export interface BenchResult {
  stepSeconds: number[];
  imagesPerSecond: number;
  /** Floating-point operations per image of the measured step (convolutions and dense, ×2 per MAC). */
  flopsPerImage: number;
  microBatch: number;
  tensorsLeaked: number;
  topKernels?: KernelTime[];
}
