// Throughput measurements of the active backend with generated inputs (no dataset needed).
import * as tf from '@tensorflow/tfjs';
import { defaultImagesPerPass, splitIntoPasses } from '../ml/batching';
import { generatedBatch } from '../ml/generated';
import { caffePreprocess } from '../ml/preprocess';
import type { BenchArgs, BenchResult, KernelTime } from '../protocol';
import type { ResNetGraph } from './ml/resnet-graph';
import { releaseKernelCaches } from './kernels/register';
import { convFlops, countFlops, type ConvLayer } from './ml/flops';
import { disposeStats, passMomentum, updateRunningStats } from './ml/batchnorm';
import { sumPasses } from './train/passes';
import type { AdamW } from '../ml/adamw';
import { newAdamW } from './kernels/adamw-op';
import { setHeapKernelsEnabled } from './kernels/heap-calls';

/** The same deterministic pattern the tests and the PyTorch benchmark use. */
function generatedPixels(n: number, size: number): tf.Tensor4D {
  const { pixels, shape } = generatedBatch(n, size);
  return tf.tensor4d(pixels, shape);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

async function inferenceStep(model: ResNetGraph, input: tf.Tensor4D): Promise<void> {
  const out = tf.tidy(() => model.forward(input, { training: false }).output);
  await out.data();
  out.dispose();
}

/**
 * One full fine-tuning step (every weight trains, BatchNorm in training mode), in passes as the app's
 * learner runs them (the same sumPasses, BatchNorm momentum per pass and AdamW update).
 */
async function trainStep(
  model: ResNetGraph,
  optimizer: AdamW,
  input: tf.Tensor4D,
  labels: tf.Tensor2D,
  imagesPerPass: number,
): Promise<void> {
  const vars = model.trainableVariables();
  const batch = input.shape[0];
  const { grads, losses } = sumPasses(batch, imagesPerPass, (start, size) => {
    let stats: ReturnType<ResNetGraph['forward']>['batchStats'] | undefined;
    const result = tf.variableGrads(() => {
      const forward = model.forward(tf.slice(input, start, size), { training: true });
      stats = forward.batchStats;
      return tf.mean(
        tf.metrics.categoricalCrossentropy(tf.slice(labels, start, size), forward.output),
      ) as tf.Scalar;
    }, vars);
    if (stats) {
      updateRunningStats(stats, passMomentum(size / batch));
      disposeStats(stats);
    }
    return result;
  });
  optimizer.apply([vars], [1e-5], 0.9, grads);
  tf.dispose([grads, ...losses.map((l) => l.value)]);
  await vars[0].data(); // wait for the device to finish
}

const CONVOLUTIONS = new Set(['Conv2D', 'Conv2DBackpropInput', 'Conv2DBackpropFilter']);
const shapeText = (shape: number[]) => `[${shape.join(',')}]`;

/**
 * How a profiled kernel is grouped: by name, and a convolution by its shapes too — x (dy for an
 * input gradient), the filter and the output (dy for a filter gradient) — with its FLOPs per call,
 * counted as the model's (convFlops), whichever of the three products it is.
 */
function kernelKey(kernel: { name: string; inputShapes: number[][]; outputShapes: number[][] }): {
  key: string;
  flops?: number;
} {
  if (!CONVOLUTIONS.has(kernel.name)) return { key: kernel.name };
  const [first, second] = kernel.inputShapes;
  const out = kernel.outputShapes[0];
  const filter = kernel.name === 'Conv2DBackpropFilter' ? out : second;
  const dy = kernel.name === 'Conv2D' ? out : kernel.name === 'Conv2DBackpropFilter' ? second : first;
  const [batch, outHeight, outWidth] = dy;
  const filterShape = filter as ConvLayer['filterShape'];
  const flops = batch * convFlops({ filterShape, outHeight, outWidth });
  return {
    key: `${kernel.name} ${shapeText(first)} ${shapeText(filter)} ${shapeText(dy)}`,
    flops,
  };
}

/**
 * Kernel time per kernel (and convolution shape) over one step, largest first (nested kernels of
 * our composite kernels count too).
 */
async function profileStep(step: () => Promise<void>): Promise<KernelTime[]> {
  const info = await tf.profile(step);
  const byKey = new Map<string, KernelTime>();
  for (const kernel of info.kernels) {
    const { key, flops } = kernelKey(kernel);
    const entry = byKey.get(key) ?? { name: key, ms: 0, calls: 0, ...(flops ? { flops: 0 } : {}) };
    entry.ms += typeof kernel.kernelTimeMs === 'number' ? kernel.kernelTimeMs : 0;
    entry.calls += 1;
    if (flops) entry.flops! += flops;
    byKey.set(key, entry);
  }
  return [...byKey.values()].sort((a, b) => b.ms - a.ms).slice(0, 40);
}

export async function runBenchmark(model: ResNetGraph, args: BenchArgs): Promise<BenchResult> {
  const { mode, size, batch, steps, warmup } = args;
  // Unset: the same pass size a training run on this backend would start with.
  const perPass = args.microBatch ?? defaultImagesPerPass(tf.getBackend(), size, batch);
  const microBatch = Math.max(...splitIntoPasses(batch, perPass)); // the largest pass actually run
  const tensorsBefore = tf.memory().numTensors;
  const input = tf.tidy(() => caffePreprocess(generatedPixels(batch, size)));
  const labels = tf.tidy(
    () =>
      tf.oneHot(
        tf.tensor1d(
          Array.from({ length: batch }, (_, i) => (i * 97) % 1000),
          'int32',
        ),
        1000,
      ) as tf.Tensor2D,
  );
  const optimizer = newAdamW();
  const stepSeconds: number[] = [];
  let topKernels: KernelTime[] | undefined;
  setHeapKernelsEnabled(args.heapKernels !== false);
  try {
    const step = () =>
      mode === 'inference'
        ? inferenceStep(model, input)
        : trainStep(model, optimizer, input, labels, perPass);
    for (let i = 0; i < warmup + steps; i++) {
      const t0 = performance.now();
      await step();
      if (i >= warmup) stepSeconds.push((performance.now() - t0) / 1000);
      // A step slower than the budget: one measured step is all we take.
      if (args.budgetSeconds && (performance.now() - t0) / 1000 > args.budgetSeconds && i >= warmup) break;
    }
    if (args.profile) topKernels = await profileStep(() => step());
  } finally {
    setHeapKernelsEnabled(true);
    optimizer.dispose();
    tf.dispose([input, labels]);
    releaseKernelCaches();
  }
  const seconds = median(stepSeconds);
  const flops = countFlops(model, size);
  return {
    flopsPerImage: mode === 'inference' ? flops.forward : flops.trainStep,
    stepSeconds,
    imagesPerSecond: batch / seconds,
    microBatch,
    tensorsLeaked: tf.memory().numTensors - tensorsBefore,
    topKernels,
  };
}
