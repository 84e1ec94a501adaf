// The body's BatchNorm running statistics re-estimated on the user's own training images before the
// fast frozen mode caches body features. ImageNet's running statistics normalise paintings badly;
// the head then learns on features that the unfrozen body (BatchNorm on batch statistics) and every
// later validation (running statistics that move towards the paintings') no longer produce, and the
// unfrozen stage spends itself re-learning the shift. Measured in bench:train (see the README).
import * as tf from '@tensorflow/tfjs';
import { BN_ADAPT_IMAGES, type TrainConfig, type TrainProgress } from '../../protocol';
import { caffePreprocess } from '../../ml/preprocess';
import { seededRandom } from '../../ml/random';
import { disposeStats, type BnParams } from '../ml/batchnorm';
import type { ResNetGraph } from '../ml/resnet-graph';
import { batches, batchTensor, decodedChunks, type DecodeImage, type Example } from './data';

export interface AdaptSources {
  body: ResNetGraph;
  train: readonly Example[];
  config: TrainConfig;
  decode: DecodeImage;
  report(progress: TrainProgress): void;
  stopIfCancelled(toDispose: tf.Tensor[]): Promise<void>;
  /** Augmentation draws; default: the training augmentation seeded from the split seed; null: none. */
  random?: (() => number) | null;
}

/** Σ count·mean and Σ count·(variance + mean²) of one layer over the batches seen so far. */
interface Moments {
  sum: tf.Tensor1D;
  sumSquares: tf.Tensor1D;
  count: number;
}

/** The training images the statistics are taken over: every one, up to BN_ADAPT_IMAGES (spread evenly). */
export function adaptSample<T>(train: readonly T[], limit = BN_ADAPT_IMAGES): T[] {
  if (train.length <= limit) return [...train];
  return Array.from({ length: limit }, (_, i) => train[Math.floor((i * train.length) / limit)]);
}

/**
 * Sets every body BatchNorm's running mean and variance to its statistics over the sample (with the
 * training augmentation), each layer seeing the layers below it normalised on batch statistics, as
 * in training (what PyTorch's `update_bn` does with a cumulative average). γ and β are unchanged.
 */
export async function adaptBatchNorm(s: AdaptSources): Promise<void> {
  const sample = adaptSample(s.train);
  const random = s.random === undefined ? seededRandom(s.config.seed * 31 + 997) : s.random;
  const moments = new Map<BnParams, Moments>();
  const startedAt = Date.now();
  let done = 0;
  const held = () => [...moments.values()].flatMap((m) => [m.sum, m.sumSquares]);
  try {
    for await (const raw of decodedChunks(
      batches(sample, s.config.batchSize),
      s.config.size,
      random,
      s.decode,
    )) {
      await s.stopIfCancelled([]);
      // The body sees what training feeds it: caffe-preprocessed (BGR, ImageNet means subtracted).
      const x = tf.tidy(() => caffePreprocess(batchTensor(raw, s.config.size)));
      const stats = s.body.batchStatistics(x, s.body.bodyOutput, true);
      x.dispose();
      for (const [p, { mean, variance, count }] of stats) {
        const old = moments.get(p);
        const [sum, sumSquares] = tf.tidy(() => {
          const m = tf.mul(mean, count);
          const q = tf.mul(tf.add(variance, tf.square(mean)), count);
          return old ? [tf.add(old.sum, m), tf.add(old.sumSquares, q)] : [m, q];
        }) as [tf.Tensor1D, tf.Tensor1D];
        if (old) tf.dispose([old.sum, old.sumSquares]);
        moments.set(p, { sum, sumSquares, count: (old?.count ?? 0) + count });
      }
      disposeStats(stats);
      done += raw.labels.length;
      s.report({ phase: 'statistics', done, total: sample.length, startedAt, images: done });
    }
    for (const [p, { sum, sumSquares, count }] of moments)
      tf.tidy(() => {
        const mean = tf.div(sum, count);
        const variance = tf.relu(tf.sub(tf.div(sumSquares, count), tf.square(mean)));
        p.movingMean.assign(mean);
        p.movingVariance.assign(tf.mul(variance, count / Math.max(1, count - 1)));
      });
  } finally {
    tf.dispose(held());
  }
}
