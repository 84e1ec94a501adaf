// save(name) / load(name): weights, Adam moments, stage, classes, split seed and history, in one
// IndexedDB record (one transaction: a crash leaves the previous checkpoint intact).
import { openStudioDb, storageFailure } from '../../data/db';
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

/** The learner's full state as a checkpoint record (in memory). */
export async function checkpointRecord(
  learner: Learner,
  name: string,
  lrFind: LrFindResult | null = null,
): Promise<CheckpointRecord> {
  const state = await learner.exportState();
  const shapes = new Map([...learner.namedVariables()].map(([key, v]) => [key, v.shape]));
  const tensors: CheckpointRecord['tensors'] = [];
  const blob = (values: Float32Array) => new Blob([values as Float32Array<ArrayBuffer>]);
  for (const [key, values] of state.weights) {
    const shape = shapes.get(key)!;
    tensors.push({ name: key, shape, data: blob(values) });
    const moment = state.optimizer.moments.get(key);
    if (moment) {
      tensors.push({ name: `${key}#m`, shape, data: blob(moment.m) });
      tensors.push({ name: `${key}#v`, shape, data: blob(moment.v) });
    }
  }
  const last = state.history[state.history.length - 1];
  return {
    name,
    savedAt: Date.now(),
    stage: state.stage,
    classes: learner.data.classes,
    seed: learner.config.seed,
    size: learner.config.size,
    errorRate: last ? last.errorRate : null,
    history: state.history,
    config: learner.config,
    tensors,
    optimizerStep: state.optimizer.step,
    lrFind,
  };
}

export async function saveCheckpoint(
  learner: Learner,
  name: string,
  lrFind: LrFindResult | null = null,
): Promise<CheckpointInfo> {
  const record = await checkpointRecord(learner, name, lrFind);
  try {
    await (await openStudioDb()).put(STORES.checkpoints, record);
  } catch (error) {
    // A full quota named as such; any other refusal with the browser's own name for it.
    throw await storageFailure(error, recordBytes(record));
  }
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
  const weights = new Map<string, Float32Array>();
  const parts = new Map<string, { m?: Float32Array; v?: Float32Array }>();
  for (const t of record.tensors) {
    const values = new Float32Array(await t.data.arrayBuffer());
    const [key, moment] = t.name.split('#') as [string, 'm' | 'v' | undefined];
    if (!moment) weights.set(key, values);
    else parts.set(key, { ...parts.get(key), [moment]: values });
  }
  const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  for (const [key, { m, v }] of parts) if (m && v) moments.set(key, { m, v });
  learner.restore({
    stage: record.stage,
    history: record.history as EpochRow[],
    weights,
    optimizer: { step: record.optimizerStep, moments },
  });
  return info(record);
}

/** `name`, or `name (2)`, `name (3)`… when taken: an import never overwrites a checkpoint. */
export async function freeCheckpointName(name: string): Promise<string> {
  const db = await openStudioDb();
  let free = name;
  for (let n = 2; await db.get(STORES.checkpoints, free); n++) free = `${name} (${n})`;
  return free;
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

/** The bytes a checkpoint's tensors take in storage. */
function recordBytes(record: CheckpointRecord): number {
  return record.tensors.reduce((n, t) => n + t.data.size, 0);
}
