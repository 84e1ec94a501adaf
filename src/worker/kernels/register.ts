// Registers our convolution gradient kernels for the wasm backend (no fork of tfjs needed).
import * as tf from '@tensorflow/tfjs';
import {
  backpropInputSupported,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  convInfo,
  flipFilter,
  type ConvGeometry,
} from './conv-backprop';
import { OuterProductEngine } from './simd/engine';
import { tilesFit, type ConvShape } from './simd/filter-gradient-plan';

type KernelFunc = tf.KernelConfig['kernelFunc'];
const BACKEND = 'wasm';
let registered = false;

export interface TrainingKernelOptions {
  /** Threads for the filter-gradient kernel (the machine's cores); 1 without helpers. */
  threads?: number;
  /** Starts one filter-gradient helper worker (absent in Node: one thread). */
  spawnHelper?: () => Worker;
}

/** The wasm backend's heap, as its kernels use it. */
interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

let engine: OuterProductEngine | null | undefined;
let engineOptions: TrainingKernelOptions = {};

/** Created on first use (it compiles a small module and starts helper threads). */
function outerProductEngine(): OuterProductEngine | null {
  if (engine === undefined)
    engine = OuterProductEngine.create(engineOptions.threads ?? 1, engineOptions.spawnHelper);
  return engine;
}

/** What the filter-gradient kernel runs on right now (for the status bar and the benchmark). */
export function filterGradientThreads(): number {
  return engine?.threads ?? 0;
}

function convShape(info: tf.backend_util.Conv2DInfo): ConvShape {
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Wraps a TensorInfo handed to a kernel as a Tensor we may use with ops. The engine does not count a
 * reference for such a wrapper, so we add one: disposing the wrapper must not free the caller's data.
 */
function asTensor<T extends tf.Tensor>(info: tf.TensorInfo): T {
  const engine = tf.engine();
  engine.backend.incRef(info.dataId);
  return engine.makeTensorFromTensorInfo(info) as T;
}

/**
 * Flipped filters by the dataId of the filter they came from. A training step runs its passes with
 * the same weights, so the flip (a transpose, ≈ 12 ms for a 3×3×512×512 filter) and XNNPACK's
 * packing of the flipped filter (cached by tfjs-wasm per filter tensor) happen once per step, not
 * once per pass. Entries whose source data is gone (weights updated) are dropped on the next miss.
 */
const flippedFilters = new Map<object, tf.Tensor4D>();

function backendHolds(dataId: object): boolean {
  const backend = tf.engine().backend as unknown as { dataIdMap?: { has(id: object): boolean } };
  return backend.dataIdMap?.has(dataId) ?? false;
}

function flippedShape([kh, kw, ci, co]: number[]): number[] {
  return [kh, kw, co, ci];
}

function cachedFlip(dataId: object): (filter: tf.Tensor4D) => tf.Tensor4D {
  return (filter) => {
    const hit = flippedFilters.get(dataId);
    // A reshaped view shares its dataId: only a filter of the same shape may reuse the flip.
    if (hit && tf.util.arraysEqual(hit.shape, flippedShape(filter.shape))) return hit;
    for (const [id, flipped] of flippedFilters) {
      if (id !== dataId && backendHolds(id)) continue;
      flipped.dispose();
      flippedFilters.delete(id);
    }
    const flipped = tf.keep(flipFilter(filter));
    flippedFilters.set(dataId, flipped);
    return flipped;
  };
}

/** Frees the flipped-filter cache (after each training job; the next step rebuilds it). */
export function releaseKernelCaches(): void {
  for (const flipped of flippedFilters.values()) flipped.dispose();
  flippedFilters.clear();
}

/**
 * tf.clone without a copy. The engine clones every tensor a gradient needs (saved activations), and
 * tfjs-wasm's Identity copies the buffer: ≈ 950 copies per ResNet50 step, and every saved activation
 * held twice. tfjs data is immutable, so the clone may share it (as the cpu, webgl and webgpu
 * backends do): one more reference, freed with the last one.
 */
function sharedIdentity(stockIdentity: KernelFunc | undefined): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (x.dtype === 'string' && stockIdentity) return stockIdentity(args);
    (args.backend as tf.KernelBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

export function registerWasmTrainingKernels(options: TrainingKernelOptions = {}): void {
  if (registered) return;
  registered = true;
  engineOptions = options;
  // With helpers, start them now: they compile while the model loads, ready for the first step.
  if (options.spawnHelper) outerProductEngine();

  const filterKernel: KernelFunc = ({ inputs, attrs, backend }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { filterShape, ...geometry } = attrs as unknown as ConvGeometry & {
      filterShape: [number, number, number, number];
    };
    const shape = convShape(convInfo(x.shape, filterShape, geometry));
    const simd =
      x.dtype === 'float32' && dy.dtype === 'float32' && tilesFit(shape) ? outerProductEngine() : null;
    if (simd) {
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
    const [xt, dyt] = [asTensor<tf.Tensor4D>(x), asTensor<tf.Tensor4D>(dy)];
    try {
      return conv2dBackpropFilter(xt, dyt, filterShape, geometry);
    } finally {
      xt.dispose();
      dyt.dispose();
    }
  };

  // The stock wasm kernel binds its C++ entry point in setupFunc; keep that when we take its place.
  const stock = tf.getKernel('Conv2DBackpropInput', BACKEND);
  const stockInput = stock?.kernelFunc;
  const inputKernel: KernelFunc = (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { inputShape, ...geometry } = args.attrs as unknown as ConvGeometry & {
      inputShape: [number, number, number, number];
    };
    if (!backpropInputSupported(inputShape, filter.shape, geometry)) {
      if (!stockInput) throw new Error('Conv2DBackpropInput: unsupported geometry on wasm');
      return stockInput(args);
    }
    const [dyt, ft] = [asTensor<tf.Tensor4D>(dy), asTensor<tf.Tensor4D>(filter)];
    try {
      return conv2dBackpropInput(dyt, ft, inputShape, geometry, cachedFlip(filter.dataId));
    } finally {
      dyt.dispose();
      ft.dispose();
    }
  };

  for (const [kernelName, kernelFunc, setupFunc] of [
    ['Conv2DBackpropFilter', filterKernel, undefined],
    ['Conv2DBackpropInput', inputKernel, stock?.setupFunc],
    // Looked up here, like the stock input-gradient kernel: the wasm kernels exist by now.
    ['Identity', sharedIdentity(tf.getKernel('Identity', BACKEND)?.kernelFunc), undefined],
  ] as const) {
    if (tf.getKernel(kernelName, BACKEND)) tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, setupFunc });
  }
}
