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
