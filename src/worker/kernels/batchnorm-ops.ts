// Training BatchNorm's full-size passes as four tfjs kernels of ours (wasm: SIMD on tfjs's heap, on
// every engine thread; batchnorm-kernels.ts). batchnorm.ts asks fusedBatchNormOps(x) and uses them
// where they apply, its tfjs-op formulation elsewhere. The kernel names are declared here, once.
import * as tf from '@tensorflow/tfjs';
import { isHostMemoryBackend } from '../../protocol';
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

/** Two per-channel sums, read back (the per-channel arithmetic after them is plain float32 math). */
export type ChannelSums = [Float32Array, Float32Array];

export interface FusedBatchNormOps {
  /** Σx, Σx² per channel. */
  moments(x: tf.Tensor): ChannelSums;
  affine(x: tf.Tensor, scale: tf.Tensor1D, shift: tf.Tensor1D, relu: boolean): tf.Tensor;
  /** Σg, Σg·x per channel. */
  gradSums(dy: tf.Tensor, x: tf.Tensor, y: tf.Tensor, relu: boolean): ChannelSums;
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

/** The two rows of a [2, C] result, read back (the result freed). */
function rows(pair: tf.Tensor): ChannelSums {
  const data = pair.dataSync() as Float32Array;
  const channels = pair.shape[1]!;
  pair.dispose();
  return [data.subarray(0, channels), data.subarray(channels)];
}

const OPS: FusedBatchNormOps = {
  moments: (x) => rows(run(BATCHNORM_KERNELS.moments, { x })),
  affine: (x, scale, shift, relu) => run(BATCHNORM_KERNELS.affine, { x, scale, shift }, { relu }),
  gradSums: (dy, x, y, relu) => rows(run(BATCHNORM_KERNELS.gradSums, { dy, x, y }, { relu })),
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
    let sums: ChannelSums | undefined; // one pass for both
    const sum = (i: 0 | 1) => tf.tensor1d((sums ??= OPS.gradSums(dy as tf.Tensor, x, y, relu))[i]);
    return {
      x: () =>
        tf.tidy(() => OPS.gradInput(dy as tf.Tensor, x, y, scale as tf.Tensor1D, ...zeros(scale), relu)),
      scale: () => sum(1),
      shift: () => sum(0),
    };
  },
});

function zeros(like: tf.Tensor): [tf.Tensor1D, tf.Tensor1D] {
  const zero = tf.zerosLike(like) as tf.Tensor1D;
  return [zero, zero];
}

/**
 * Whether the backend keeps tensors in the CPU's own memory, so that reading a vector back
 * (dataSync) costs a copy, not a GPU round trip: per-channel arithmetic is then cheaper as plain
 * float32 loops than as a handful of kernel calls per layer. Asked by the fused passes and the
 * running averages alike (the fact itself: isHostMemoryBackend, with the images-per-pass policy).
 */
export function hostMemoryBackend(): boolean {
  return isHostMemoryBackend(tf.getBackend());
}

/**
 * Our fused kernels for a float32 activation whose channels come in whole blocks, on a backend that
 * keeps its data in host memory and has them set up; null: use tfjs ops.
 */
export function fusedBatchNormOps(x: tf.Tensor): FusedBatchNormOps | null {
  const channels = x.shape[x.rank - 1];
  if (x.dtype !== 'float32' || x.size === 0 || channels % CHANNEL_BLOCK !== 0) return null;
  const registered = tf.getKernel(BATCHNORM_KERNELS.moments, tf.getBackend());
  return hostMemoryBackend() && registered && heapKernelsReady() ? OPS : null;
}
