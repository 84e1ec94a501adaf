// Registers our kernels for the wasm backend (no fork of tfjs needed): the convolutions and their
// gradients on our SIMD outer-product engine over tfjs's heap (conv-kernels.ts), MaxPoolGrad there
// too, an Identity that shares data instead of copying, a Slice that copies from views of the heap
// (the stock one first copies its whole input out) and the transposed matrix product
// (heap-kernels.ts); also training BatchNorm's passes and AdamW on the same engine
// (batchnorm-kernels.ts, adamw-op.ts). The kernels are top-level functions over one small context
// that owns the engine and the caches (kernel-context.ts).
import * as tf from '@tensorflow/tfjs';
import { convolution, filterGradient, fusedConvolution, inputGradient } from './conv-kernels';
import {
  poolGradient,
  sharedIdentity,
  transposedMatMul,
  viewSlice,
  type KernelArgs,
  type KernelFunc,
  type KernelResult,
} from './heap-kernels';
import { batchNormKernels } from './batchnorm-kernels';
import { adamwKernel } from './adamw-op';
import { setHeapKernelsReady } from './heap-calls';
import { KernelContext, type TrainingKernelOptions } from './kernel-context';

export type { TrainingKernelOptions };

const BACKEND = 'wasm';

let context: KernelContext | null = null;

/** Threads our convolution engine runs on right now (0: not created yet). */
export function convolutionEngineThreads(): number {
  return context?.threads ?? 0;
}

/**
 * The most threads that took part in one of our engine's convolutions or filter gradients since
 * the last call (0: none ran on the engine).
 */
export function convolutionThreadsSinceAsked(): number {
  return context?.takeRunThreads() ?? 0;
}

/**
 * The measured SIMD peak of our engine on all its threads (bench:speed's ceiling); null where the
 * engine is not in use (another backend, no WebAssembly SIMD).
 */
export function simdPeak(
  iterations: number,
): { gflops: number; threads: number; fused: boolean; heapThreads: number } | null {
  const engine = context?.simd();
  if (!engine) return null;
  engine.peak(Math.max(1, iterations >> 4)); // warm-up: compiled code, helpers awake
  const { gflops, threads } = engine.peak(iterations);
  return { gflops, threads, fused: engine.fused, heapThreads: engine.onHeap ? engine.heapThreads : 0 };
}

/** Frees the filter caches (after each training job; the next calls rebuild them). */
export function releaseKernelCaches(): void {
  context?.releaseCaches();
}

/** Ours where it applies (non-null), else the stock wasm kernel: the one place that choice is made. */
type OursOrStock = (ctx: KernelContext, args: KernelArgs) => KernelResult | null;

const KERNELS: [name: string, ours: OursOrStock][] = [
  ['Conv2DBackpropFilter', filterGradient],
  ['Conv2DBackpropInput', inputGradient],
  ['Conv2D', convolution],
  ['FusedConv2D', fusedConvolution],
  ['MaxPoolGrad', (ctx, args) => poolGradient(ctx.onHeap(), args)],
  ['BatchMatMul', (_ctx, args) => transposedMatMul(args)],
  ['Identity', (_ctx, args) => sharedIdentity(args)],
  ['Slice', (_ctx, args) => viewSlice(args)],
];

/**
 * Starts the engine and its helpers now, once the wasm backend is set: they compile while the model
 * loads, ready for the first step (else the first kernel call starts them).
 */
export function startWasmTrainingKernels(): void {
  context?.simd();
}

export function registerWasmTrainingKernels(options: TrainingKernelOptions = {}): void {
  if (context) return;
  const ctx = (context = new KernelContext(options));
  for (const [kernelName, kernelFunc] of [
    ...batchNormKernels(() => ctx.simd()),
    adamwKernel(() => ctx.simd()),
  ])
    tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc });
  setHeapKernelsReady(() => ctx.simd()?.onHeap ?? false);
  for (const [kernelName, ours] of KERNELS) {
    // Looked up now: the wasm kernels exist by the time the backend is set. The stock kernel binds
    // its C++ entry point in setupFunc; keep that when we take its place.
    const stock = tf.getKernel(kernelName, BACKEND);
    const kernelFunc: KernelFunc = (args) => {
      const result = ours(ctx, args);
      if (result) return result;
      if (!stock) throw new Error(`${kernelName}: no wasm kernel for these inputs`);
      return stock.kernelFunc(args);
    };
    if (stock) tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, setupFunc: stock?.setupFunc });
  }
}
