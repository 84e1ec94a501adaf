// The learner's validation side: per-image losses and predictions (each epoch's row, Interpret), and
// the error with fast.ai's test-time augmentation. In the fast frozen mode both read the cached body
// features; TTA then caches its views' features too, so asking again costs no body pass.
import * as tf from '@tensorflow/tfjs';
import { confusionMatrix, errorRate } from '../../ml/metrics';
import type { EpochRow, Interpretation, TrainConfig, TrainProgress } from '../../protocol';
import type { Classifier } from './classifier';
import { batches, batchTensor, decodeBatch, type Dataset } from './data';
import { FeatureMatrix } from './feature-matrix';
import { TTA_CACHE_IMAGES, type Features } from './features';
import type { FastaiHead } from './head';
import { TTA_VIEWS } from './tta';

export interface Evaluation {
  loss: number;
  losses: number[];
  predicted: number[];
  actualProbability: number[];
  probabilities: number[][];
}

export interface EvaluationSources {
  data: Dataset;
  config: TrainConfig;
  head: FastaiHead;
  classifier: Classifier;
  report(progress: TrainProgress): void;
  /** Between images: throws (after freeing the given tensors) when the job was cancelled. */
  stopIfCancelled(toDispose?: tf.Tensor[]): Promise<void>;
}

/** Validation set in eval mode: per-image losses, predictions and probabilities. */
export async function evaluateValidation(s: EvaluationSources, cache: Features | null): Promise<Evaluation> {
  const valid = s.data.valid;
  const { size, batchSize } = s.config;
  const out: Evaluation = { loss: 0, losses: [], predicted: [], actualProbability: [], probabilities: [] };
  const startedAt = Date.now();
  let offset = 0;
  for (const chunk of batches(valid, batchSize)) {
    let pooled: tf.Tensor2D;
    if (cache) pooled = cache.valid.slice(offset, chunk.length);
    else {
      const raw = await decodeBatch(chunk, size, null, s.classifier.decode);
      const x = batchTensor(raw, size);
      pooled = s.classifier.pooledEval(x);
      x.dispose();
    }
    const p = tf.tidy(() => tf.softmax(s.head.forward(pooled, false).logits));
    pooled.dispose();
    const rows = (await p.array()) as number[][];
    p.dispose();
    chunk.forEach((e, i) => {
      const row = rows[i];
      const actual = Math.max(row[e.label], 1e-12);
      out.losses.push(-Math.log(actual));
      out.actualProbability.push(row[e.label]);
      out.predicted.push(row.indexOf(Math.max(...row)));
      out.probabilities.push(row);
    });
    offset += chunk.length;
    s.report({
      phase: 'validate',
      done: offset,
      total: valid.length,
      startedAt,
      images: offset,
      cached: cache !== null,
    });
  }
  out.loss = out.losses.reduce((a, b) => a + b, 0) / Math.max(1, out.losses.length);
  return out;
}

/** fast.ai's ClassificationInterpretation inputs: the confusion matrix and per-image losses. */
export function interpretation(data: Dataset, e: Evaluation): Interpretation {
  const actual = data.valid.map((x) => x.label);
  return {
    classes: data.classes,
    ids: data.valid.map((x) => x.id),
    actual,
    predicted: e.predicted,
    losses: e.losses,
    actualProbability: e.actualProbability,
    confusion: confusionMatrix(actual, e.predicted, data.classes.length),
  };
}

/**
 * Validation error with test-time augmentation (fast.ai's learn.TTA()), image by image. `cache`: the
 * fast frozen mode's features of the current body, if any — the views' features are kept in it
 * (small validation sets, TTA_CACHE_IMAGES) and reused while it lives.
 */
export async function ttaErrorRate(
  s: EvaluationSources,
  cache: Features | null,
): Promise<{ errorRate: number; valid: number }> {
  const valid = s.data.valid;
  const startedAt = Date.now();
  const cached = cache?.validViews;
  const keep =
    !cached && cache !== null && valid.length > 0 && valid.length <= TTA_CACHE_IMAGES
      ? new FeatureMatrix(valid.length * TTA_VIEWS)
      : null;
  let wrong = 0;
  for (const [i, example] of valid.entries()) {
    await s.stopIfCancelled();
    const views = cached
      ? cached.slice(i * TTA_VIEWS, TTA_VIEWS)
      : await s.classifier.pooledViews(example.blob, true);
    try {
      const p = await s.classifier.averaged(views);
      if (keep) await keep.append(views);
      if (p.indexOf(Math.max(...p)) !== example.label) wrong++;
    } finally {
      views.dispose();
    }
    s.report({
      phase: 'validate',
      done: i + 1,
      total: valid.length,
      startedAt,
      images: (i + 1) * TTA_VIEWS,
      cached: cached !== undefined,
    });
  }
  if (keep && cache) cache.validViews = keep;
  return { errorRate: valid.length ? wrong / valid.length : 0, valid: valid.length };
}

/** An epoch table's row: the epoch's facts, its validation's loss and error, the engine's memory. */
export function epochRow(
  data: Dataset,
  evaluation: Evaluation,
  epoch: Pick<EpochRow, 'run' | 'stage' | 'epoch' | 'trainLoss' | 'seconds'>,
): EpochRow {
  const errors = errorRate(
    data.valid.map((e) => e.label),
    evaluation.predicted,
  );
  const memory = tf.memory();
  return {
    ...epoch,
    validLoss: evaluation.loss,
    errorRate: errors,
    accuracy: 1 - errors,
    tensors: memory.numTensors,
    bytes: memory.numBytes,
  };
}
