// Kernels that build their result from tfjs ops get TensorInfos, not Tensors: wrappers for both
// backends' kernels (the wasm fallbacks, the WebGPU split-K sum).
import * as tf from '@tensorflow/tfjs';

/**
 * Wraps a TensorInfo handed to a kernel as a Tensor we may use with ops. The engine does not count a
 * reference for such a wrapper, so we add one: disposing the wrapper must not free the caller's data.
 */
export function asTensor<T extends tf.Tensor>(info: tf.TensorInfo): T {
  const engine = tf.engine();
  engine.backend.incRef(info.dataId);
  return engine.makeTensorFromTensorInfo(info) as T;
}

/** Runs `f` on tensors wrapping the kernel's inputs, freeing the wrappers after. */
export function withTensors<R>(infos: tf.TensorInfo[], f: (...tensors: tf.Tensor4D[]) => R): R {
  const tensors = infos.map((info) => asTensor<tf.Tensor4D>(info));
  try {
    return f(...tensors);
  } finally {
    tf.dispose(tensors);
  }
}
