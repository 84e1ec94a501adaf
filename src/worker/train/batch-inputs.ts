// What a training step learns from: one epoch's shuffled batches, each turned into its input — the
// cached body features' variant for the epoch (fast frozen mode) or the batch's decoded, augmented
// pixels — with its targets, mixed with mixup's partners when mixup is on. Every draw comes from the
// run's seeded streams, in order, so a seed gives the same batches.
import type * as tf from '@tensorflow/tfjs';
import { epochPlan, type EpochBatch } from '../../ml/epochs';
import { drawTargets, mixInputs, type Targets } from '../../ml/mixup';
import type { RunRandom } from '../../ml/random';
import { mixupAlpha, type TrainConfig } from '../../protocol';
import {
  batchTensor,
  decodeBatch,
  type Dataset,
  type DecodeImage,
  type Example,
  type RawBatch,
} from './data';
import type { FeatureCache } from './feature-cache';

export interface BatchInputSources {
  data: Dataset;
  random: RunRandom;
  cache: FeatureCache;
  decode: DecodeImage;
  /** The settings now (they change with reconfigure). */
  config(): TrainConfig;
}

/** A step's input (the caller frees it) and its targets. */
export interface StepInput<T extends tf.Tensor> {
  x: T;
  targets: Targets;
}

export class BatchInputs {
  constructor(private readonly sources: BatchInputSources) {}

  /** The training set as one epoch's batches (see epochPlan): examples and their rows. */
  epochBatches(): EpochBatch<Example>[] {
    const { data, config, random } = this.sources;
    return epochPlan(data.train, config().batchSize, random.augment);
  }

  /** A batch's pixels, augmented with the run's next draws (started ahead of its step to overlap). */
  decode(batch: EpochBatch<Example>): Promise<RawBatch> {
    const { config, random, decode } = this.sources;
    return decodeBatch(batch.examples, config().size, random.augment, decode);
  }

  /** The batch on the cached features: the epoch's augmented variant (computed on first use). */
  async fromFeatures(batch: EpochBatch<Example>, epoch: number): Promise<StepInput<tf.Tensor2D>> {
    const cache = await this.sources.cache.ensure();
    const variant = cache.train[epoch % cache.train.length];
    return this.mixed(
      variant.gather(batch.rows),
      batch.examples.map((e) => e.label),
    );
  }

  /** The batch as pixels: its prefetched decode, or decoded now. */
  async fromPixels(
    batch: EpochBatch<Example>,
    prefetched: Promise<RawBatch> | null,
  ): Promise<StepInput<tf.Tensor4D>> {
    const raw = await (prefetched ?? this.decode(batch));
    return this.mixed(batchTensor(raw, this.sources.config().size), raw.labels);
  }

  /** The batch's targets, and its input mixed with mixup's partners when mixup is on (input freed). */
  private mixed<T extends tf.Tensor4D | tf.Tensor2D>(input: T, labels: number[]): StepInput<T> {
    const { config, random } = this.sources;
    const targets = drawTargets(labels, mixupAlpha(config()), random.mixup);
    if (!targets.mix) return { x: input, targets };
    const x = mixInputs(input, targets.mix);
    input.dispose();
    return { x, targets };
  }
}
