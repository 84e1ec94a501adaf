// Registers our WebGPU Conv2DBackpropFilter in place of tfjs-webgpu's (kept for NCHW and for
// bench:speed's comparison): the tiled program, then a pass that adds the split-K partial sums.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { filterGradientPlan, tiledKernelApplies } from './filter-gradient-plan';
import { FilterGradientProgram, SplitSumProgram } from './filter-gradient-program';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];
const BACKEND = 'webgpu';
const KERNEL = 'Conv2DBackpropFilter';

interface FilterGradientAttrs {
  strides: number | [number, number];
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

let stock: KernelFunc | null | undefined;

/** tfjs-webgpu's own filter gradient (null before registration or where it is missing). */
export function stockFilterGradient(): KernelFunc | null {
  return stock ?? null;
}

/** dW on our tiled WebGPU program; null where it does not apply (NCHW, not float32, K < TILE_K). */
export function ourFilterGradient({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo | null {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as FilterGradientAttrs;
  if ((a.dataFormat ?? 'NHWC') !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32') return null;
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    a.filterShape,
    a.strides,
    1,
    a.pad,
    a.dimRoundingMode,
    false,
    'channelsLast',
  );
  const plan = filterGradientPlan(info);
  if (!tiledKernelApplies(plan)) return null;
  const program = new FilterGradientProgram(info, plan);
  const uniforms = [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [info.filterHeight, info.filterWidth] },
    { type: 'int32', data: [plan.kPerSplit] },
  ];
  const gpu = backend as unknown as WebGPUBackend;
  const partials = gpu.runWebGPUProgram(program, [x, dy], 'float32', uniforms);
  if (plan.splits === 1) return partials;
  const sum = gpu.runWebGPUProgram(new SplitSumProgram(a.filterShape), [partials], 'float32', [
    { type: 'int32', data: [plan.splits] },
  ]);
  gpu.disposeData(partials.dataId);
  return sum;
}

export function registerWebGpuTrainingKernels(): void {
  if (stock !== undefined) return;
  const config = tf.getKernel(KERNEL, BACKEND);
  stock = config?.kernelFunc ?? null;
  const kernelFunc: KernelFunc = (args) => {
    const result = ourFilterGradient(args);
    if (result) return result;
    if (!stock) throw new Error(`${KERNEL}: no ${BACKEND} kernel for these inputs`);
    return stock(args);
  };
  if (config) tf.unregisterKernel(KERNEL, BACKEND);
  tf.registerKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc });
}
