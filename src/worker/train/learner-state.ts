// A learner's checkpoint as plain values: every variable's weights and the optimizer's moments by
// the variable's stable name (names survive reloads; tfjs variables do not), stage and history.
import * as tf from '@tensorflow/tfjs';
import type { AdamW } from '../../ml/adamw';
import type { EpochRow } from '../../protocol';

/** Everything a checkpoint keeps of a learner, as values (see exportState / restore). */
export interface LearnerState {
  stage: 'frozen' | 'unfrozen';
  history: EpochRow[];
  /** Every variable by its stable name (body, head, running statistics). */
  weights: Map<string, Float32Array>;
  optimizer: { step: number; moments: Map<string, { m: Float32Array; v: Float32Array }> };
}

export async function exportLearnerState(
  named: Map<string, tf.Variable>,
  optimizer: AdamW,
  stage: LearnerState['stage'],
  history: readonly EpochRow[],
): Promise<LearnerState> {
  const weights = new Map<string, Float32Array>();
  for (const [name, v] of named) weights.set(name, (await v.data()) as Float32Array);
  const exported = await optimizer.exportState();
  const moments = new Map<string, { m: Float32Array; v: Float32Array }>();
  for (const [name, v] of named) {
    const moment = exported.moments.get(v);
    if (moment) moments.set(name, moment);
  }
  return { stage, history: [...history], weights, optimizer: { step: exported.step, moments } };
}

/** Assigns the weights and the optimizer's moments; every variable must be in the state. */
export function restoreLearnerState(
  named: Map<string, tf.Variable>,
  optimizer: AdamW,
  state: LearnerState,
): void {
  for (const name of named.keys())
    if (!state.weights.has(name)) throw new Error(`The checkpoint has no weights for ${name}.`);
  for (const [name, v] of named) tf.tidy(() => v.assign(tf.tensor(state.weights.get(name)!, v.shape)));
  const moments = new Map<tf.Variable, { m: Float32Array; v: Float32Array }>();
  for (const [name, moment] of state.optimizer.moments) {
    const v = named.get(name);
    if (v) moments.set(v, moment);
  }
  optimizer.restore({ step: state.optimizer.step, moments });
}
