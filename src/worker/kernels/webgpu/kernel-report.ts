// ResNet50's filter gradients on WebGPU, one row per distinct shape: ours against the cpu backend
// (parity) and timed beside tfjs-webgpu's own kernel and a tfjs matMul of the same size.
import * as tf from '@tensorflow/tfjs';
import type { FilterGradientRow, KernelReport, KernelReportArgs } from '../../../protocol';
import { StudioError } from '../../../protocol';
import { convFlops, convLayers } from '../../ml/flops';
import type { ResNetGraph } from '../../ml/resnet-graph';
import { filterGradientPlan, tiledKernelApplies } from './filter-gradient-plan';
import { stockFilterGradient } from './register';

const KERNEL = 'Conv2DBackpropFilter';
/** One timed call slower than this: it is timed once. */
const SLOW_CALL_MS = 5_000;

type Case = Omit<FilterGradientRow, 'relativeError' | 'tfjsMs' | 'oursMs' | 'matmulMs'> & {
  dyShape: [number, number, number, number];
};

/** The distinct filter-gradient shapes of the graph at this input size and batch. */
export function filterGradientCases(
  graph: Pick<ResNetGraph, 'nodes' | 'convs' | 'dense'>,
  size: number,
  batch: number,
): Case[] {
  const byKey = new Map<string, Case>();
  for (const conv of convLayers(graph, size).convs) {
    const [, h, w, ci] = conv.inShape;
    const [kh, kw, , co] = conv.filterShape;
    const key = [h, w, ci, kh, kw, co, ...conv.strides, conv.padding].join(',');
    const seen = byKey.get(key);
    if (seen) {
      seen.layers += 1;
      continue;
    }
    const geometry = {
      batchSize: batch,
      outHeight: conv.outHeight,
      outWidth: conv.outWidth,
      inChannels: ci,
      outChannels: co,
      filterHeight: kh,
      filterWidth: kw,
    };
    const plan = filterGradientPlan(geometry);
    byKey.set(key, {
      shape: `${kh}×${kw} s${conv.strides[0]} ${ci}→${co} at ${h}×${w}`,
      layers: 1,
      xShape: [batch, h, w, ci],
      dyShape: [batch, conv.outHeight, conv.outWidth, co],
      filterShape: conv.filterShape,
      strides: conv.strides,
      pad: conv.padding,
      // A weight gradient costs what the forward convolution costs, per image.
      flops: batch * convFlops(conv),
      splits: plan.splits,
      ours: tiledKernelApplies(plan),
    });
  }
  return [...byKey.values()];
}

/** tfjs-cpu's filter gradient of the same values (the reference), without changing the active backend. */
function cpuFilterGradient(c: Case, x: Float32Array, dy: Float32Array): Float32Array {
  const cpu = tf.engine().findBackend('cpu');
  const kernel = tf.getKernel(KERNEL, 'cpu');
  if (!cpu || !kernel) throw new StudioError('failed', 'the cpu backend is not available for the reference');
  const xId = cpu.write(x, c.xShape, 'float32');
  const dyId = cpu.write(dy, c.dyShape, 'float32');
  const out = kernel.kernelFunc({
    inputs: {
      x: { dataId: xId, shape: c.xShape, dtype: 'float32' },
      dy: { dataId: dyId, shape: c.dyShape, dtype: 'float32' },
    },
    backend: cpu,
    attrs: { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filterShape },
  }) as tf.TensorInfo;
  const values = cpu.readSync(out.dataId) as Float32Array;
  for (const id of [xId, dyId, out.dataId]) cpu.disposeData(id, true);
  return values;
}

function relativeError(ours: Float32Array, reference: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) {
    diff = Math.max(diff, Math.abs(ours[i] - reference[i]));
    scale = Math.max(scale, Math.abs(reference[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

/** ms per call: one warm-up (compiles the shader), then `repeats` calls, synchronised by one read. */
async function timeCalls(call: () => tf.Tensor, repeats: number): Promise<number> {
  const t0 = performance.now();
  const warm = call();
  await warm.data();
  warm.dispose();
  const n = performance.now() - t0 > SLOW_CALL_MS ? 1 : repeats;
  const t1 = performance.now();
  for (let i = 0; i < n; i++) {
    const out = call();
    if (i === n - 1) await out.data();
    out.dispose();
  }
  return (performance.now() - t1) / n;
}

export async function filterGradientReport(
  graph: ResNetGraph,
  { size, batch, check, time, repeats = 3 }: KernelReportArgs,
): Promise<KernelReport> {
  if (tf.getBackend() !== 'webgpu')
    throw new StudioError(
      'invalid-input',
      `WebGPU kernels need the webgpu backend (active: ${tf.getBackend()})`,
    );
  const before = tf.memory().numTensors;
  const rows: FilterGradientRow[] = [];
  for (const [index, c] of filterGradientCases(graph, size, batch).entries()) {
    const { dyShape, ...shape } = c;
    const row: FilterGradientRow = { ...shape };
    const x = tf.randomNormal(c.xShape, 0, 1, 'float32', 2 * index + 1);
    const dy = tf.randomNormal(dyShape, 0, 1, 'float32', 2 * index + 2);
    const attrs = { strides: c.strides, pad: c.pad, dataFormat: 'NHWC', filterShape: c.filterShape };
    const registered = () =>
      tf.engine().runKernel(KERNEL, { x, dy }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    try {
      if (check) {
        const result = registered();
        const values = (await result.data()) as Float32Array;
        result.dispose();
        const reference = cpuFilterGradient(
          c,
          (await x.data()) as Float32Array,
          (await dy.data()) as Float32Array,
        );
        row.relativeError = relativeError(values, reference);
      }
      if (time) {
        const stock = stockFilterGradient();
        const backend = tf.backend();
        if (stock)
          row.tfjsMs = await timeCalls(
            () =>
              tf.engine().makeTensorFromTensorInfo(
                stock({
                  inputs: { x, dy },
                  backend,
                  attrs: attrs as unknown as tf.NamedAttrMap,
                }) as tf.TensorInfo,
              ),
            repeats,
          );
        row.oursMs = await timeCalls(registered, repeats);
        const [kh, kw, ci, co] = c.filterShape;
        const k = dyShape[0] * dyShape[1] * dyShape[2];
        const a = tf.randomNormal([kh * kw * ci, k], 0, 1, 'float32', 7);
        const b = tf.randomNormal([k, co], 0, 1, 'float32', 8);
        row.matmulMs = await timeCalls(() => tf.matMul(a, b), repeats);
        tf.dispose([a, b]);
      }
    } finally {
      tf.dispose([x, dy]);
    }
    rows.push(row);
  }
  return { rows, tensorsLeaked: tf.memory().numTensors - before };
}
