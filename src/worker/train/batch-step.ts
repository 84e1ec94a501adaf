// One optimisation step of a batch: its loss and gradients — in one pass, in passes with their
// gradients summed, or in passes with the whole batch's BatchNorm statistics (whole-batch.ts) —
// then AdamW's update with the layer groups' rates. The learner owns the state (weights, optimizer,
// random streams); this module only computes with it.
import * as tf from '@tensorflow/tfjs';
import type { AdamW } from '../../ml/adamw';
import { crossEntropy } from '../../ml/loss';
import { sliceTargets, type Targets } from '../../ml/mixup';
import { caffePreprocess } from '../../ml/preprocess';
import { labelSmoothing, passBatchNorm, type TrainConfig } from '../../protocol';
import { rememberOutOfMemory } from '../../policy/memory-limits';
import { EngineFailure, isEngineFailure, isOutOfMemory } from '../errors';
import { disposeStats, passMomentum, updateRunningStats, type LayerStats } from '../ml/batchnorm';
import type { ResNetGraph } from '../ml/resnet-graph';
import { concatPool, type FastaiHead } from './head';
import { sumPasses } from './passes';
import { wholeBatchStep } from './whole-batch';

/** What a step trains with: the model, its trainable groups and optimizer, the pass size. */
export interface StepModel {
  body: ResNetGraph;
  head: FastaiHead;
  config: TrainConfig;
  frozen: boolean;
  /** [stem, res2, res3] · [res4, res5] · [head], each limited to what trains in this stage. */
  groups: tf.Variable[][];
  optimizer: AdamW;
  imagesPerPass: number;
  /** The next dropout seed from the learner's stream (one per pass). */
  dropoutSeed(): number;
}

export interface StepBatch {
  /** Pixels [n, size, size, 3] (0–255), or cached pooled features [n, 4096]. */
  input: tf.Tensor4D | tf.Tensor2D;
  targets: Targets;
  /** Peak-scheduled rate per layer group at this step, and AdamW's β₁ (one-cycle momentum). */
  lrs: number[];
  beta1: number;
}

/** Computes the batch's gradients, applies the update and returns the batch's mean loss. */
export async function optimiseBatch(m: StepModel, b: StepBatch): Promise<number> {
  const vars = m.groups.flat();
  const n = b.targets.labels.length;
  // Cached features are small: only body passes need splitting.
  const perPass = b.input.rank === 4 ? m.imagesPerPass : n;
  if (perPass < n && passBatchNorm(m.config) === 'whole-batch') {
    const headVars = m.head.trainableVariables();
    const { grads, loss } = wholeBatchStep({
      body: m.body,
      head: m.head,
      input: b.input as tf.Tensor4D,
      targets: b.targets,
      imagesPerPass: perPass,
      bodyVars: vars.filter((v) => !headVars.includes(v)),
      headVars,
      dropoutSeed: m.dropoutSeed(),
      labelSmoothing: labelSmoothing(m.config),
    });
    try {
      m.optimizer.apply(m.groups, b.lrs, b.beta1, grads);
      return (await loss.data())[0];
    } finally {
      tf.dispose(grads);
      loss.dispose();
    }
  }
  const { grads, losses } = sumPasses(n, perPass, (start, size) => passGradients(m, b, start, size, vars));
  try {
    m.optimizer.apply(m.groups, b.lrs, b.beta1, grads);
    // Read back after the update is queued, so a GPU never idles waiting for the loss.
    let loss = 0;
    for (const { value, weight } of losses) loss += (await value.data())[0] * weight;
    return loss;
  } finally {
    tf.dispose(grads);
    tf.dispose(losses.map((l) => l.value));
  }
}

/**
 * optimiseBatch, retried with half as many images per pass when the device runs out of memory (the
 * lower limit remembered for this device and size; `lowered` tells the caller, whose next `model()`
 * carries it). On wasm the engine is lost instead: the limit is lowered for the restarted one.
 */
export async function optimiseWithinMemory(
  model: () => StepModel,
  b: StepBatch,
  lowered: (imagesPerPass: number, notice: string) => void,
): Promise<number> {
  for (;;) {
    const m = model();
    try {
      return await optimiseBatch(m, b);
    } catch (error) {
      if (!isOutOfMemory(error) || b.input.rank !== 4) throw error;
      const failedAt = m.imagesPerPass;
      const next = await rememberOutOfMemory(tf.getBackend(), m.config.size, failedAt);
      const advice = `Out of memory with ${failedAt} images per pass at ${m.config.size} px`;
      if (next === null || isEngineFailure(error, tf.getBackend())) {
        throw new EngineFailure(
          `${advice}. The engine must restart` +
            (next ? `; it will use ${next} images per pass. ` : '. Lower the image size. ') +
            'Your data and checkpoints are kept: resume from the last autosave.',
        );
      }
      lowered(next, `${advice}: continuing with ${next} (same batch size, gradients summed).`);
    }
  }
}

/** Loss and gradients of one pass over input[start, start + size); BatchNorm statistics updated. */
function passGradients(
  m: StepModel,
  b: StepBatch,
  start: number,
  size: number,
  vars: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const n = b.targets.labels.length;
  let bodyStats: LayerStats = new Map();
  let headStats: LayerStats = new Map();
  const { value, grads } = tf.variableGrads(() => {
    const part = size === n ? b.input : tf.slice(b.input, start, size);
    let pooled: tf.Tensor2D;
    if (part.rank === 4) {
      const f = m.body.forward(caffePreprocess(part as tf.Tensor4D), {
        training: true,
        until: m.body.bodyOutput,
        bnStats: !m.frozen && passBatchNorm(m.config) === 'running' ? 'running' : 'batch',
      });
      bodyStats = f.batchStats;
      pooled = concatPool(f.output as tf.Tensor4D);
    } else pooled = part as tf.Tensor2D;
    const h = m.head.forward(pooled, true, m.dropoutSeed());
    headStats = h.stats;
    return crossEntropy(sliceTargets(b.targets, start, size), h.logits, labelSmoothing(m.config));
  }, vars);
  const momentum = passMomentum(size / n);
  for (const stats of [bodyStats, headStats]) {
    updateRunningStats(stats, momentum);
    disposeStats(stats);
  }
  return { value, grads };
}
