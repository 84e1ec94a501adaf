// bench:gpu's measurement, bundled into one file (bench/gpu.mjs) so that it runs where only Node and a
// GPU are: the app's own WebGPU code (tfjs-webgpu, our filter-gradient kernel, the training step of
// bench:speed) on Dawn, with ResNet50's topology and weights of the right shapes (the values do not
// change the speed; the real weights need not travel). Prints tables, writes one JSON file.
//   node gpu-bench.mjs --model model.json --out result.json [--sizes 128,224 --batch 16 --steps 5
//                      --repeats 5 --check-sizes 128]
import './setup';
import '@tensorflow/tfjs-backend-webgpu';
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { runBenchmark } from '../../src/worker/bench';
import { filterGradientReport } from '../../src/worker/kernels/webgpu/kernel-report';
import { registerWebGpuTrainingKernels, stockFilterGradient } from '../../src/worker/kernels/webgpu/register';
import { ResNetGraph } from '../../src/worker/ml/resnet-graph';
import { KERNEL_COLUMNS, kernelRows, printTable } from '../tables.mjs';
import { layerWeights, makeInputSizeFree, type KerasTopology } from '../../src/worker/ml/resnet-loader';

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
const option = (name: string, fallback: string) => args.get(name) ?? fallback;
const sizes = option('sizes', '128,224').split(',').map(Number);
const batch = Number(option('batch', '16'));
const steps = Number(option('steps', '5'));
const repeats = Number(option('repeats', '5'));
// The cpu backend's reference (plain JavaScript) at 224 px would take minutes: parity at these sizes.
const checkSizes = option('check-sizes', '128').split(',').map(Number);

interface ModelJson {
  modelTopology: Parameters<typeof makeInputSizeFree>[0];
  weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
}

/** ResNet50 with weights of the real shapes: He-scaled convolutions, unit BatchNorm statistics. */
function resnet50(modelJsonPath: string): ResNetGraph {
  const json = JSON.parse(readFileSync(modelJsonPath, 'utf8')) as ModelJson;
  makeInputSizeFree(json.modelTopology);
  const topology = json.modelTopology.model_config.config as unknown as KerasTopology;
  const weights: tf.NamedTensorMap = {};
  for (const [index, spec] of json.weightsManifest.flatMap((g) => g.weights).entries()) {
    const parameter = spec.name.slice(spec.name.lastIndexOf('/') + 1);
    const fanIn = spec.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    weights[spec.name] =
      parameter === 'kernel'
        ? tf.randomNormal(spec.shape, 0, Math.sqrt(2 / fanIn), 'float32', index)
        : parameter === 'gamma' || parameter === 'moving_variance'
          ? tf.ones(spec.shape)
          : tf.zeros(spec.shape);
  }
  const graph = ResNetGraph.fromTopology(topology, layerWeights(topology, weights));
  tf.dispose(Object.values(weights));
  return graph;
}

/** Runs `measure` with tfjs-webgpu's own filter gradient registered instead of ours. */
async function withStockFilterGradient<T>(measure: () => Promise<T>): Promise<T> {
  const ours = tf.getKernel('Conv2DBackpropFilter', 'webgpu')!;
  const stock = stockFilterGradient()!;
  tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
  tf.registerKernel({ ...ours, kernelFunc: stock });
  try {
    return await measure();
  } finally {
    tf.unregisterKernel('Conv2DBackpropFilter', 'webgpu');
    tf.registerKernel(ours);
  }
}

async function main(): Promise<void> {
  const adapter = await (navigator as unknown as { gpu: GPU }).gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (Dawn found no Vulkan device)');
  const info = adapter.info;
  const adapterName = [info.vendor, info.architecture, info.device, info.description]
    .filter(Boolean)
    .join(' ');
  registerWebGpuTrainingKernels();
  if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs could not start its webgpu backend');
  console.log(`adapter: ${adapterName} · tfjs ${tf.version.tfjs} · batch ${batch}`);
  const model = resnet50(option('model', 'model.json'));
  const kernels: unknown[] = [];
  const stepTables: unknown[] = [];
  for (const size of sizes) {
    // The folded-BatchNorm weights inference caches on the model: built first, so that the tensor
    // counts below show leaks only.
    tf.tidy(() => model.forward(tf.zeros([1, size, size, 3]), { training: false }).output).dispose();
    const before = tf.memory().numTensors;
    const check = checkSizes.includes(size);
    const report = await filterGradientReport(model, { size, batch, check, time: true, repeats });
    const { rows, slower } = kernelRows(report, size);
    console.log(
      `\nConv2DBackpropFilter at ${size} px, batch ${batch} (tensors leaked: ${report.tensorsLeaked}):`,
    );
    printTable(rows, KERNEL_COLUMNS);
    console.log(
      slower.length ? `ours slower than tfjs's on: ${slower.join('; ')}` : 'ours faster on every shape',
    );
    kernels.push({ size, rows, slower, tensorsLeaked: report.tensorsLeaked });

    const bench = { size, batch, steps, warmup: 1, microBatch: batch, budgetSeconds: 60 };
    const inference = await runBenchmark(model, { ...bench, mode: 'inference' });
    const train = await runBenchmark(model, { ...bench, mode: 'train' });
    const stock = await withStockFilterGradient(() => runBenchmark(model, { ...bench, mode: 'train' }));
    const stepRows = [
      { mode: 'inference', kernel: 'tfjs', r: inference },
      { mode: 'train', kernel: 'ours', r: train },
      { mode: 'train', kernel: "tfjs-webgpu's", r: stock },
    ].map(({ mode, kernel, r }) => ({
      size,
      mode,
      filterGradient: mode === 'train' ? kernel : '',
      imgPerSec: r.imagesPerSecond.toFixed(2),
      gflops: ((r.flopsPerImage * r.imagesPerSecond) / 1e9).toFixed(1),
      medianStepMs: ((batch / r.imagesPerSecond) * 1000).toFixed(1),
      tensorsLeaked: r.tensorsLeaked,
    }));
    console.log(`\nResNet50 steps at ${size} px, batch ${batch} in one pass (median of ${steps}):`);
    printTable(stepRows, Object.keys(stepRows[0]));
    stepTables.push(...stepRows);
    console.log(`tensors: ${tf.memory().numTensors - before} more than before this size`);
  }
  const result = { adapter: adapterName, batch, sizes, kernels, steps: stepTables };
  writeFileSync(option('out', 'gpu-bench.json'), JSON.stringify(result, null, 2));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
