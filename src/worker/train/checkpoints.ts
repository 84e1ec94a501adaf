// save(name) / load(name): weights, Adam moments, stage, classes, split seed and history, in one
// IndexedDB record (one transaction: a crash leaves the previous checkpoint intact).
import * as tf from '@tensorflow/tfjs';
import { openStudioDb } from '../../data/db';
import { announce } from '../../data/changes';
import { STORES, type CheckpointRecord } from '../../data/schema';
import {
  AUTOSAVE_CHECKPOINT,
  StudioError,
  type CheckpointInfo,
  type EpochRow,
  type LrFindResult,
} from '../../protocol';
import type { Learner } from './learner';

export const AUTOSAVE = AUTOSAVE_CHECKPOINT;

function info(record: CheckpointRecord): CheckpointInfo {
  return {
    name: record.name,
    stage: record.stage,
    savedAt: record.savedAt,
    errorRate: record.errorRate,
    classes: record.classes,
    history: record.history as EpochRow[],
    lrFind: record.lrFind ?? null,
  };
}

async function bytes(t: tf.Tensor): Promise<Blob> {
  return new Blob([(await t.data()) as Float32Array<ArrayBuffer>]);
}

async function floats(blob: Blob): Promise<Float32Array> {
  return new Float32Array(await blob.arrayBuffer());
}

/** The learner's full state as a checkpoint record (in memory). */
export async function checkpointRecord(
  learner: Learner,
  name: string,
  lrFind: LrFindResult | null = null,
): Promise<CheckpointRecord> {
  const tensors: CheckpointRecord['tensors'] = [];
  const named = learner.namedVariables();
  const slots = learner.optimizer.state();
  for (const [key, v] of named) {
    tensors.push({ name: key, shape: v.shape, data: await bytes(v) });
    const slot = slots.get(v);
    if (slot) {
      tensors.push({ name: `${key}#m`, shape: v.shape, data: await bytes(slot.m) });
      tensors.push({ name: `${key}#v`, shape: v.shape, data: await bytes(slot.v) });
    }
  }
  const last = learner.history[learner.history.length - 1];
  return {
    name,
    savedAt: Date.now(),
    stage: learner.stage,
    classes: learner.data.classes,
    seed: learner.config.seed,
    size: learner.config.size,
    errorRate: last ? last.errorRate : null,
    history: learner.history,
    config: learner.config,
    tensors,
    optimizerStep: learner.optimizer.step,
    lrFind,
  };
}

export async function saveCheckpoint(
  learner: Learner,
  name: string,
  lrFind: LrFindResult | null = null,
): Promise<CheckpointInfo> {
  const record = await checkpointRecord(learner, name, lrFind);
  await (await openStudioDb()).put(STORES.checkpoints, record);
  announce(STORES.checkpoints);
  return info(record);
}

export async function readCheckpoint(name: string): Promise<CheckpointRecord> {
  const record = await (await openStudioDb()).get(STORES.checkpoints, name);
  if (!record) throw new StudioError('not-found', `No checkpoint named "${name}".`);
  return record;
}

/** Restores a checkpoint into a learner built for the same classes. */
export async function restoreCheckpoint(learner: Learner, record: CheckpointRecord): Promise<CheckpointInfo> {
  const named = learner.namedVariables();
  const byName = new Map<string, { shape: number[]; values: Float32Array }>();
  for (const t of record.tensors) byName.set(t.name, { shape: t.shape, values: await floats(t.data) });
  for (const key of named.keys()) {
    if (!byName.has(key)) throw new Error(`The checkpoint has no weights for ${key}.`);
  }
  for (const [key, v] of named) {
    const saved = byName.get(key)!;
    tf.tidy(() => v.assign(tf.tensor(saved.values, saved.shape)));
  }
  learner.optimizer.dispose();
  const slots = learner.optimizer.state();
  for (const [key, v] of named) {
    const m = byName.get(`${key}#m`);
    const s = byName.get(`${key}#v`);
    if (m && s) {
      slots.set(
        v,
        tf.tidy(() => ({
          m: tf.variable(tf.tensor(m.values, m.shape), false),
          v: tf.variable(tf.tensor(s.values, s.shape), false),
        })),
      );
    }
  }
  learner.optimizer.step = record.optimizerStep;
  learner.setFrozen(record.stage === 'frozen');
  learner.history = record.history as EpochRow[];
  learner.invalidateCache();
  return info(record);
}

export async function listCheckpoints(): Promise<CheckpointInfo[]> {
  const db = await openStudioDb();
  const out: CheckpointInfo[] = [];
  let cursor = await db.transaction(STORES.checkpoints).store.openCursor();
  while (cursor) {
    out.push(info(cursor.value));
    cursor = await cursor.continue();
  }
  return out.sort((a, b) => b.savedAt - a.savedAt);
}

export async function deleteCheckpoint(name: string): Promise<boolean> {
  await (await openStudioDb()).delete(STORES.checkpoints, name);
  announce(STORES.checkpoints);
  return true;
}
