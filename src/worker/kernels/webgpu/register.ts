// Registers our WebGPU Conv2DBackpropFilter in place of tfjs-webgpu's (kept for NCHW and for
// bench:speed's comparison): the tiled program, then a pass that adds the split-K partial sums.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { convInfo, type ConvGeometry } from '../conv-backprop';
import { filterGradientPlan, tiledKernelApplies } from './filter-gradient-plan';
import { FilterGradientProgram, SplitSumProgram } from './filter-gradient-program';

type KernelFunc = tf.KernelConfig['kernelFunc'];
type KernelArgs = Parameters<KernelFunc>[0];
const BACKEND = 'webgpu';
const KERNEL = 'Conv2DBackpropFilter';

let stock: KernelFunc | null | undefined;

/** tfjs-webgpu's own filter gradient (null before registration or where it is missing). */
export function stockFilterGradient(): KernelFunc | null {
  return stock ?? null;
}

/** dW on our tiled WebGPU program; null where it does not apply (NCHW, not float32, K < TILE_K). */
export function ourFilterGradient({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo | null {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const { filterShape, ...geometry } = attrs as unknown as ConvGeometry & {
    filterShape: [number, number, number, number];
  };
  if ((geometry.dataFormat ?? 'NHWC') !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32')
    return null;
  const info = convInfo(x.shape, filterShape, geometry);
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
  const sum = gpu.runWebGPUProgram(new SplitSumProgram(filterShape), [partials], 'float32', [
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
