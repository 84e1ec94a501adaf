// The wasm kernels of ours that need no engine: they work on views of tfjs-wasm's heap (or share its
// data) where the stock kernel copies more than it must, or run a faster formulation of the same
// product. Each returns null where it does not apply: the stock kernel then runs (register.ts).
import * as tf from '@tensorflow/tfjs';
import { convShape } from './conv-shapes';
import { maxPoolGrad } from './max-pool-grad';
import { copySlice } from './slice';
import { heapAddress, shares } from './heap-calls';
import type { OuterProductEngine } from './simd/engine';
import { withTensors } from './tensor-info';

export type KernelFunc = tf.KernelConfig['kernelFunc'];
export type KernelArgs = Parameters<KernelFunc>[0];
export type KernelResult = ReturnType<KernelFunc>;

/** The wasm backend's heap, as its kernels use it. */
export interface WasmHeap {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
  disposeData(dataId: object): boolean;
}

export const float32 = (...infos: tf.TensorInfo[]) => infos.every((i) => i.dtype === 'float32');

/**
 * MaxPoolGrad for float32 NHWC: SIMD on the engine's threads (simd/max-pool-grad-kernel.ts) for
 * unpadded windows over whole channel vectors, else plain JS (max-pool-grad.ts); null: stock.
 */
export function poolGradient(engine: OuterProductEngine | null, args: KernelArgs): KernelResult | null {
  const { dy, input } = args.inputs as { dy: tf.TensorInfo; input: tf.TensorInfo };
  const { filterSize, strides, pad, dimRoundingMode } = args.attrs as unknown as {
    filterSize: number | [number, number];
    strides: number | [number, number];
    pad: 'valid' | 'same' | number;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
  };
  if (input.dtype !== 'float32' || input.shape.length !== 4) return null;
  const info = tf.backend_util.computePool2DInfo(
    input.shape as [number, number, number, number],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const heap = args.backend as unknown as WasmHeap;
  const out = heap.makeOutput(input.shape, 'float32');
  const shape = convShape(info);
  const { top, bottom, left, right } = info.padInfo;
  if (engine && !(top || bottom || left || right) && shape.inChannels % 4 === 0) {
    const [x, d, o] = [input, dy, out].map((t) => heapAddress(heap, t));
    const channelBytes = shape.inChannels * 4;
    const [inRow, image] = [shape.inWidth * channelBytes, shape.inHeight * shape.inWidth * channelBytes];
    const dyImage = shape.outHeight * shape.outWidth * channelBytes;
    engine.runOnHeap(
      'maxPoolGrad',
      shares(shape.batch, engine.heapThreads).map(([b0, b1]) => [
        x + b0 * image,
        d + b0 * dyImage,
        o - x,
        b1 - b0,
        shape.outHeight,
        shape.outWidth,
        channelBytes,
        shape.filterHeight,
        shape.filterWidth,
        shape.strideHeight * inRow,
        shape.strideWidth * channelBytes,
        inRow,
        image,
      ]),
    );
    return out;
  }
  maxPoolGrad(
    heap.typedArrayFromHeap(input),
    heap.typedArrayFromHeap(dy),
    shape,
    heap.typedArrayFromHeap(out),
  );
  return out;
}

/**
 * BatchMatMul with a transposed operand: tfjs-wasm 4.22 runs those up to ~30× slower than the plain
 * product (the head's weight gradient x^T·dy, [4096, 16]·[16, 512]: 105 ms against 3.3 ms, measured
 * in Node), and every dense layer's backward pass has one of each. Ours runs the plain kernel on
 * explicitly transposed operands, in whichever of two equal forms copies fewer elements:
 * op(A)·op(B), or (op(B)^T·op(A)^T)^T — for dy·W^T that transposes dy and the [16, 4096] result
 * instead of the 2M-element weights. Agrees with the cpu backend to rounding
 * (tests/wasm-matmul.test.ts). Null: no transpose (the stock kernel), or not float32.
 */
export function transposedMatMul(args: KernelArgs): KernelResult | null {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA: ta, transposeB: tb } = args.attrs as unknown as {
    transposeA: boolean;
    transposeB: boolean;
  };
  if ((!ta && !tb) || !float32(a, b)) return null;
  const size = (info: tf.TensorInfo) => tf.util.sizeFromShape(info.shape);
  const rows = (info: tf.TensorInfo, transposed: boolean) =>
    info.shape[info.shape.length - (transposed ? 1 : 2)];
  const cols = (info: tf.TensorInfo, transposed: boolean) =>
    info.shape[info.shape.length - (transposed ? 2 : 1)];
  const batch = Math.max(
    size(a) / (a.shape.at(-1)! * a.shape.at(-2)!),
    size(b) / (b.shape.at(-1)! * b.shape.at(-2)!),
  );
  const outSize = batch * rows(a, ta) * cols(b, tb);
  const direct = (ta ? size(a) : 0) + (tb ? size(b) : 0);
  const swapped = (tb ? 0 : size(b)) + (ta ? 0 : size(a)) + outSize;
  const T = (t: tf.Tensor) => tf.transpose(t, [...Array(t.rank - 2).keys(), t.rank - 1, t.rank - 2]);
  return withTensors([a, b], (at, bt) =>
    tf.tidy(() =>
      direct <= swapped
        ? tf.matMul(ta ? T(at) : at, tb ? T(bt) : bt)
        : T(tf.matMul(tb ? bt : T(bt), ta ? at : T(at))),
    ),
  );
}

/** One more reference to x's data, as a result: tfjs data is immutable, so results may share it. */
function shareData(backend: KernelArgs['backend'], x: tf.TensorInfo): KernelResult {
  (backend as tf.KernelBackend).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

/**
 * Slice from views of the heap (stock: reads a copy of the whole input first); a slice of the whole
 * tensor shares its data, as Identity does, instead of copying it. Strings: stock.
 */
export function viewSlice(args: KernelArgs): KernelResult | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string' || x.dtype === 'complex64') return null;
  const { begin, size } = args.attrs as unknown as { begin: number | number[]; size?: number | number[] };
  const [begin_, size_] = tf.slice_util.parseSliceParams(x, begin, size);
  if (begin_.every((b) => b === 0) && tf.util.arraysEqual(size_, x.shape)) return shareData(args.backend, x);
  const heap = args.backend as unknown as WasmHeap;
  const out = heap.makeOutput(size_, x.dtype);
  // Views after the allocation: growing a non-shared heap detaches the old ones.
  copySlice(heap.typedArrayFromHeap(x), x.shape, begin_, size_, heap.typedArrayFromHeap(out));
  return out;
}

/**
 * tf.clone without a copy. The engine clones every tensor a gradient needs (saved activations), and
 * tfjs-wasm's Identity copies the buffer: ≈ 950 copies per ResNet50 step, and every saved activation
 * held twice. tfjs data is immutable, so the clone may share it (as the cpu, webgl and webgpu
 * backends do): one more reference, freed with the last one. Strings: stock.
 */
export function sharedIdentity(args: KernelArgs): KernelResult | null {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (x.dtype === 'string') return null;
  return shareData(args.backend, x);
}
