// Our wasm convolution kernels (registered by register.ts in place of the stock ones): Conv2D and
// FusedConv2D as one call of the SIMD engine on tfjs's heap (bias and ReLU in its store), and both
// gradients — on the engine where its tiles fit, else tfjs-built fallbacks or the stock kernel.
import * as tf from '@tensorflow/tfjs';
import {
  backpropInputSupported,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  convInfo,
  type ConvGeometry,
} from './conv-backprop';
import { asPixelRun, convShape, inputGradientShape, stridedPointwiseGradientShape } from './conv-shapes';
import { spreadStrided } from './slice';
import { heapSpan, withScratch } from './heap-calls';
import { float32, type KernelArgs, type KernelResult, type WasmHeap } from './heap-kernels';
import type { KernelContext } from './kernel-context';
import { withTensors } from './tensor-info';
import { convolutionFits } from './simd/convolution-plan';
import { tilesFit, type ConvShape } from './simd/filter-gradient-plan';
import type { ConvolutionOptions, OuterProductEngine } from './simd/engine';

/** dFilter: our engine when its tiles fit, else a tfjs-built fallback. */
export function filterGradient(ctx: KernelContext, { inputs, attrs, backend }: KernelArgs): KernelResult {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape, ...geometry } = attrs as unknown as ConvGeometry & {
    filterShape: [number, number, number, number];
  };
  const shape = convShape(convInfo(x.shape, filterShape, geometry));
  const simd = float32(x, dy) && tilesFit(shape) ? ctx.onHeap() : null;
  if (!simd) return withTensors([x, dy], (xt, dyt) => conv2dBackpropFilter(xt, dyt, filterShape, geometry));
  const heap = backend as unknown as WasmHeap;
  const out = heap.makeOutput(filterShape, 'float32');
  withScratch(heap, (scratch) =>
    simd.filterGradient(heapSpan(heap, x), heapSpan(heap, dy), shape, heapSpan(heap, out), scratch),
  );
  return out;
}

/** The engine's call: its geometry, the bottom and right padding, the output's shape. */
interface EngineConvolution {
  engine: OuterProductEngine;
  shape: ConvShape;
  padBottom: number;
  padRight: number;
  outShape: number[];
}

/** The engine's geometry of a forward convolution; null where the engine does not take it. */
function forwardShape(
  ctx: KernelContext,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  attrs: ConvGeometry & { dilations?: number | [number, number] },
): EngineConvolution | null {
  const engine = float32(x, filter) && (attrs.dataFormat ?? 'NHWC') === 'NHWC' ? ctx.onHeap() : null;
  if (!engine) return null;
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
  const { bottom: padBottom, right: padRight } = info.padInfo;
  const shape = asPixelRun(convShape(info), padBottom, padRight);
  return convolutionFits(shape) ? { engine, shape, padBottom, padRight, outShape: info.outShape } : null;
}

/**
 * Forward convolutions of training (and those inside the input gradient) on our kernel: XNNPACK
 * would repack the weights, which change every step, on one thread. Null: not ours (stock).
 */
export function convolution(ctx: KernelContext, args: KernelArgs): KernelResult | null {
  const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
  const plan = forwardShape(ctx, x, filter, args.attrs as unknown as ConvGeometry);
  return plan && forward(plan, args.backend as unknown as WasmHeap, x, filter);
}

/** One convolution call of the engine into a new output tensor, its scratch freed after. */
function forward(
  plan: EngineConvolution,
  heap: WasmHeap,
  x: tf.TensorInfo,
  filter: tf.TensorInfo,
  options?: ConvolutionOptions,
): tf.TensorInfo {
  const out = heap.makeOutput(plan.outShape, 'float32');
  withScratch(heap, (scratch) =>
    plan.engine.convolution(
      heapSpan(heap, x),
      heapSpan(heap, filter),
      plan.shape,
      plan.padBottom,
      plan.padRight,
      heapSpan(heap, out),
      scratch,
      options,
    ),
  );
  return out;
}

/**
 * conv + bias (→ ReLU): inference with BatchNorm folded, and the frozen body's convolutions. Their
 * weights stay fixed from call to call, so the packed filter is cached (as XNNPACK caches its own);
 * bias and ReLU are applied as the kernel stores its result. Other activations, a PReLU or a bias
 * that is not one per channel: stock (XNNPACK).
 */
export function fusedConvolution(ctx: KernelContext, args: KernelArgs): KernelResult | null {
  const { x, filter, bias, preluActivationWeights } = args.inputs as Record<
    string,
    tf.TensorInfo | undefined
  >;
  const attrs = args.attrs as unknown as ConvGeometry & { activation?: string };
  const activation = attrs.activation ?? 'linear';
  if (!x || !filter || preluActivationWeights || (activation !== 'linear' && activation !== 'relu'))
    return null;
  const plan = forwardShape(ctx, x, filter, attrs);
  if (!plan) return null;
  if (bias && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== plan.shape.outChannels))
    return null;
  const heap = args.backend as unknown as WasmHeap;
  const packedAt = ctx.packedFilter(plan.engine, heap, filter, plan.shape);
  return forward(plan, heap, x, filter, {
    packedAt,
    bias: bias && heapSpan(heap, bias),
    relu: activation === 'relu',
  });
}

/** dInput: a forward convolution of dy on our engine, else our tfjs-built gradient; null: stock. */
export function inputGradient(ctx: KernelContext, args: KernelArgs): KernelResult | null {
  const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { inputShape, ...geometry } = args.attrs as unknown as ConvGeometry & {
    inputShape: [number, number, number, number];
  };
  const simd = float32(dy, filter) ? ctx.onHeap() : null;
  const info = convInfo(inputShape, filter.shape, geometry);
  const gradientShape = simd ? inputGradientShape(info) : null;
  const [padBottom, padRight] = [
    info.filterHeight - 1 - info.padInfo.bottom,
    info.filterWidth - 1 - info.padInfo.right,
  ];
  const shape = gradientShape && asPixelRun(gradientShape, padBottom, padRight);
  const heap = args.backend as unknown as WasmHeap;
  if (simd && shape && convolutionFits(shape)) {
    const plan = { engine: simd, shape, padBottom, padRight, outShape: inputShape };
    return forward(plan, heap, dy, filter, { flipped: true });
  }
  const strided = simd && stridedPointwiseGradientShape(info);
  if (simd && strided && convolutionFits(strided)) {
    // On dy's grid, then spread onto every s-th input pixel (tfjs-built: a transpose, two pads).
    const grid = [info.batchSize, info.outHeight, info.outWidth, info.inChannels];
    const plan = { engine: simd, shape: strided, padBottom: 0, padRight: 0, outShape: grid };
    const g = forward(plan, heap, dy, filter, { flipped: true });
    const out = heap.makeOutput(inputShape, 'float32');
    // Views after the allocation: growing a non-shared heap detaches the old ones.
    const { outHeight, outWidth, strideHeight, strideWidth } = info;
    const [gView, outView] = [heap.typedArrayFromHeap(g), heap.typedArrayFromHeap(out)];
    spreadStrided(gView, outView, inputShape, outHeight, outWidth, strideHeight, strideWidth);
    heap.disposeData(g.dataId);
    return out;
  }
  if (!backpropInputSupported(inputShape, filter.shape, geometry)) return null;
  return withTensors([dy, filter], (dyt, ft) =>
    conv2dBackpropInput(dyt, ft, inputShape, geometry, ctx.cachedFlip(filter.dataId)),
  );
}
