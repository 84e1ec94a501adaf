// A batch computed in passes that fit the device (wasm's heap, a GPU's memory): each pass's gradients
// weighted by its share of the batch and summed, so the update equals the whole batch's. Shared by
// the learner and the speed benchmark, so the benchmark measures what training runs.
import * as tf from '@tensorflow/tfjs';
import { splitIntoPasses } from '../../ml/batching';

export interface PassResult {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
}

export interface SummedPasses {
  grads: tf.NamedTensorMap;
  /** Each pass's loss and its weight (share of the batch); the caller frees the values. */
  losses: { value: tf.Scalar; weight: number }[];
}

/** factor·grads, freeing grads. */
function scaleGradients(grads: tf.NamedTensorMap, factor: number): tf.NamedTensorMap {
  if (factor === 1) return grads;
  const out = Object.fromEntries(Object.entries(grads).map(([k, g]) => [k, tf.mul(g, factor)]));
  tf.dispose(grads);
  return out;
}

/** sum + factor·grads, freeing both inputs. */
function addGradients(sum: tf.NamedTensorMap, grads: tf.NamedTensorMap, factor: number): tf.NamedTensorMap {
  const out = Object.fromEntries(
    Object.entries(sum).map(([k, s]) => [k, tf.tidy(() => tf.add(s, tf.mul(grads[k], factor)))]),
  );
  tf.dispose([sum, grads]);
  return out;
}

/** Runs pass(start, size) over the batch in passes of at most imagesPerPass; frees all on failure. */
export function sumPasses(
  batch: number,
  imagesPerPass: number,
  pass: (start: number, size: number) => PassResult,
): SummedPasses {
  let summed: tf.NamedTensorMap | null = null;
  const losses: SummedPasses['losses'] = [];
  let start = 0;
  try {
    for (const size of splitIntoPasses(batch, imagesPerPass)) {
      const result = pass(start, size);
      const weight = size / batch;
      losses.push({ value: result.value, weight });
      summed = summed ? addGradients(summed, result.grads, weight) : scaleGradients(result.grads, weight);
      start += size;
    }
    return { grads: summed!, losses };
  } catch (error) {
    if (summed) tf.dispose(summed);
    tf.dispose(losses.map((l) => l.value));
    throw error;
  }
}
