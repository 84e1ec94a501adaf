// What a learner trains: the ResNet50 body and fast.ai's head, the stage (frozen or not) and the
// optimizer that belongs to it. Owns the optimizer's lifetime: freezeTo and a head restart replace
// it, a checkpoint exports and restores it with the weights, and a bookmark (lr_find's) puts all of
// it back exactly.
import * as tf from '@tensorflow/tfjs';
import type { AdamW } from '../../ml/adamw';
import type { EpochRow } from '../../protocol';
import type { ResNetGraph } from '../ml/resnet-graph';
import { newAdamW } from '../kernels/adamw-op';
import type { FastaiHead } from './head';
import { exportLearnerState, restoreLearnerState, type LearnerState } from './learner-state';

export class TrainableModel {
  private frozen = true;
  private adamW: AdamW = newAdamW();

  constructor(
    readonly body: ResNetGraph,
    readonly head: FastaiHead,
  ) {}

  get stage(): 'frozen' | 'unfrozen' {
    return this.frozen ? 'frozen' : 'unfrozen';
  }

  /** The optimizer of the current stage (its moments and step count live as long as the stage). */
  get optimizer(): AdamW {
    return this.adamW;
  }

  /**
   * The user's freeze() / unfreeze(). fast.ai's freeze_to creates a new optimizer, so the next fit
   * starts with zero moments and step 0 (bias correction for every parameter, old and new alike).
   */
  freezeTo(frozen: boolean): void {
    if (frozen !== this.frozen) this.replaceOptimizer();
    this.frozen = frozen;
  }

  /** The head from its seed's initial weights, a new optimizer, the frozen stage; the body as it is. */
  restartHead(): void {
    this.head.reset();
    this.replaceOptimizer();
    this.frozen = true;
  }

  /** [stem, res2, res3] · [res4, res5] · [head], each limited to what trains in this stage. */
  groups(): tf.Variable[][] {
    return [...this.body.bodyGroups(this.frozen), this.head.trainableVariables()];
  }

  /** Every variable by a name that survives reloads: body, head, running statistics. */
  namedVariables(): Map<string, tf.Variable> {
    return new Map([...this.body.namedBodyVariables(), ...this.head.namedVariables()]);
  }

  /** Weights, optimizer moments by variable name, stage and the given history, as values. */
  exportState(history: readonly EpochRow[]): Promise<LearnerState> {
    return exportLearnerState(this.namedVariables(), this.adamW, this.stage, history);
  }

  /** Weights, optimizer and stage from a state exported by a model of the same classes. */
  restore(state: LearnerState): void {
    restoreLearnerState(this.namedVariables(), this.adamW, state);
    this.frozen = state.stage === 'frozen';
  }

  /**
   * Copies of every weight and the optimizer set aside, a new optimizer in its place; the function
   * returned puts both back exactly (and frees the copies and the interim optimizer).
   */
  bookmark(): () => void {
    const snapshot = new Map([...this.namedVariables()].map(([k, v]) => [k, tf.clone(v)]));
    const saved = this.adamW;
    this.adamW = newAdamW();
    return () => {
      for (const [name, v] of this.namedVariables()) v.assign(snapshot.get(name)!);
      tf.dispose([...snapshot.values()]);
      this.adamW.dispose();
      this.adamW = saved;
    };
  }

  dispose(): void {
    this.head.dispose();
    this.adamW.dispose();
  }

  private replaceOptimizer(): void {
    this.adamW.dispose();
    this.adamW = newAdamW();
  }
}
