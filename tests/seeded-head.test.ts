// Reproducible runs: the head's initialisation and its dropout masks follow the split seed.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { disposeStats } from '../src/worker/ml/batchnorm';
import { FastaiHead } from '../src/worker/train/head';

describe('seeded head', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('same seed → same weights and same dropout masks; another seed → others; no leaks', () => {
    const before = tf.memory().numTensors;
    const pooled = tf.randomNormal([6, 64], 0, 1, 'float32', 3) as tf.Tensor2D;
    const a = new FastaiHead(64, 5, 42);
    const b = new FastaiHead(64, 5, 42);
    const c = new FastaiHead(64, 5, 43);
    const logits = (head: FastaiHead, dropoutSeed: number) =>
      tf.tidy(() => {
        const out = head.forward(pooled, true, dropoutSeed);
        const values = Array.from(out.logits.dataSync());
        disposeStats(out.stats); // the caller's to free
        return values;
      });
    const first = logits(a, 1000);
    expect(logits(b, 1000)).toEqual(first); // same init, same masks
    expect(logits(a, 1001)).not.toEqual(first); // the next step's masks differ
    expect(logits(c, 1000)).not.toEqual(first); // another seed, another init
    for (const head of [a, b, c]) head.dispose();
    pooled.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('stable dataset order', () => {
  it('orders images by what they are, not by when they were stored', async () => {
    const { stableOrder } = await import('../src/worker/train/data');
    const a = { id: 7, className: 'baroque', hash: 'aa', url: 'http://x/1.jpg' };
    const b = { id: 3, className: 'baroque', hash: 'bb', url: 'http://x/2.jpg' };
    const c = { id: 1, className: 'cubism', hash: '00', url: 'http://x/3.jpg' };
    const first = stableOrder([c, a, b]).map((i) => i.url);
    const again = stableOrder([b, c, a].map((i, k) => ({ ...i, id: 100 + k }))).map((i) => i.url);
    expect(first).toEqual(['http://x/1.jpg', 'http://x/2.jpg', 'http://x/3.jpg']);
    expect(again).toEqual(first);
  });
});
