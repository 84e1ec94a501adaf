// Re-estimating the body's BatchNorm running statistics on training images (fast frozen mode, new
// model): the running averages become the pooled statistics of the images, γ/β stay, nothing leaks,
// and the sample is spread over the whole training set.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { caffePreprocess } from '../src/ml/preprocess';
import type { TrainConfig } from '../src/protocol';
import { disposeStats } from '../src/worker/ml/batchnorm';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import { adaptBatchNorm, adaptSample } from '../src/worker/train/bn-adapt';
import { batchTensor, decodeBatch, type Example, type Pixels } from '../src/worker/train/data';
import { tinyKeras } from './support/tiny-resnet';

/** Each "file" is two bytes: a grey level and a stripe phase. */
async function decode(blob: Blob, size: number): Promise<Pixels> {
  const [level, phase] = new Uint8Array(await blob.arrayBuffer());
  const data = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    const v = (p + phase) % 3 === 0 ? 255 - level : level;
    data.set([v, (v * 3) % 256, 255 - v, 255], p * 4);
  }
  return { width: size, height: size, data };
}

const CONFIG: TrainConfig = { size: 8, batchSize: 4, seed: 3, frozenMode: 'fast', variants: 1 };
const examples: Example[] = Array.from({ length: 8 }, (_, i) => ({
  id: i,
  label: i % 2,
  blob: new Blob([Uint8Array.of(20 + i * 25, i)]),
}));

describe('BatchNorm statistics re-estimated on training images', () => {
  let body: ResNetGraph;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    const { model, topology } = tinyKeras();
    body = ResNetGraph.fromLayersModel(model, topology);
    model.dispose();
  });

  it('sets the running averages to the pooled statistics of every pass, and leaks nothing', async () => {
    const bns = [...body.bns.values()];
    const gammas = bns.map((p) => Array.from(p.gamma.dataSync()));
    const before = tf.memory().numTensors;
    const phases: string[] = [];
    await adaptBatchNorm({
      body,
      train: examples,
      config: CONFIG,
      decode: (blob, size) => decode(blob, size),
      report: (p) => phases.push(`${p.phase} ${p.done}/${p.total}`),
      stopIfCancelled: async () => undefined,
      random: null,
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(phases).toEqual(['statistics 4/8', 'statistics 8/8']);
    expect(bns.map((p) => Array.from(p.gamma.dataSync()))).toEqual(gammas);

    // Reference: the same two passes (no augmentation on either side), pooled by hand in numbers.
    const first = bns[0];
    const pooled = { n: 0, sum: [] as number[], sq: [] as number[] };
    for (const chunk of [examples.slice(0, 4), examples.slice(4)]) {
      const raw = await decodeBatch(chunk, CONFIG.size, null, (blob, size) => decode(blob, size));
      const x = tf.tidy(() => caffePreprocess(batchTensor(raw, CONFIG.size)));
      const stats = body.batchStatistics(x);
      x.dispose();
      const { mean, variance, count } = stats.get(first)!;
      const m = Array.from(mean.dataSync());
      const v = Array.from(variance.dataSync());
      m.forEach((value, c) => {
        pooled.sum[c] = (pooled.sum[c] ?? 0) + value * count;
        pooled.sq[c] = (pooled.sq[c] ?? 0) + (v[c] + value * value) * count;
      });
      pooled.n += count;
      disposeStats(stats);
    }
    const mean = pooled.sum.map((s) => s / pooled.n);
    const variance = pooled.sq.map((q, c) => (q / pooled.n - mean[c] ** 2) * (pooled.n / (pooled.n - 1)));
    const got = Array.from(first.movingMean.dataSync());
    got.forEach((g, c) => expect(g).toBeCloseTo(mean[c], 2));
    Array.from(first.movingVariance.dataSync()).forEach((g, c) =>
      expect(Math.abs(g - variance[c]) / Math.max(1, variance[c])).toBeLessThan(0.05),
    );
  });

  it('samples evenly across the training set when it is larger than the limit', () => {
    const items = Array.from({ length: 10 }, (_, i) => i);
    expect(adaptSample(items, 4)).toEqual([0, 2, 5, 7]);
    expect(adaptSample(items, 20)).toEqual(items);
  });
});
