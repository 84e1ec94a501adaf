// The fast frozen mode's feature cache: the frozen body runs once per validation image and once
// per augmented variant of each training image; the head then trains on the pooled features.
import * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../ml/random';
import type { TrainConfig, TrainProgress } from '../../protocol';
import { batches, batchTensor, decodeBatch, type Dataset, type DecodeImage, type Example } from './data';

export interface Features {
  /** One [train, 4096] tensor per augmented variant. */
  train: tf.Tensor2D[];
  valid: tf.Tensor2D;
  /**
   * The validation images' TTA views ([valid × TTA_VIEWS, 4096], image by image), kept after the
   * first TTA on this body when the set is small (TTA_CACHE_IMAGES): TTA again costs no body pass.
   */
  validViews?: tf.Tensor2D;
}

/** Validation images up to which the TTA views' features are kept (6 × 4096 floats each, ~100 KB). */
export const TTA_CACHE_IMAGES = 1000;

export interface FeatureSources {
  data: Dataset;
  config: TrainConfig;
  decode: DecodeImage;
  pooled(x: tf.Tensor4D): tf.Tensor2D;
  report(progress: TrainProgress): void;
  /** Between batches: throws (after freeing the given tensors) when the job was cancelled. */
  stopIfCancelled(toDispose: tf.Tensor[]): Promise<void>;
}

export async function computeFeatures(s: FeatureSources): Promise<Features> {
  const { train, valid } = s.data;
  const { size, batchSize, variants } = s.config;
  const total = train.length * variants + valid.length;
  const startedAt = Date.now();
  let done = 0;
  const run = async (examples: Example[], random: (() => number) | null): Promise<tf.Tensor2D> => {
    const parts: tf.Tensor2D[] = [];
    for (const chunk of batches(examples, batchSize)) {
      await s.stopIfCancelled(parts);
      const raw = await decodeBatch(chunk, size, random, s.decode);
      const x = batchTensor(raw, size);
      parts.push(s.pooled(x));
      x.dispose();
      done += chunk.length;
      s.report({ phase: 'features', done, total, startedAt, images: done });
    }
    const all = tf.concat(parts) as tf.Tensor2D;
    tf.dispose(parts);
    return all;
  };
  const trainParts: tf.Tensor2D[] = [];
  try {
    for (let v = 0; v < variants; v++)
      trainParts.push(await run(train, seededRandom(s.config.seed * 31 + v)));
    return { train: trainParts, valid: await run(valid, null) };
  } catch (error) {
    tf.dispose(trainParts);
    throw error;
  }
}

export function disposeFeatures(features: Features | null): void {
  if (features)
    tf.dispose([...features.train, features.valid, ...(features.validViews ? [features.validViews] : [])]);
}
