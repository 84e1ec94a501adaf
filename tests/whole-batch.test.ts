// A batch computed in passes with whole-batch BatchNorm (statistics pass, head on the whole batch,
// body passes backward from the pooled-feature gradient) gives the gradients and loss of the whole
// batch in one pass — body and head BatchNorm included — checked against tfjs's own autodiff of the
// one-pass forward, in Node; and it leaks no tensors.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { caffePreprocess } from '../src/ml/preprocess';
import { disposeStats } from '../src/worker/ml/batchnorm';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import { concatPool, FastaiHead } from '../src/worker/train/head';
import { wholeBatchStep } from '../src/worker/train/whole-batch';
import { tinyKeras } from './support/tiny-resnet';

describe('whole-batch step in passes', () => {
  let body: ResNetGraph;
  let head: FastaiHead;
  let x: tf.Tensor4D;
  const labels = [0, 1, 2, 0, 1, 2, 0];
  const COSINE = 0.95;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    const { model, topology } = tinyKeras();
    body = ResNetGraph.fromLayersModel(model, topology);
    model.dispose();
    head = new FastaiHead(2 * body.bodyChannels(), 3, 11);
    x = tf.randomUniform([labels.length, 8, 8, 3], 0, 255, 'float32', 5) as tf.Tensor4D;
  });

  /** The reference gradients, and ours with `perPass` images per pass, both from the same weights. */
  async function compare(perPass: number) {
    const headVars = head.trainableVariables();
    const bodyVars = body.trainableVariables().filter((v) => !body.dense.has(v.name.split('/')[1]));
    const vars = [...bodyVars, ...headVars];
    // Reference: the whole batch in one pass, BatchNorm on its statistics, autodiff by tfjs.
    let stats: ReturnType<ResNetGraph['forward']>['batchStats'] = new Map();
    let headStats: ReturnType<FastaiHead['forward']>['stats'] = new Map();
    const reference = tf.variableGrads(() => {
      const f = body.forward(caffePreprocess(x), { training: true, until: body.bodyOutput });
      stats = f.batchStats;
      const h = head.forward(concatPool(f.output as tf.Tensor4D), true, 1234);
      headStats = h.stats;
      return tf.losses.softmaxCrossEntropy(tf.oneHot(tf.tensor1d(labels, 'int32'), 3), h.logits) as tf.Scalar;
    }, vars);
    disposeStats(stats);
    disposeStats(headStats);
    const mean = body.bns.values().next().value!.movingMean;
    const runningBefore = Array.from(await mean.data());
    const before = tf.memory().numTensors;
    const ours = wholeBatchStep({
      body,
      head,
      input: x,
      targets: { labels },
      imagesPerPass: perPass,
      bodyVars,
      headVars,
      dropoutSeed: 1234,
    });
    expect(tf.memory().numTensors - before).toBe(vars.length + 1); // the gradients and the loss
    expect(Array.from(await mean.data())).not.toEqual(runningBefore); // moved once, to the batch's
    const worst = new Map<tf.Variable, { relative: number; cosine: number }>();
    for (const v of vars) {
      const want = await reference.grads[v.name].data();
      const got = await ours.grads[v.name].data();
      const scale = Math.max(1e-6, ...Array.from(want, Math.abs));
      let relative = 0;
      let dot = 0;
      let a = 0;
      let b = 0;
      for (let i = 0; i < want.length; i++) {
        relative = Math.max(relative, Math.abs(got[i] - want[i]) / scale);
        dot += got[i] * want[i];
        a += got[i] ** 2;
        b += want[i] ** 2;
      }
      worst.set(v, { relative, cosine: dot / Math.sqrt(a * b + 1e-30) });
    }
    const losses = [(await ours.loss.data())[0], (await reference.value.data())[0]];
    tf.dispose([reference.value, ...Object.values(reference.grads), ours.loss, ...Object.values(ours.grads)]);
    return { worst, losses, bodyVars, headVars };
  }

  it('equals one pass over the whole batch when the batch fits one pass', async () => {
    const { worst, losses } = await compare(labels.length);
    expect(losses[0]).toBeCloseTo(losses[1], 6);
    for (const [v, { relative }] of worst) expect(relative, v.name).toBeLessThan(1e-4);
  });

  it('in passes: the loss and head gradients exactly, the body gradients closely', async () => {
    const { worst, losses, bodyVars, headVars } = await compare(3); // passes of 3, 2, 2
    expect(losses[0]).toBeCloseTo(losses[1], 6);
    for (const v of headVars) expect(worst.get(v)!.relative, v.name).toBeLessThan(1e-4);
    // BatchNorm's backward estimates the batch's Σdy and Σdy·x̂ from each pass (see batchnorm.ts).
    for (const v of bodyVars) expect(worst.get(v)!.cosine, v.name).toBeGreaterThan(COSINE);
    console.log(
      `[whole-batch] body gradient cosine ≥ ${Math.min(...bodyVars.map((v) => worst.get(v)!.cosine)).toFixed(4)}`,
    );
  });
});
