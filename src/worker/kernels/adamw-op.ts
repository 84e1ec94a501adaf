// AdamW's update of one weight tensor as one kernel of ours (wasm: simd/adamw-kernel.ts, one SIMD
// pass over tfjs's heap on every engine thread, split by elements). The optimizer (src/ml/adamw.ts)
// is handed fusedAdamWUpdate and falls back to its tfjs ops where it answers null.
import * as tf from '@tensorflow/tfjs';
import { ADAMW_DEFAULTS, AdamW, type FusedAdamWUpdate } from '../../ml/adamw';
import { heapAddress as address, heapEngine, heapKernelsReady, shares } from './heap-calls';
import type { KernelArgs, KernelResult, WasmHeap } from './heap-kernels';
import { ADAMW_SCALARS } from './simd/adamw-kernel';
import type { OuterProductEngine } from './simd/engine';

/** p, g, m, v, scalars (float32, ADAMW_SCALARS order) → [p', m', v']. */
export const ADAMW_KERNEL = 'DeepArtAdamW';

export const fusedAdamWUpdate: FusedAdamWUpdate = (p, grad, m, v, scalars) => {
  if (p.dtype !== 'float32' || p.size % 4 !== 0 || p.size === 0) return null;
  if (!tf.getKernel(ADAMW_KERNEL, tf.getBackend()) || !heapKernelsReady()) return null;
  return tf.tidy(() => {
    const s = tf.tensor1d(ADAMW_SCALARS.map((name) => scalars[name]));
    const inputs = { p, g: grad, m, v, scalars: s } as tf.NamedTensorMap;
    return tf.engine().runKernel(ADAMW_KERNEL, inputs, {}) as unknown as [tf.Tensor, tf.Tensor, tf.Tensor];
  });
};

/** The app's optimizer (the learner's and bench:speed's): AdamW with this fused update. */
export const newAdamW = () => new AdamW(ADAMW_DEFAULTS, fusedAdamWUpdate);

export function adamwKernel(
  engine: () => OuterProductEngine | null,
): [string, (args: KernelArgs) => KernelResult] {
  return [
    ADAMW_KERNEL,
    (args) => {
      const e = heapEngine(engine, 'adamw');
      const { p, g, m, v, scalars } = args.inputs as Record<string, tf.TensorInfo>;
      const heap = args.backend as unknown as WasmHeap;
      const outs = [p, m, v].map((like) => heap.makeOutput(like.shape, 'float32'));
      const [pa, ga, ma, va, sa] = [p, g, m, v, scalars].map((info) => address(heap, info));
      const [po, mo, vo] = outs.map((info) => address(heap, info));
      const vectors = tf.util.sizeFromShape(p.shape) / 4;
      e.runOnHeap(
        'adamw',
        shares(vectors, e.heapThreads).map(([a, b]) => {
          const skip = a * 16;
          return [pa + skip, ga + skip, ma + skip, va + skip, po + skip, mo + skip, vo + skip, sa, b - a];
        }),
      );
      return outs;
    },
  ];
}
