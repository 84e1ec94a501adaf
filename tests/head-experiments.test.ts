// The head's experiments on cached features, in Node (tfjs cpu, a tiny ResNet-shaped graph):
// restartHead replays a fit exactly without a feature pass, TTA reuses its views' features while the
// body is unchanged, and mixup trains (on features and on pixels) without leaking tensors.
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpochRow, TrainConfig, TrainProgress } from '../src/protocol';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import type { DecodeImage } from '../src/worker/train/data';
import { Learner } from '../src/worker/train/learner';
import { colourDataset, decodeColour } from './support/colour-dataset';
import { tinyKeras } from './support/tiny-resnet';

const CONFIG: TrainConfig = { size: 16, batchSize: 6, seed: 42, frozenMode: 'fast', variants: 2 };
const noop = async () => undefined;
const numbers = (rows: readonly EpochRow[]) => rows.map((r) => [r.trainLoss, r.validLoss, r.errorRate]);

describe('head experiments on cached features', () => {
  let body: ResNetGraph;
  let learner: Learner;
  const phases: TrainProgress['phase'][] = [];
  let decodes = 0;
  const decode: DecodeImage = (blob, size, crop) => {
    decodes++;
    return decodeColour(blob, size, crop);
  };

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const { model, topology } = tinyKeras();
    body = ResNetGraph.fromLayersModel(model, topology);
    model.dispose();
    learner = new Learner(body, colourDataset(6), CONFIG, (p) => phases.push(p.phase), { decode });
  });
  afterAll(() => learner.dispose());

  it('restartHead replays the same epoch table on the cached features, with no feature pass', async () => {
    const first = await learner.fitOneCycle(2, '1e-2', noop);
    expect(phases).toContain('features');
    await learner.fitOneCycle(1, '1e-2', noop); // the head moves on
    const before = tf.memory().numTensors;
    phases.length = 0;
    decodes = 0;
    learner.restartHead();
    expect(learner.history).toHaveLength(0);
    const again = await learner.fitOneCycle(2, '1e-2', noop);
    expect(numbers(again)).toEqual(numbers(first));
    expect(phases).not.toContain('features');
    expect(decodes).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('TTA keeps its views’ features while the body is unchanged: the same error, no decoding', async () => {
    const before = tf.memory().numTensors;
    decodes = 0;
    const first = await learner.ttaErrorRate();
    expect(decodes).toBe(learner.data.valid.length);
    // The views' features are kept in JavaScript memory (FeatureMatrix), not as a tensor.
    expect(tf.memory().numTensors).toBe(before);
    decodes = 0;
    const second = await learner.ttaErrorRate();
    expect(second).toEqual(first);
    expect(decodes).toBe(0);
    expect(tf.memory().numTensors).toBe(before);
    learner.invalidateCache();
  });

  it('mixup changes the training (features and pixels alike) and leaks nothing', async () => {
    learner.restartHead();
    const plain = await learner.fitOneCycle(1, '1e-2', noop);
    learner.reconfigure({ ...CONFIG, mixup: 0.4 }, CONFIG.batchSize);
    learner.restartHead();
    const before = tf.memory().numTensors;
    const mixed = await learner.fitOneCycle(2, '1e-2', noop);
    expect(mixed[0].trainLoss).not.toBe(plain[0].trainLoss);
    expect(mixed[1].tensors).toBe(mixed[0].tensors);
    learner.reconfigure({ ...CONFIG, mixup: 0.4, frozenMode: 'faithful' }, 3); // pixels, in passes
    const pixels = await learner.fitOneCycle(2, '1e-2', noop);
    expect(pixels.every((r) => Number.isFinite(r.trainLoss))).toBe(true);
    expect(pixels[1].tensors).toBe(pixels[0].tensors);
    learner.restartHead(); // frees the optimizer's moments (the body's BatchNorm ones too)
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before); // the pixel fit dropped the cache
  });
});
