// The fast frozen mode's feature cache: the frozen body runs once per validation image and once
// per augmented variant of each training image; the head then trains on the pooled features.
import type * as tf from '@tensorflow/tfjs';
import { seededRandom } from '../../ml/random';
import type { TrainConfig, TrainProgress } from '../../protocol';
import { batches, batchTensor, decodeBatch, type Dataset, type DecodeImage, type Example } from './data';
import { FeatureMatrix } from './feature-matrix';

/** Pooled features in JavaScript memory (see feature-matrix.ts): nothing here holds a tensor. */
export interface Features {
  /** One [train, 4096] matrix per augmented variant. */
  train: FeatureMatrix[];
  valid: FeatureMatrix;
  /**
   * The validation images' TTA views ([valid × TTA_VIEWS, 4096], image by image), kept after the
   * first TTA on this body when the set is small (TTA_CACHE_IMAGES): TTA again costs no body pass.
   */
  validViews?: FeatureMatrix;
}

/** Validation images up to which the TTA views' features are kept (6 × 4096 floats each, ~100 KB). */
export const TTA_CACHE_IMAGES = 1000;

export interface FeatureSources {
  data: Dataset;
  config: TrainConfig;
  decode: DecodeImage;
  pooled(x: tf.Tensor4D): tf.Tensor2D;
  report(progress: TrainProgress): void;
  /** Between batches: throws when the job was cancelled. */
  stopIfCancelled(): Promise<void>;
}

export async function computeFeatures(s: FeatureSources): Promise<Features> {
  const { train, valid } = s.data;
  const { size, batchSize, variants } = s.config;
  const total = train.length * variants + valid.length;
  const startedAt = Date.now();
  let done = 0;
  const run = async (examples: Example[], random: (() => number) | null): Promise<FeatureMatrix> => {
    const matrix = new FeatureMatrix(examples.length);
    for (const chunk of batches(examples, batchSize)) {
      await s.stopIfCancelled();
      const raw = await decodeBatch(chunk, size, random, s.decode);
      const x = batchTensor(raw, size);
      const pooled = s.pooled(x);
      x.dispose();
      try {
        await matrix.append(pooled);
      } finally {
        pooled.dispose();
      }
      done += chunk.length;
      s.report({ phase: 'features', done, total, startedAt, images: done });
    }
    return matrix;
  };
  const trainMatrices: FeatureMatrix[] = [];
  for (let v = 0; v < variants; v++)
    trainMatrices.push(await run(train, seededRandom(s.config.seed * 31 + v)));
  return { train: trainMatrices, valid: await run(valid, null) };
}
