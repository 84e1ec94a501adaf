// Registers our training kernels for the wasm backend (no fork of tfjs needed): Conv2D and both of
// its gradients on our SIMD outer-product engine where its tiles fit (else tfjs-built fallbacks),
// MaxPoolGrad in plain JS, and an Identity that shares data instead of copying it.
import * as tf from '@tensorflow/tfjs';
import {
  backpropInputSupported,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  convInfo,
  flipFilter,
  type ConvGeometry,
} from './conv-backprop';
import { maxPoolGrad } from './max-pool-grad';
import { OuterProductEngine } from './simd/engine';
import { convolutionFits } from './simd/convolution-plan';
import { tilesFit, type ConvShape } from './simd/filter-gradient-plan';

type KernelFunc = tf.KernelConfig['kernelFunc'];
const BACKEND = 'wasm';
let registered = false;

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

let engine: OuterProductEngine | null | undefined;
let engineOptions: TrainingKernelOptions = {};

/** Created on first use (it compiles a small module and starts helper threads). */
function outerProductEngine(): OuterProductEngine | null {
  if (engine === undefined)
    engine = OuterProductEngine.create(engineOptions.threads ?? 1, engineOptions.spawnHelper);
  return engine;
}

/** Threads our convolution engine runs on right now (0: not created yet). */
export function convolutionEngineThreads(): number {
  return engine?.threads ?? 0;
}

/**
 * A stride-1 input gradient as a forward convolution of dy with the flipped filter, padded by
 * k − 1 − pad on each side; null for other geometries (strided ones go through conv2dBackpropInput).
 */
function inputGradientShape(info: tf.backend_util.Conv2DInfo): ConvShape | null {
  const unit = info.strideHeight === 1 && info.strideWidth === 1;
  if (!unit || info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  return {
    batch: info.batchSize,
    inHeight: info.outHeight,
    inWidth: info.outWidth,
    inChannels: info.outChannels,
    outHeight: info.inHeight,
    outWidth: info.inWidth,
    outChannels: info.inChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: info.filterHeight - 1 - info.padInfo.top,
    padLeft: info.filterWidth - 1 - info.padInfo.left,
  };
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
 * Flipped filters by the dataId of the filter they came from, for the input gradients that still
 * flip a filter as a tensor (strided ones, and those the engine's tiles do not fit). A training
 * step runs its passes with the same weights, so the flip happens once per step, not once per pass. Entries whose source data is gone (weights updated) are dropped on the next miss.
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

  // Forward convolutions of training (and those inside the input gradient) on our kernel: XNNPACK
  // would repack the weights, which change every step, on one thread. Inference keeps XNNPACK's
  // FusedConv2D, whose packed weights stay cached.
  const stockConv = tf.getKernel('Conv2D', BACKEND);
  const convKernel: KernelFunc = (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const attrs = args.attrs as unknown as ConvGeometry & { dilations?: number | [number, number] };
    const simd = x.dtype === 'float32' && filter.dtype === 'float32' ? outerProductEngine() : null;
    if (simd && (attrs.dataFormat ?? 'NHWC') === 'NHWC') {
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
      if (convolutionFits(shape)) {
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
    }
    if (!stockConv) throw new Error('Conv2D: no wasm kernel for this convolution');
    return stockConv.kernelFunc(args);
  };

  // The stock wasm kernel binds its C++ entry point in setupFunc; keep that when we take its place.
  const stock = tf.getKernel('Conv2DBackpropInput', BACKEND);
  const stockInput = stock?.kernelFunc;
  const inputKernel: KernelFunc = (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const { inputShape, ...geometry } = args.attrs as unknown as ConvGeometry & {
      inputShape: [number, number, number, number];
    };
    const simd = dy.dtype === 'float32' && filter.dtype === 'float32' ? outerProductEngine() : null;
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

  const stockPoolGrad = tf.getKernel('MaxPoolGrad', BACKEND);
  const poolGradKernel: KernelFunc = (args) => {
    const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
    const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
      filterSize: number | [number, number];
      strides: number | [number, number];
      pad: 'valid' | 'same' | number;
      dimRoundingMode?: 'floor' | 'round' | 'ceil';
    };
    if (input.dtype !== 'float32' || input.shape.length !== 4) {
      if (!stockPoolGrad) throw new Error('MaxPoolGrad: unsupported input on wasm');
      return stockPoolGrad.kernelFunc(args);
    }
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
  };

  for (const [kernelName, kernelFunc, setupFunc] of [
    ['Conv2DBackpropFilter', filterKernel, undefined],
    ['Conv2DBackpropInput', inputKernel, stock?.setupFunc],
    ['Conv2D', convKernel, stockConv?.setupFunc],
    ['MaxPoolGrad', poolGradKernel, stockPoolGrad?.setupFunc],
    // Looked up here, like the stock input-gradient kernel: the wasm kernels exist by now.
    ['Identity', sharedIdentity(tf.getKernel('Identity', BACKEND)?.kernelFunc), undefined],
  ] as const) {
    if (tf.getKernel(kernelName, BACKEND)) tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, setupFunc });
  }
}
