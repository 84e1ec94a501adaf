// AdamW's fused update on wasm (kernels/adamw-op.ts: one SIMD pass over tfjs's heap) against the
// optimizer's own tfjs ops: the same bits over several steps and two rate groups, the kernel actually
// taken where it applies (not for a size that is not a whole number of vectors), no tensor left behind.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../src/ml/adamw';
import { ADAMW_KERNEL, fusedAdamWUpdate } from '../src/worker/kernels/adamw-op';
import { registerWasmTrainingKernels } from '../src/worker/kernels/register';

const SHAPES = [[3, 3, 16, 64], [512], [13], [4096, 16]];

function variables(prefix: string): tf.Variable[] {
  return SHAPES.map((shape, i) => {
    const initial = tf.randomNormal(shape, 0, 1, 'float32', 100 + i);
    const variable = tf.variable(initial, true, `${prefix}${i}`);
    initial.dispose(); // the variable holds its own reference
    return variable;
  });
}

describe('fused AdamW on wasm', () => {
  beforeAll(async () => {
    registerWasmTrainingKernels();
    await tf.setBackend('wasm');
  });

  it('gives the bits of its tfjs ops, step after step, and frees what it makes', async () => {
    const before = tf.memory().numTensors;
    const plain = variables('plain');
    const fused = variables('fused');
    const optimisers = [new AdamW(), new AdamW(undefined, fusedAdamWUpdate)];
    const lrs = [1e-3, 3e-4];
    for (let step = 0; step < 4; step++) {
      const grads = SHAPES.map((shape, i) => tf.randomNormal(shape, 0, 0.1, 'float32', 10 * step + i));
      const byName = (vars: tf.Variable[]) => Object.fromEntries(vars.map((v, i) => [v.name, grads[i]]));
      const beta1 = 0.95 - 0.01 * step;
      optimisers[0].apply([plain.slice(0, 2), plain.slice(2)], lrs, beta1, byName(plain));
      const profile = await tf.profile(() =>
        optimisers[1].apply([fused.slice(0, 2), fused.slice(2)], lrs, beta1, byName(fused)),
      );
      // Three of the four sizes are whole vectors: one kernel call each; [13] runs the ops.
      expect(profile.kernels.filter((k) => k.name === ADAMW_KERNEL)).toHaveLength(3);
      tf.dispose(grads);
    }
    for (let i = 0; i < SHAPES.length; i++)
      expect(Array.from(fused[i].dataSync())).toEqual(Array.from(plain[i].dataSync()));
    const [a, b] = await Promise.all(optimisers.map((o) => o.exportState()));
    for (let i = 0; i < SHAPES.length; i++) {
      expect(Array.from(b.moments.get(fused[i])!.m)).toEqual(Array.from(a.moments.get(plain[i])!.m));
      expect(Array.from(b.moments.get(fused[i])!.v)).toEqual(Array.from(a.moments.get(plain[i])!.v));
    }
    optimisers.forEach((o) => o.dispose());
    tf.dispose([...plain, ...fused]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
