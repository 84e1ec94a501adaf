// The fast frozen mode's feature cache: the frozen body runs once per validation image and once
// per augmented variant of each training image; the head then trains on the pooled features.
import type * as tf from '@tensorflow/tfjs';
import { splitIntoPasses } from '../../ml/batching';
import { seededRandom, shuffle } from '../../ml/random';
import { featureStatistics, type TrainConfig, type TrainProgress } from '../../protocol';
import { batches, batchTensor, decodedChunks, type Dataset, type DecodeImage, type Example } from './data';
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
  /** The frozen body's pooled features in inference mode (running statistics). */
  pooled(x: tf.Tensor4D): tf.Tensor2D;
  /** The same with BatchNorm on the batch's own statistics (running averages left alone). */
  pooledBatchStats(x: tf.Tensor4D): tf.Tensor2D;
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
  // Batch statistics (shuffleSeed given): rows computed in a seeded shuffled order, each stored at its row.
  const run = async (
    examples: Example[],
    random: (() => number) | null,
    shuffleSeed: number | null = null,
  ): Promise<FeatureMatrix> => {
    const matrix = new FeatureMatrix(examples.length);
    const indices = examples.map((_, i) => i);
    // Batch statistics over a chunk are only the unfrozen stage's when the chunk is a shuffled
    // batch of the batch size (the stored order is by class); sizes are kept even (no chunk of 1).
    const order = shuffleSeed === null ? indices : shuffle(indices, seededRandom(shuffleSeed));
    const sizes =
      shuffleSeed === null
        ? batches(order, batchSize).map((b) => b.length)
        : splitIntoPasses(order.length, batchSize);
    const chunks: number[][] = [];
    for (let start = 0, c = 0; c < sizes.length; start += sizes[c++])
      chunks.push(order.slice(start, start + sizes[c]));
    const decoded = decodedChunks(
      chunks.map((rows) => rows.map((i) => examples[i])),
      size,
      random,
      s.decode,
    );
    let chunk = 0;
    for await (const raw of decoded) {
      await s.stopIfCancelled();
      const rows = chunks[chunk++];
      const x = batchTensor(raw, size);
      const pooled = shuffleSeed === null ? s.pooled(x) : s.pooledBatchStats(x);
      x.dispose();
      try {
        await matrix.put(rows, pooled);
      } finally {
        pooled.dispose();
      }
      done += rows.length;
      s.report({ phase: 'features', done, total, startedAt, images: done });
    }
    return matrix;
  };
  const onBatchStatistics = featureStatistics(s.config) === 'batch';
  const trainMatrices: FeatureMatrix[] = [];
  for (let v = 0; v < variants; v++)
    trainMatrices.push(
      await run(
        train,
        seededRandom(s.config.seed * 31 + v),
        onBatchStatistics ? s.config.seed * 53 + 7 + v : null,
      ),
    );
  return { train: trainMatrices, valid: await run(valid, null) };
}
