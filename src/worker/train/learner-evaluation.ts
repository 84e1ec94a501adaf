// The learner's validation side over its model as it stands: the statistics an epoch through the
// body ends with, each epoch's validation (on the cached features in the fast frozen mode),
// Interpret's figures and the error with test-time augmentation. The learner owns the model, the
// stage and cancellation; this reads them through the sources it is given.
import type * as tf from '@tensorflow/tfjs';
import {
  epochStatistics,
  settlesStatistics,
  type Interpretation,
  type TrainConfig,
  type TrainProgress,
} from '../../protocol';
import type { ResNetGraph } from '../ml/resnet-graph';
import { adaptBatchNorm } from './bn-adapt';
import type { Classifier } from './classifier';
import type { Dataset, DecodeImage } from './data';
import {
  evaluateValidation,
  interpretation,
  ttaErrorRate,
  type Evaluation,
  type EvaluationSources,
} from './evaluation';
import type { FeatureCache } from './feature-cache';
import type { FastaiHead } from './head';

export interface LearnerEvaluationSources {
  body: ResNetGraph;
  head: FastaiHead;
  data: Dataset;
  classifier: Classifier;
  cache: FeatureCache;
  decode: DecodeImage;
  config(): TrainConfig;
  stage(): 'frozen' | 'unfrozen';
  /** Whether the model runs in the fast frozen mode now (validation then reads cached features). */
  fastMode(): boolean;
  report(progress: TrainProgress): void;
  /** Between images: throws (after freeing the given tensors) when the job was cancelled. */
  stopIfCancelled(toDispose?: tf.Tensor[]): Promise<void>;
}

export class LearnerEvaluation {
  constructor(private readonly s: LearnerEvaluationSources) {}

  /**
   * After an epoch that trained through the body: its BatchNorm running statistics re-measured on
   * the training images when the config asks (epochStatistics), so validation, checkpoints and
   * predictions use statistics of the final weights rather than averages that lag them. Training
   * itself normalises on batch statistics, so what it computes next is unchanged; its own seeded
   * draws, not the run's streams, keep the run's batches as they were.
   */
  async settleStatistics(): Promise<void> {
    const config = this.s.config();
    if (this.s.fastMode() || !settlesStatistics(config, this.s.stage())) return;
    await adaptBatchNorm({
      body: this.s.body,
      train: this.s.data.train,
      config,
      decode: this.s.decode,
      report: this.s.report,
      stopIfCancelled: this.s.stopIfCancelled,
      random: epochStatistics(config) === 'plain' ? null : undefined,
    });
  }

  /** Validation set in eval mode (on the cached features in the fast frozen mode). */
  async evaluate(): Promise<Evaluation> {
    return evaluateValidation(this.sources(), this.s.fastMode() ? await this.s.cache.ensure() : null);
  }

  async interpret(): Promise<Interpretation> {
    return interpretation(this.s.data, await this.evaluate());
  }

  /** Validation error with test-time augmentation (see evaluation.ts; views cached with the features). */
  ttaErrorRate(): Promise<{ errorRate: number; valid: number }> {
    return ttaErrorRate(this.sources(), this.s.cache.current);
  }

  private sources(): EvaluationSources {
    return {
      data: this.s.data,
      config: this.s.config(),
      head: this.s.head,
      classifier: this.s.classifier,
      report: this.s.report,
      stopIfCancelled: this.s.stopIfCancelled,
    };
  }
}
