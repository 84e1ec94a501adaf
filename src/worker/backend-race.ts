// With a GPU, WebGPU is usually the faster trainer, but not always (integrated GPUs, busy drivers,
// fast many-core CPUs): time one small training step on each, once per adapter, and keep the faster.
import * as tf from '@tensorflow/tfjs';
import { getMeta, openStudioDb, setMeta } from '../data/db';
import type { BackendRace } from '../protocol';

/**
 * Forward + backward of two 3×3 convolutions (64 channels, 32×32, batch 8): the kernels a ResNet
 * step spends its time in (Conv2D, both backprops, ReLU), ~1 GFLOP, small enough for any device.
 */
async function trainingStepMs(): Promise<number> {
  const x = tf.randomNormal([8, 32, 32, 64]) as tf.Tensor4D;
  const w1 = tf.randomNormal([3, 3, 64, 64], 0, 0.05) as tf.Tensor4D;
  const w2 = tf.randomNormal([3, 3, 64, 64], 0, 0.05) as tf.Tensor4D;
  const loss = (a: tf.Tensor, b: tf.Tensor) =>
    tf.mean(
      tf.relu(tf.conv2d(tf.relu(tf.conv2d(x, a as tf.Tensor4D, 1, 'same')), b as tf.Tensor4D, 1, 'same')),
    );
  const gradients = tf.grads(loss);
  const step = async () => {
    const grads = gradients([w1, w2]);
    await Promise.all(grads.map((g) => g.data()));
    tf.dispose(grads);
  };
  try {
    await step(); // compiles shaders / packs weights
    const t0 = performance.now();
    await step();
    return performance.now() - t0;
  } finally {
    tf.dispose([x, w1, w2]);
  }
}

const cacheKey = (adapter: string) => `backend-race:${adapter}`;

/**
 * The faster of webgpu and wasm on this adapter, measured once and cached in IndexedDB.
 * `setBackend` must be able to start both; the winner is left active.
 */
export async function raceBackends(
  adapter: string,
  setBackend: (name: 'webgpu' | 'wasm') => Promise<boolean>,
): Promise<BackendRace | null> {
  const db = await openStudioDb();
  const cached = await getMeta<BackendRace>(db, cacheKey(adapter));
  if (cached && (await setBackend(cached.winner))) return { ...cached, cached: true };
  const times: Partial<Record<'webgpu' | 'wasm', number>> = {};
  for (const name of ['webgpu', 'wasm'] as const) {
    if (await setBackend(name)) times[name] = await trainingStepMs();
  }
  if (times.webgpu === undefined || times.wasm === undefined) return null;
  const race: BackendRace = {
    winner: times.webgpu <= times.wasm ? 'webgpu' : 'wasm',
    webgpuMs: times.webgpu,
    wasmMs: times.wasm,
    measuredAt: Date.now(),
    cached: false,
  };
  await setMeta(db, cacheKey(adapter), race);
  await setBackend(race.winner);
  return race;
}
