// Registers our training kernels for the wasm backend (no fork of tfjs needed): Conv2D and both of
// its gradients on our SIMD outer-product engine where its tiles fit (else the stock kernel or a
// tfjs-built fallback), MaxPoolGrad in plain JS, an Identity that shares data instead of copying, and
// a Slice that copies from views of the heap (the stock one first copies its whole input out).
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
import { maxPoolGrad } from './max-pool-grad';
import { copySlice } from './slice';
import { withTensors } from './tensor-info';
import { OuterProductEngine } from './simd/engine';
import { convolutionFits } from './simd/convolution-plan';
import { tilesFit } from './simd/filter-gradient-plan';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];
type KernelResult = ReturnType<KernelFunc>;
const BACKEND = 'wasm';

export interface TrainingKernelOptions {
  /** Threads for our convolution engine (the machine's cores); 1 without helpers. */
  threads?: number;
  /** Starts one convolution helper worker (absent in Node: one thread). */
  spawnHelper?: () => Worker;
}

/** The wasm backend's heap, as its kernels use it. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

function backendHolds(dataId: object): boolean {
  const backend = tf.engine().backend as unknown as { dataIdMap?: { has(id: object): boolean } };
  return backend.dataIdMap?.has(dataId) ?? false;
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

  /** Created on first use (it compiles a small module and starts helper threads). */
  simd(): OuterProductEngine | null {
    if (this.engine === undefined)
      this.engine = OuterProductEngine.create(this.options.threads ?? 1, this.options.spawnHelper);
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
export function simdPeak(iterations: number): { gflops: number; threads: number; fused: boolean } | null {
  const engine = context?.simd();
  if (!engine) return null;
  engine.peak(Math.max(1, iterations >> 4)); // warm-up: compiled code, helpers awake
  const { gflops, threads } = engine.peak(iterations);
  return { gflops, threads, fused: engine.fused };
}

/** Frees the flipped-filter cache (after each training job; the next step rebuilds it). */
export function releaseKernelCaches(): void {
  context?.releaseCaches();
}

const float32 = (...infos: tf.TensorInfo[]) => infos.every((i) => i.dtype === 'float32');

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

/** MaxPoolGrad for float32 NHWC in plain JS; null: stock. */
function poolGradient(_ctx: KernelContext, args: KernelArgs): KernelResult | null {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (input.dtype !== 'float32' || input.shape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const heap = args.backend as unknown as WasmHeap;
  const out = heap.makeOutput(input.shape, 'float32');
  maxPoolGrad(
    heap.typedArrayFromHeap(input),
    heap.typedArrayFromHeap(dy),
    convShape(info),
    heap.typedArrayFromHeap(out),
  );
  return out;
}

/**
 * BatchMatMul with a transposed operand: tfjs-wasm 4.22 runs those up to ~30× slower than the plain
 * product (the head's weight gradient x^T·dy, [4096, 16]·[16, 512]: 105 ms against 3.3 ms, measured
 * in Node), and every dense layer's backward pass has one of each. Ours runs the plain kernel on
 * explicitly transposed operands, in whichever of two equal forms copies fewer elements:
 * op(A)·op(B), or (op(B)^T·op(A)^T)^T — for dy·W^T that transposes dy and the [16, 4096] result
 * instead of the 2M-element weights. Agrees with the cpu backend to rounding
 * (tests/wasm-matmul.test.ts). Null: no transpose (the stock kernel), or not float32.
 */
function transposedMatMul(_ctx: KernelContext, args: KernelArgs): KernelResult | null {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA: ta, transposeB: tb } = args.attrs as unknown as {
    transposeA: boolean;
    transposeB: boolean;
  };
  if ((!ta && !tb) || !float32(a, b)) return null;
  const size = (info: tf.TensorInfo) => tf.util.sizeFromShape(info.shape);
  const rows = (info: tf.TensorInfo, transposed: boolean) =>
    info.shape[info.shape.length - (transposed ? 1 : 2)];
  const cols = (info: tf.TensorInfo, transposed: boolean) =>
    info.shape[info.shape.length - (transposed ? 2 : 1)];
  const batch = Math.max(
    size(a) / (a.shape.at(-1)! * a.shape.at(-2)!),
    size(b) / (b.shape.at(-1)! * b.shape.at(-2)!),
  );
  const outSize = batch * rows(a, ta) * cols(b, tb);
  const direct = (ta ? size(a) : 0) + (tb ? size(b) : 0);
  const swapped = (tb ? 0 : size(b)) + (ta ? 0 : size(a)) + outSize;
  const T = (t: tf.Tensor) => tf.transpose(t, [...Array(t.rank - 2).keys(), t.rank - 1, t.rank - 2]);
  return withTensors([a, b], (at, bt) =>
    tf.tidy(() =>
      direct <= swapped
        ? tf.matMul(ta ? T(at) : at, tb ? T(bt) : bt)
        : T(tf.matMul(tb ? bt : T(bt), ta ? at : T(at))),
    ),
  );
}

/** One more reference to x's data, as a result: tfjs data is immutable, so results may share it. */
function shareData(backend: KernelArgs['backend'], x: tf.TensorInfo): KernelResult {
  (backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Slice from views of the heap (stock: reads a copy of the whole input first); a slice of the whole
 * tensor shares its data, as Identity does, instead of copying it. Strings: stock.
 */
function viewSlice(_ctx: KernelContext, args: KernelArgs): KernelResult | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string' || x.dtype === 'complex64') return null;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
  const [begin_, size_] = tf.slice_util.parseSliceParams(x, begin, size);
  if (begin_.every((b) => b === 0) && tf.util.arraysEqual(size_, x.shape)) return shareData(args.backend, x);
  const heap = args.backend as unknown as WasmHeap;
  const out = heap.makeOutput(size_, x.dtype);
  // Views after the allocation: growing a non-shared heap detaches the old ones.
  copySlice(heap.typedArrayFromHeap(x), x.shape, begin_, size_, heap.typedArrayFromHeap(out));
  return out;
}

/**
 * tf.clone without a copy. The engine clones every tensor a gradient needs (saved activations), and
 * tfjs-wasm's Identity copies the buffer: ≈ 950 copies per ResNet50 step, and every saved activation
 * held twice. tfjs data is immutable, so the clone may share it (as the cpu, webgl and webgpu
 * backends do): one more reference, freed with the last one. Strings: stock.
 */
function sharedIdentity(_ctx: KernelContext, args: KernelArgs): KernelResult | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return null;
  return shareData(args.backend, x);
}

/** Ours where it applies (non-null), else the stock wasm kernel: the one place that choice is made. */
type OursOrStock = (ctx: KernelContext, args: KernelArgs) => KernelResult | null;

const KERNELS: [name: string, ours: OursOrStock][] = [
  ['Conv2DBackpropFilter', filterGradient],
  ['Conv2DBackpropInput', inputGradient],
  ['Conv2D', convolution],
  ['MaxPoolGrad', poolGradient],
  ['BatchMatMul', transposedMatMul],
  ['Identity', sharedIdentity],
  ['Slice', viewSlice],
];

export function registerWasmTrainingKernels(options: TrainingKernelOptions = {}): void {
  if (context) return;
  const ctx = (context = new KernelContext(options));
  // With helpers, start them now: they compile while the model loads, ready for the first step.
  if (options.spawnHelper) ctx.simd();
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
