// The worker's training session: one learner at a time, its requests, and the pretrained body kept
// aside so every new learner starts from ImageNet weights, not from the last experiment.
import * as tf from '@tensorflow/tfjs';
import { openStudioDb } from '../../data/db';
import {
  DEFAULT_TRAIN_CONFIG,
  type CheckpointInfo,
  type DatasetInfo,
  type EpochRow,
  type TrainConfig,
  type TrainProgress,
} from '../../protocol';
import type { ResNetGraph } from '../ml/resnet-graph';
import type { CheckpointRecord } from '../../data/schema';
import { AUTOSAVE, readCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoints';
import { loadDataset, type Dataset } from './data';
import { imagesPerPass } from '../../data/memory-limits';
import { Learner } from './learner';

export class TrainingSession {
  learner: Learner | null = null;
  private pretrained: Map<string, Float32Array> | null = null;

  constructor(
    private readonly body: ResNetGraph,
    private readonly onProgress: (progress: TrainProgress) => void,
    private readonly onEpoch: (row: EpochRow) => void,
  ) {}

  private async resetBody(): Promise<void> {
    const named = this.body.namedBodyVariables();
    if (!this.pretrained) {
      this.pretrained = new Map();
      for (const [k, v] of named) this.pretrained.set(k, (await v.data()) as Float32Array);
      return;
    }
    for (const [k, v] of named) tf.tidy(() => v.assign(tf.tensor(this.pretrained!.get(k)!, v.shape)));
  }

  /** The one place learners are made: every one gets the device's images-per-pass limit. */
  private async newLearner(data: Dataset, config: TrainConfig): Promise<Learner> {
    this.learner?.dispose();
    this.learner = null;
    const learner = new Learner(this.body, data, config, this.onProgress);
    learner.imagesPerPass = await imagesPerPass(
      tf.getBackend(),
      config.size,
      config.batchSize,
      config.imagesPerPass,
    );
    this.learner = learner;
    return learner;
  }

  async prepare(config: TrainConfig): Promise<DatasetInfo> {
    const data = await loadDataset(await openStudioDb(), config.seed);
    await this.resetBody();
    const learner = await this.newLearner(data, config);
    return {
      classes: data.classes,
      train: data.train.length,
      valid: data.valid.length,
      imagesPerPass: learner.imagesPerPass,
    };
  }

  /** New settings for the current learner, keeping its weights (see Learner.reconfigure). */
  async reconfigure(config: TrainConfig): Promise<DatasetInfo> {
    const learner = this.require();
    learner.reconfigure(
      config,
      await imagesPerPass(tf.getBackend(), config.size, config.batchSize, config.imagesPerPass),
    );
    const { classes, train, valid } = learner.data;
    return { classes, train: train.length, valid: valid.length, imagesPerPass: learner.imagesPerPass };
  }

  require(): Learner {
    if (!this.learner) throw new Error('Prepare training first (Train tab).');
    return this.learner;
  }

  async fit(epochs: number, maxLr: string): Promise<EpochRow[]> {
    const learner = this.require();
    return learner.fitOneCycle(epochs, maxLr, async (row) => {
      // Saved before the row is shown: once the user sees an epoch, a reload or crash keeps it.
      await saveCheckpoint(learner, AUTOSAVE);
      this.onEpoch(row);
    });
  }

  /** Retrains from a checkpoint on the dataset as it is now (images deleted or relabelled since). */
  async retrain(checkpoint: string, epochs: number, maxLr: string): Promise<EpochRow[]> {
    const record = await readCheckpoint(checkpoint);
    const data = await loadDataset(await openStudioDb(), record.seed);
    if (data.classes.join('\n') !== record.classes.join('\n')) {
      throw new Error(
        `The dataset's classes no longer match "${checkpoint}": train from the Train tab instead.`,
      );
    }
    const config = this.learner?.config ?? configOf(record);
    await restoreCheckpoint(await this.newLearner(data, config), record);
    return this.fit(epochs, maxLr);
  }

  async load(name: string): Promise<CheckpointInfo> {
    const record = await readCheckpoint(name);
    const sameClasses = this.learner && this.learner.data.classes.join('\n') === record.classes.join('\n');
    if (!sameClasses) {
      let data;
      try {
        data = await loadDataset(await openStudioDb(), record.seed);
      } catch {
        data = null; // no dataset here: a model to predict with is still useful
      }
      const matches = data && data.classes.join('\n') === record.classes.join('\n');
      await this.newLearner(
        matches ? data! : { classes: record.classes, train: [], valid: [] },
        configOf(record),
      );
    }
    const learner = this.learner!;
    const info = await restoreCheckpoint(learner, record);
    const { classes, train, valid } = learner.data;
    return {
      ...info,
      config: learner.config,
      dataset: { classes, train: train.length, valid: valid.length, imagesPerPass: learner.imagesPerPass },
    };
  }
}

function configOf(record: CheckpointRecord): TrainConfig {
  return record.config ?? { ...DEFAULT_TRAIN_CONFIG, size: record.size, seed: record.seed };
}
