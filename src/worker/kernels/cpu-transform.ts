// tfjs-cpu 4.22's Transform kernel (tf.image.transform) returns after the first image of a batch and
// leaves the others black — measured in tests/batch-tensor.test.ts. Registered in its place for the
// cpu backend: the stock kernel once per image, the results joined. Every other backend is untouched
// (their kernels warp the whole batch in one call), so the augmentation's hot path stays one call.
import * as tf from '@tensorflow/tfjs';
import { withTensors } from './tensor-info';

const KERNEL = 'Transform';
const BACKEND = 'cpu';

let registered = false;

export function registerCpuTransform(): void {
  const stock = tf.getKernel(KERNEL, BACKEND);
  if (registered || !stock) return;
  registered = true;
  const kernelFunc: tf.KernelConfig['kernelFunc'] = (args) => {
    const { image, transforms } = args.inputs as { image: tf.TensorInfo; transforms: tf.TensorInfo };
    if (image.shape[0] === 1) return stock.kernelFunc(args);
    const { interpolation, fillMode, fillValue, outputShape } = args.attrs as unknown as {
      interpolation: 'nearest' | 'bilinear';
      fillMode: 'constant' | 'reflect' | 'wrap' | 'nearest';
      fillValue: number;
      outputShape?: [number, number];
    };
    return withTensors([image, transforms], (images, matrices4d) =>
      tf.tidy(() => {
        const matrices = matrices4d as tf.Tensor as tf.Tensor2D;
        const shared = matrices.shape[0] === 1; // one transform for the whole batch
        return tf.concat(
          tf
            .split(images, images.shape[0])
            .map((one, b) =>
              tf.image.transform(
                one as tf.Tensor4D,
                shared ? matrices : tf.slice(matrices, b, 1),
                interpolation,
                fillMode,
                fillValue,
                outputShape,
              ),
            ),
        );
      }),
    );
  };
  tf.unregisterKernel(KERNEL, BACKEND);
  tf.registerKernel({ kernelName: KERNEL, backendName: BACKEND, kernelFunc });
}

registerCpuTransform();
