// The wasm kernels behind batchnorm-ops.ts: each allocates its output on tfjs's heap and runs one
// SIMD pass of simd/batchnorm-kernel.ts over the heap in place, on every engine thread: reductions
// split by channel blocks (each thread sums whole columns, no partial sums to combine), elementwise
// passes by rows.
import * as tf from '@tensorflow/tfjs';
import { BATCHNORM_KERNELS } from './batchnorm-ops';
import { RESIDUAL_KERNELS } from './residual-ops';
import { heapAddress as address, heapEngine, shares } from './heap-calls';
import type { KernelArgs, KernelResult, WasmHeap } from './heap-kernels';
import { CHANNEL_BLOCK } from './simd/batchnorm-kernel';
import type { OuterProductEngine } from './simd/engine';

function geometry(x: tf.TensorInfo): { channels: number; rows: number; rowBytes: number } {
  const channels = x.shape[x.shape.length - 1];
  return { channels, rows: tf.util.sizeFromShape(x.shape) / channels, rowBytes: channels * 4 };
}

/** A [2, C] sum over rows (moments or gradient sums), split by channel blocks. */
function reduction(
  engine: OuterProductEngine,
  args: KernelArgs,
  fn: 'moments' | 'gradSums' | 'gradSumsRelu',
) {
  const { x, dy, y } = args.inputs as { x: tf.TensorInfo; dy?: tf.TensorInfo; y?: tf.TensorInfo };
  const heap = args.backend as unknown as WasmHeap;
  const { channels, rows, rowBytes } = geometry(x);
  const out = heap.makeOutput([2, channels], 'float32');
  heap.typedArrayFromHeap(out).fill(0);
  const [a, b, c] = fn === 'moments' ? [x, x, x] : [dy!, x, y!];
  const at = [a, b, c, out].map((info) => address(heap, info));
  const blockBytes = CHANNEL_BLOCK * 4;
  engine.runOnHeap(
    fn,
    shares(channels / CHANNEL_BLOCK, engine.heapThreads).map(([b0, b1]) => [
      ...at,
      rows,
      rowBytes,
      b0 * blockBytes,
      b1 * blockBytes,
    ]),
  );
  return out;
}

/** An elementwise pass into a new tensor shaped as x, split by rows. */
function elementwise(
  engine: OuterProductEngine,
  args: KernelArgs,
  fn: 'affine' | 'affineRelu' | 'gradInput' | 'gradInputRelu' | 'addRelu' | 'reluMask',
  tensors: tf.TensorInfo[],
  vectors: tf.TensorInfo[],
  like: tf.TensorInfo,
) {
  const heap = args.backend as unknown as WasmHeap;
  const { rows, rowBytes } = geometry(like);
  const out = heap.makeOutput(like.shape, 'float32');
  const [a, b, c] = [0, 1, 2].map((i) => address(heap, tensors[i] ?? tensors[0]));
  const o = address(heap, out);
  const [v0, v1, v2] = [0, 1, 2].map((i) => (vectors[i] ? address(heap, vectors[i]) : 0));
  engine.runOnHeap(
    fn,
    shares(rows, engine.heapThreads).map(([r0, r1]) => {
      const skip = r0 * rowBytes;
      return [a + skip, b + skip, c + skip, o + skip, v0, v1, v2, r1 - r0, rowBytes];
    }),
  );
  return out;
}

/** BatchNorm's four kernels and the residual add + ReLU's two, over the engine `engine()` returns. */
export function batchNormKernels(
  engine: () => OuterProductEngine | null,
): [string, (args: KernelArgs) => KernelResult][] {
  const needEngine = (kernel: string) => heapEngine(engine, kernel);
  const relu = (args: KernelArgs) => Boolean((args.attrs as { relu?: boolean }).relu);
  return [
    [BATCHNORM_KERNELS.moments, (args) => reduction(needEngine('moments'), args, 'moments')],
    [
      BATCHNORM_KERNELS.gradSums,
      (args) => reduction(needEngine('gradSums'), args, relu(args) ? 'gradSumsRelu' : 'gradSums'),
    ],
    [
      BATCHNORM_KERNELS.affine,
      (args) => {
        const { x, scale, shift } = args.inputs as Record<string, tf.TensorInfo>;
        const fn = relu(args) ? 'affineRelu' : 'affine';
        return elementwise(needEngine('affine'), args, fn, [x], [scale, shift], x);
      },
    ],
    [
      BATCHNORM_KERNELS.gradInput,
      (args) => {
        const { dy, x, y, k, k2, k3 } = args.inputs as Record<string, tf.TensorInfo>;
        const fn = relu(args) ? 'gradInputRelu' : 'gradInput';
        return elementwise(needEngine('gradInput'), args, fn, [dy, x, y], [k, k2, k3], x);
      },
    ],
    [
      RESIDUAL_KERNELS.addRelu,
      (args) => {
        const { a, b } = args.inputs as Record<string, tf.TensorInfo>;
        return elementwise(needEngine('addRelu'), args, 'addRelu', [a, b], [], a);
      },
    ],
    [
      RESIDUAL_KERNELS.reluMask,
      (args) => {
        const { dy, y } = args.inputs as Record<string, tf.TensorInfo>;
        return elementwise(needEngine('reluMask'), args, 'reluMask', [dy, dy, y], [], dy);
      },
    ],
  ];
}
