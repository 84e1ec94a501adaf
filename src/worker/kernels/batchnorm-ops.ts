// Training BatchNorm's full-size passes as four tfjs kernels of ours (wasm: SIMD on tfjs's heap, on
// every engine thread; batchnorm-kernels.ts). batchnorm.ts asks fusedBatchNormOps(x) and uses them
// where they apply, its tfjs-op formulation elsewhere. The kernel names are declared here, once.
import * as tf from '@tensorflow/tfjs';
import { heapKernelsReady } from './heap-calls';
import { CHANNEL_BLOCK } from './simd/batchnorm-kernel';

export const BATCHNORM_KERNELS = {
  /** x [..., C] → [2, C]: Σx, Σx² per channel. */
  moments: 'DeepArtBatchNormMoments',
  /** x, scale [C], shift [C]; attrs { relu } → x·scale + shift (+ ReLU). */
  affine: 'DeepArtBatchNormAffine',
  /** dy, x, y; attrs { relu } → [2, C]: Σg, Σg·x per channel (g = dy, where y > 0 after a ReLU). */
  gradSums: 'DeepArtBatchNormGradSums',
  /** dy, x, y, k, k2, k3 [C]; attrs { relu } → g·k + x·k2 + k3. */
  gradInput: 'DeepArtBatchNormGradInput',
} as const;

export interface FusedBatchNormOps {
  moments(x: tf.Tensor): { sum: tf.Tensor1D; sumOfSquares: tf.Tensor1D };
  affine(x: tf.Tensor, scale: tf.Tensor1D, shift: tf.Tensor1D, relu: boolean): tf.Tensor;
  gradSums(
    dy: tf.Tensor,
    x: tf.Tensor,
    y: tf.Tensor,
    relu: boolean,
  ): { sum: tf.Tensor1D; sumTimesX: tf.Tensor1D };
  gradInput(
    dy: tf.Tensor,
    x: tf.Tensor,
    y: tf.Tensor,
    k: tf.Tensor1D,
    k2: tf.Tensor1D,
    k3: tf.Tensor1D,
    relu: boolean,
  ): tf.Tensor;
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: object = {}) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;

/** The two rows of a [2, C] result, as vectors (the result freed). */
function rows(pair: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  const [a, b] = tf.unstack(pair) as tf.Tensor1D[];
  pair.dispose();
  return [a, b];
}

const OPS: FusedBatchNormOps = {
  moments(x) {
    const [sum, sumOfSquares] = rows(run(BATCHNORM_KERNELS.moments, { x }));
    return { sum, sumOfSquares };
  },
  affine: (x, scale, shift, relu) => run(BATCHNORM_KERNELS.affine, { x, scale, shift }, { relu }),
  gradSums(dy, x, y, relu) {
    const [sum, sumTimesX] = rows(run(BATCHNORM_KERNELS.gradSums, { dy, x, y }, { relu }));
    return { sum, sumTimesX };
  },
  gradInput: (dy, x, y, k, k2, k3, relu) =>
    run(BATCHNORM_KERNELS.gradInput, { dy, x, y, k, k2, k3 }, { relu }),
};

// The affine pass is also inference-mode BatchNorm, which training differentiates where the body's
// statistics are frozen (BatchNorm kept in inference mode): dx = g·scale, dscale = Σg·x, dshift = Σg.
tf.registerGradient({
  kernelName: BATCHNORM_KERNELS.affine,
  inputsToSave: ['x', 'scale'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [x, scale, y] = saved;
    const relu = Boolean((attrs as { relu?: boolean }).relu);
    const sums = () => OPS.gradSums(dy as tf.Tensor, x, y, relu);
    return {
      x: () =>
        tf.tidy(() => OPS.gradInput(dy as tf.Tensor, x, y, scale as tf.Tensor1D, ...zeros(scale), relu)),
      // tidy frees the sum not returned.
      scale: () => tf.tidy(() => sums().sumTimesX),
      shift: () => tf.tidy(() => sums().sum),
    };
  },
});

function zeros(like: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  const zero = tf.zerosLike(like) as tf.Tensor1D;
  return [zero, zero];
}

/**
 * Our fused kernels for a float32 activation whose channels come in whole blocks, on a backend that
 * has them set up; null: use tfjs ops.
 */
export function fusedBatchNormOps(x: tf.Tensor): FusedBatchNormOps | null {
  const channels = x.shape[x.rank - 1];
  if (x.dtype !== 'float32' || x.size === 0 || channels % CHANNEL_BLOCK !== 0) return null;
  if (!tf.getKernel(BATCHNORM_KERNELS.moments, tf.getBackend()) || !heapKernelsReady()) return null;
  return OPS;
}
