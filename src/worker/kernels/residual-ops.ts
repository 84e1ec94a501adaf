// The residual add + ReLU that ends each ResNet block, as one differentiable op on our wasm heap
// kernels (batchnorm-kernels.ts): forward max(a + b, 0) in one pass (tfjs: AddN, then Relu), backward
// dy masked where the output is positive, in one pass (tfjs: Step, Cast, Multiply), handed to both
// inputs. The same bits as tfjs's ops. The kernel names are declared here, once.
import * as tf from '@tensorflow/tfjs';
import { heapKernelsReady } from './heap-calls';
import { CHANNEL_BLOCK } from './simd/batchnorm-kernel';

export const RESIDUAL_KERNELS = {
  /** a, b (same shape) → max(a + b, 0). */
  addRelu: 'DeepArtAddRelu',
  /** dy, y → dy where y > 0, else 0. */
  reluMask: 'DeepArtReluMask',
} as const;

const run = (name: string, inputs: tf.NamedTensorMap) => tf.engine().runKernel(name, inputs) as tf.Tensor;

const addRelu = tf.customGrad((...args: unknown[]) => {
  const [a, b] = args as [tf.Tensor, tf.Tensor];
  const save = args[2] as tf.GradSaveFunc;
  const y = run(RESIDUAL_KERNELS.addRelu, { a, b });
  save([y]);
  return {
    value: y,
    gradFunc: (dy: tf.Tensor, [out]: tf.Tensor[]) => {
      const g = run(RESIDUAL_KERNELS.reluMask, { dy, y: out });
      return [g, tf.clone(g)]; // a clone shares the data on wasm (heap-kernels.ts)
    },
  };
});

/** relu(a + b), on our kernels where they apply (float32, whole channel blocks, wasm), else tfjs ops. */
export function residualAddRelu(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const fused =
    a.dtype === 'float32' &&
    b.dtype === 'float32' &&
    tf.util.arraysEqual(a.shape, b.shape) &&
    a.size > 0 &&
    a.shape[a.rank - 1] % CHANNEL_BLOCK === 0 &&
    tf.getKernel(RESIDUAL_KERNELS.addRelu, tf.getBackend()) !== undefined &&
    heapKernelsReady();
  return fused ? addRelu(a, b) : tf.relu(tf.add(a, b));
}
