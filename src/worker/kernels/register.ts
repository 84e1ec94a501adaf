// Registers our training kernels for the wasm backend (no fork of tfjs needed): Conv2D and both of
// its gradients on our SIMD outer-product engine where its tiles fit (else the stock kernel or a
// tfjs-built fallback), MaxPoolGrad in plain JS, an Identity that shares data instead of copying, and
// a Slice that copies from views of the heap (the stock one first copies its whole input out) — those
// three and the transposed matrix product in heap-kernels.ts. Also training BatchNorm's full-size
// passes on the same engine, over tfjs's heap (batchnorm-ops.ts, batchnorm-kernels.ts).
// The kernels are top-level functions over one small context that owns the engine and the caches.
import * as tf from '@tensorflow/tfjs';
import {
  backpropInputSupported,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  convInfo,
  flipFilter,
  type ConvGeometry,
} from './conv-backprop';
import { convShape, inputGradientShape } from './conv-shapes';
import {
  float32,
  poolGradient,
  sharedIdentity,
  transposedMatMul,
  viewSlice,
  type KernelArgs,
  type KernelFunc,
  type KernelResult,
  type WasmHeap,
} from './heap-kernels';
import { batchNormKernels } from './batchnorm-kernels';
import { adamwKernel } from './adamw-op';
import { setHeapKernelsReady } from './heap-calls';
import { withTensors } from './tensor-info';
import { OuterProductEngine } from './simd/engine';
import { convolutionFits } from './simd/convolution-plan';
import { tilesFit } from './simd/filter-gradient-plan';

const BACKEND = 'wasm';

export interface TrainingKernelOptions {
  /** Threads for our convolution engine (the machine's cores); 1 without helpers. */
  threads?: number;
  /** Starts one convolution helper worker (absent in Node: one thread). */
  spawnHelper?: () => Worker;
}

function backendHolds(dataId: object): boolean {
  const backend = tf.engine().backend as unknown as { dataIdMap?: { has(id: object): boolean } };
  return backend.dataIdMap?.has(dataId) ?? false;
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

/** What our kernels share: the SIMD engine (created on first use) and the flipped-filter cache. */
class KernelContext {
  private engine: OuterProductEngine | null | undefined;
  /**
   * Flipped filters by the dataId of the filter they came from, for the input gradients that still
   * flip a filter as a tensor (strided ones, and those the engine's tiles do not fit). A training
   * step runs its passes with the same weights, so the flip happens once per step, not once per
   * pass. Entries whose source data is gone (weights updated) are dropped on the next miss.
   */
  private readonly flipped = new Map<object, tf.Tensor4D>();

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

  get threads(): number {
    return this.engine?.threads ?? 0;
  }

  cachedFlip(dataId: object): (filter: tf.Tensor4D) => tf.Tensor4D {
    return (filter) => {
      const hit = this.flipped.get(dataId);
      // A reshaped view shares its dataId: only a filter of the same shape may reuse the flip.
      if (hit && tf.util.arraysEqual(hit.shape, flippedShape(filter.shape))) return hit;
      for (const [id, flipped] of this.flipped) {
        if (id !== dataId && backendHolds(id)) continue;
        flipped.dispose();
        this.flipped.delete(id);
      }
      const flipped = tf.keep(flipFilter(filter));
      this.flipped.set(dataId, flipped);
      return flipped;
    };
  }

  releaseCaches(): void {
    for (const flipped of this.flipped.values()) flipped.dispose();
    this.flipped.clear();
  }
}

let context: KernelContext | null = null;

/** Threads our convolution engine runs on right now (0: not created yet). */
export function convolutionEngineThreads(): number {
  return context?.threads ?? 0;
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

/** Frees the flipped-filter cache (after each training job; the next step rebuilds it). */
export function releaseKernelCaches(): void {
  context?.releaseCaches();
}

/** dFilter: our engine when its tiles fit, else a tfjs-built fallback. */
function filterGradient(ctx: KernelContext, { inputs, attrs, backend }: KernelArgs): KernelResult {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape, ...geometry } = attrs as unknown as ConvGeometry & {
    filterShape: [number, number, number, number];
  };
  const shape = convShape(convInfo(x.shape, filterShape, geometry));
  const simd = float32(x, dy) && tilesFit(shape) ? ctx.simd() : null;
  if (!simd) return withTensors([x, dy], (xt, dyt) => conv2dBackpropFilter(xt, dyt, filterShape, geometry));
  const heap = backend as unknown as WasmHeap;
  // Views after the allocation: growing a non-shared heap detaches the old ones.
  const out = heap.makeOutput(filterShape, 'float32');
  simd.filterGradient(
    heap.typedArrayFromHeap(x),
    heap.typedArrayFromHeap(dy),
    shape,
    heap.typedArrayFromHeap(out),
  );
  return out;
}

/**
 * Forward convolutions of training (and those inside the input gradient) on our kernel: XNNPACK
 * would repack the weights, which change every step, on one thread. Inference keeps XNNPACK's
 * FusedConv2D, whose packed weights stay cached. Null: not ours (the stock kernel runs).
 */
function convolution(ctx: KernelContext, args: KernelArgs): KernelResult | null {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const attrs = args.attrs as unknown as ConvGeometry & { dilations?: number | [number, number] };
  const simd = float32(x, filter) && (attrs.dataFormat ?? 'NHWC') === 'NHWC' ? ctx.simd() : null;
  if (!simd) return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    attrs.strides,
    attrs.dilations ?? 1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
  const shape = convShape(info);
  if (!convolutionFits(shape)) return null;
  const heap = args.backend as unknown as WasmHeap;
  const out = heap.makeOutput(info.outShape, 'float32');
  simd.convolution(
    heap.typedArrayFromHeap(x),
    heap.typedArrayFromHeap(filter),
    shape,
    info.padInfo.bottom,
    info.padInfo.right,
    heap.typedArrayFromHeap(out),
  );
  return out;
}

/** dInput: a forward convolution of dy on our engine, else our tfjs-built gradient; null: stock. */
function inputGradient(ctx: KernelContext, args: KernelArgs): KernelResult | null {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape, ...geometry } = args.attrs as unknown as ConvGeometry & {
    inputShape: [number, number, number, number];
  };
  const simd = float32(dy, filter) ? ctx.simd() : null;
  const info = convInfo(inputShape, filter.shape, geometry);
  const shape = simd ? inputGradientShape(info) : null;
  if (simd && shape && convolutionFits(shape)) {
    const heap = args.backend as unknown as WasmHeap;
    const out = heap.makeOutput(inputShape, 'float32');
    simd.convolution(
      heap.typedArrayFromHeap(dy),
      heap.typedArrayFromHeap(filter),
      shape,
      info.filterHeight - 1 - info.padInfo.bottom,
      info.filterWidth - 1 - info.padInfo.right,
      heap.typedArrayFromHeap(out),
      true,
    );
    return out;
  }
  if (!backpropInputSupported(inputShape, filter.shape, geometry)) return null;
  return withTensors([dy, filter], (dyt, ft) =>
    conv2dBackpropInput(dyt, ft, inputShape, geometry, ctx.cachedFlip(filter.dataId)),
  );
}

/** Ours where it applies (non-null), else the stock wasm kernel: the one place that choice is made. */
type OursOrStock = (ctx: KernelContext, args: KernelArgs) => KernelResult | null;

const KERNELS: [name: string, ours: OursOrStock][] = [
  ['Conv2DBackpropFilter', filterGradient],
  ['Conv2DBackpropInput', inputGradient],
  ['Conv2D', convolution],
  ['MaxPoolGrad', (_ctx, args) => poolGradient(args)],
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
