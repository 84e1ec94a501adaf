// The fast frozen mode's body features, owned in one place: computed on first use (a new model
// first re-measures the body's BatchNorm statistics on the user's images, see bn-adapt.ts), kept
// while the body and the settings they depend on (featureCacheKey) stay, dropped when either changes.
import type * as tf from '@tensorflow/tfjs';
import { bodyStatistics, type TrainConfig, type TrainProgress } from '../../protocol';
import type { ResNetGraph } from '../ml/resnet-graph';
import { adaptBatchNorm } from './bn-adapt';
import type { Classifier } from './classifier';
import type { Dataset, DecodeImage } from './data';
import { computeFeatures, type Features } from './features';

export interface FeatureCacheSources {
  body: ResNetGraph;
  data: Dataset;
  classifier: Classifier;
  decode: DecodeImage;
  /** The settings now (they change with reconfigure). */
  config(): TrainConfig;
  /** Whether no epoch has trained yet: only then are the body's statistics re-measured. */
  isNewModel(): boolean;
  report(progress: TrainProgress): void;
  stopIfCancelled(toDispose?: tf.Tensor[]): Promise<void>;
}

export class FeatureCache {
  private features: Features | null = null;

  constructor(private readonly sources: FeatureCacheSources) {}

  /** The cached features, or null when none are (a body pass would compute them). */
  get current(): Features | null {
    return this.features;
  }

  /** The body or a setting the features depend on changed. Holds no tensor: nothing to free. */
  invalidate(): void {
    this.features = null;
  }

  /** The features, computed once per body (see features.ts). */
  async ensure(): Promise<Features> {
    if (this.features) return this.features;
    const s = this.sources;
    const config = s.config();
    const statistics = bodyStatistics(config);
    if (s.isNewModel() && statistics !== 'imagenet')
      await adaptBatchNorm({
        body: s.body,
        train: s.data.train,
        config,
        decode: s.decode,
        report: s.report,
        stopIfCancelled: (toDispose) => s.stopIfCancelled(toDispose),
        random: statistics === 'plain' ? null : undefined,
      });
    this.features = await computeFeatures({
      data: s.data,
      config,
      decode: s.decode,
      pooled: (x) => s.classifier.pooledEval(x),
      pooledBatchStats: (x) => s.classifier.pooledBatchStats(x),
      report: s.report,
      stopIfCancelled: () => s.stopIfCancelled(),
    });
    return this.features;
  }
}
