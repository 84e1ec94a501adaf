// AdamW's state crosses checkpoints through exportState / restore: a restored optimizer continues
// exactly as the original, and neither leaks tensors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../src/ml/adamw';

describe('AdamW state', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('export → restore continues identically', async () => {
    const before = tf.memory().numTensors;
    const a = tf.tidy(() => tf.variable(tf.tensor1d([1, -2, 3]), true, 'adamw-test/a'));
    const b = tf.tidy(() => tf.variable(tf.tensor1d([1, -2, 3]), true, 'adamw-test/b'));
    const grad = (v: tf.Variable) => ({ [v.name]: tf.tensor1d([0.5, -0.25, 1]) });
    const first = new AdamW();
    for (let i = 0; i < 3; i++) {
      const g = grad(a);
      first.apply([[a]], [1e-2], 0.9, g);
      tf.dispose(Object.values(g));
    }
    const state = await first.exportState();
    expect(state.step).toBe(3);
    // The same weights and moments, handed to another variable through values.
    b.assign(a);
    const second = new AdamW();
    second.restore({ step: state.step, moments: new Map([[b, state.moments.get(a)!]]) });
    expect(second.step).toBe(3);
    const ga = grad(a);
    const gb = grad(b);
    first.apply([[a]], [1e-2], 0.85, ga);
    second.apply([[b]], [1e-2], 0.85, gb);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    tf.dispose([...Object.values(ga), ...Object.values(gb)]);
    first.dispose();
    second.dispose();
    tf.dispose([a, b]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
