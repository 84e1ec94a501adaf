// The worker's training session: one learner at a time, its requests, and the pretrained body kept
// aside so every new learner starts from ImageNet weights, not from the last experiment.
import * as tf from '@tensorflow/tfjs';
import { openStudioDb, StorageError } from '../../data/db';
import {
  DEFAULT_TRAIN_CONFIG,
  StudioError,
  type CheckpointInfo,
  type DatasetInfo,
  type EpochRow,
  type LrFindResult,
  type ModelSummary,
  type TrainConfig,
  type TrainProgress,
} from '../../protocol';
import type { ResNetGraph } from '../ml/resnet-graph';
import type { CheckpointRecord } from '../../data/schema';
import { AUTOSAVE, readCheckpoint, restoreCheckpoint, saveCheckpoint } from './checkpoints';
import { loadDataset, type Dataset } from './data';
import { imagesPerPass } from '../../policy/memory-limits';
import { Learner } from './learner';

/** What the session knows about the current model beyond the learner's weights. */
interface Provenance {
  origin: ModelSummary['origin'];
  savedAs: string | null;
  autosaved: boolean;
  autosaveRefused: string | null;
  saves: string[];
  lrFind: LrFindResult | null;
}

export class TrainingSession {
  learner: Learner | null = null;
  private pretrained: Map<string, Float32Array> | null = null;
  private provenance: Provenance = TrainingSession.fresh();
  /** ModelSummary.id: bumped whenever the session holds another model. */
  private modelId = 0;

  constructor(
    private readonly body: ResNetGraph,
    private readonly onProgress: (progress: TrainProgress) => void,
    private readonly onEpoch: (row: EpochRow) => void,
    private readonly onModel: (summary: ModelSummary | null) => void = () => undefined,
  ) {}

  private static fresh(): Provenance {
    return {
      origin: { kind: 'new' },
      savedAs: null,
      autosaved: false,
      autosaveRefused: null,
      saves: [],
      lrFind: null,
    };
  }

  /** The current model, as the UI's model panel shows it. */
  summary(): ModelSummary | null {
    const learner = this.learner;
    if (!learner) return null;
    const last = learner.history[learner.history.length - 1];
    return {
      id: this.modelId,
      ...this.provenance,
      stage: learner.stage,
      epochs: learner.history.length,
      errorRate: last ? last.errorRate : null,
      classes: learner.data.classes,
      train: learner.data.train.length,
      valid: learner.data.valid.length,
      config: learner.config,
      imagesPerPass: learner.imagesPerPass,
      history: [...learner.history],
      featuresCached: learner.featuresCached,
    };
  }

  private changed(patch: Partial<Provenance> = {}): void {
    this.provenance = { ...this.provenance, ...patch };
    this.onModel(this.summary());
  }

  /** The user's freeze() / unfreeze(): a change of model (a new optimizer) until saved again. */
  freezeTo(frozen: boolean): void {
    const learner = this.require();
    const change = learner.stage !== (frozen ? 'frozen' : 'unfrozen');
    learner.freezeTo(frozen);
    if (change) this.changed({ savedAs: null, autosaved: false });
  }

  /** The head from scratch on the current body (its cached features kept): a new, unsaved model. */
  restartHead(): void {
    this.require().restartHead();
    this.modelId++;
    this.changed({ savedAs: null, autosaved: false, lrFind: null });
  }

  async lrFind(iterations?: number): Promise<LrFindResult> {
    const result = await this.require().lrFind(iterations);
    this.changed({ lrFind: result });
    return result;
  }

  pickLr(lr: number): void {
    const found = this.provenance.lrFind;
    if (!found) throw new StudioError('invalid-input', 'Run the LR finder first.');
    this.changed({ lrFind: { ...found, picked: lr } });
  }

  /** Saves the current model under a name (its LR finder sweep with it). */
  async save(name: string): Promise<CheckpointInfo> {
    const learner = this.require();
    const total = 1;
    const startedAt = Date.now();
    this.onProgress({ phase: 'save', done: 0, total, startedAt });
    const info = await saveCheckpoint(learner, name, this.provenance.lrFind);
    this.onProgress({ phase: 'save', done: total, total, startedAt });
    if (name === AUTOSAVE) this.changed({ autosaved: true, autosaveRefused: null });
    else
      this.changed({
        savedAs: name,
        autosaveRefused: null,
        saves: [...this.provenance.saves.filter((n) => n !== name), name],
      });
    return info;
  }

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
    const pass = await imagesPerPass(tf.getBackend(), config.size, config.batchSize, config.imagesPerPass);
    const learner = new Learner(this.body, data, config, this.onProgress, { imagesPerPass: pass });
    this.learner = learner;
    return learner;
  }

  async prepare(config: TrainConfig): Promise<DatasetInfo> {
    this.onProgress({ phase: 'prepare', done: 0, total: 1, startedAt: Date.now() });
    const data = await loadDataset(await openStudioDb(), config.seed);
    await this.resetBody();
    const learner = await this.newLearner(data, config);
    this.provenance = TrainingSession.fresh();
    this.modelId++;
    this.changed();
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
    this.changed();
    return { classes, train: train.length, valid: valid.length, imagesPerPass: learner.imagesPerPass };
  }

  require(): Learner {
    if (!this.learner)
      throw new StudioError(
        'no-model',
        'No trained model yet: run step 1 (Fit frozen) on the Train tab, or load a checkpoint there.',
      );
    return this.learner;
  }

  async fit(epochs: number, maxLr: string, frozenMode?: TrainConfig['frozenMode']): Promise<EpochRow[]> {
    const learner = this.require();
    const onEpoch = async (row: EpochRow) => {
      this.provenance = { ...this.provenance, savedAs: null, autosaved: false };
      // Saved before the row is shown: once the user sees an epoch, a reload or crash keeps it.
      // Storage that refuses the save (full, or the browser's own failure) does not throw the
      // trained epochs away: training goes on, the model stays in memory, the user is told.
      try {
        await this.save(AUTOSAVE);
      } catch (error) {
        if (!(error instanceof StorageError)) throw error;
        console.warn(`Epoch ${row.epoch + 1}'s automatic save refused: ${error.message}`);
        // The model panel gets the new epoch, unsaved (set above), and why it is only in memory.
        this.changed({ autosaveRefused: error.full ? 'storage full' : error.message });
        this.onProgress({
          phase: 'save',
          done: 1,
          total: 1,
          startedAt: Date.now(),
          notice: autosaveRefused(row, error),
        });
      }
      this.onEpoch(row);
    };
    return learner.fitOneCycle(epochs, maxLr, onEpoch, frozenMode);
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
    this.provenance = { ...TrainingSession.fresh(), origin: { kind: 'checkpoint', name: checkpoint } };
    this.modelId++;
    this.changed({ saves: [checkpoint], lrFind: record.lrFind ?? null });
    return this.fit(epochs, maxLr);
  }

  async load(name: string, origin: 'checkpoint' | 'import' = 'checkpoint'): Promise<CheckpointInfo> {
    this.onProgress({ phase: 'prepare', done: 0, total: 1, startedAt: Date.now() });
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
    this.provenance = {
      origin: { kind: origin, name },
      savedAs: name === AUTOSAVE ? null : name,
      autosaved: name === AUTOSAVE,
      autosaveRefused: null,
      saves: name === AUTOSAVE ? [] : [name],
      lrFind: record.lrFind ?? null,
    };
    this.modelId++;
    this.changed();
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

/** What the user reads when an epoch's automatic save was refused. */
export function autosaveRefused(row: EpochRow, error: StorageError): string {
  const what = error.full
    ? `the browser storage is full${error.detail ? ` (${error.detail})` : ''}`
    : error.message.replace(/\.$/, '');
  return (
    `Epoch ${row.epoch + 1} (${row.stage}) is trained, but its automatic save failed: ${what}. ` +
    'The model is kept in memory and training goes on; ' +
    (error.full
      ? 'free space (Data tab, or other sites’ data; a private window allows far less storage), then '
      : '') +
    'save it (Save) or export it before closing the tab.'
  );
}
