// Registers our convolution gradient kernels for the wasm backend (no fork of tfjs needed).
import * as tf from '@tensorflow/tfjs';
import {
  backpropInputSupported,
  conv2dBackpropFilter,
  conv2dBackpropInput,
  type ConvGeometry,
} from './conv-backprop';

type KernelFunc = tf.KernelConfig['kernelFunc'];
const BACKEND = 'wasm';
let registered = false;

/**
 * Wraps a TensorInfo handed to a kernel as a Tensor we may use with ops. The engine does not count a
 * reference for such a wrapper, so we add one: disposing the wrapper must not free the caller's data.
 */
function asTensor<T extends tf.Tensor>(info: tf.TensorInfo): T {
  const engine = tf.engine();
  engine.backend.incRef(info.dataId);
  return engine.makeTensorFromTensorInfo(info) as T;
}

export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;

  const filterKernel: KernelFunc = ({ inputs, attrs }) => {
    const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const { filterShape, ...geometry } = attrs as unknown as ConvGeometry & {
      filterShape: [number, number, number, number];
    };
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
      return conv2dBackpropInput(dyt, ft, inputShape, geometry);
    } finally {
      dyt.dispose();
      ft.dispose();
    }
  };

  for (const [kernelName, kernelFunc, setupFunc] of [
    ['Conv2DBackpropFilter', filterKernel, undefined],
    ['Conv2DBackpropInput', inputKernel, stock?.setupFunc],
  ] as const) {
    if (tf.getKernel(kernelName, BACKEND)) tf.unregisterKernel(kernelName, BACKEND);
    tf.registerKernel({ kernelName, backendName: BACKEND, kernelFunc, setupFunc });
  }
}
