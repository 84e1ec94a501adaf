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
import { AUTOSAVE, readCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoints';
import { loadDataset } from './data';
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

  async prepare(config: TrainConfig): Promise<DatasetInfo> {
    const data = await loadDataset(await openStudioDb(), config.seed);
    await this.resetBody();
    this.learner?.dispose();
    this.learner = new Learner(this.body, data, config, this.onProgress);
    return { classes: data.classes, train: data.train.length, valid: data.valid.length };
  }

  require(): Learner {
    if (!this.learner) throw new Error('Prepare training first (Train tab).');
    return this.learner;
  }

  async fit(epochs: number, maxLr: string): Promise<EpochRow[]> {
    const learner = this.require();
    return learner.fitOneCycle(epochs, maxLr, async (row) => {
      this.onEpoch(row);
      // A reload or crash now loses at most the epoch in progress.
      await saveCheckpoint(learner, AUTOSAVE);
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
    const config = this.learner?.config ?? { ...DEFAULT_TRAIN_CONFIG, size: record.size, seed: record.seed };
    this.learner?.dispose();
    this.learner = new Learner(this.body, data, config, this.onProgress);
    await restoreCheckpoint(this.learner, record);
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
      this.learner?.dispose();
      this.learner = new Learner(
        this.body,
        matches ? data! : { classes: record.classes, train: [], valid: [] },
        { ...DEFAULT_TRAIN_CONFIG, size: record.size, seed: record.seed },
        this.onProgress,
      );
    }
    return await restoreCheckpoint(this.learner!, record);
  }
}
