// Our WebGPU filter-gradient kernel's work division (the WGSL itself is checked against tfjs-cpu in
// Chromium by e2e/webgpu-kernels.spec.ts), and the ResNet50 shapes bench:speed --kernels times.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  filterGradientPlan,
  MAX_SPLITS,
  TILE_CI,
  TILE_CO,
  TILE_K,
  type FilterGradientGeometry,
} from '../src/worker/kernels/webgpu/filter-gradient-plan';
import { filterGradientCases } from '../src/worker/kernels/webgpu/kernel-report';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import { tinyKeras } from './support/tiny-resnet';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const geometry = (
  batchSize: number,
  out: number,
  [filterHeight, filterWidth, inChannels, outChannels]: number[],
): FilterGradientGeometry => ({
  batchSize,
  outHeight: out,
  outWidth: out,
  inChannels,
  outChannels,
  filterHeight,
  filterWidth,
});

// ResNet50 at 128 px, batch 16 (the app's training step), and at 224 px.
const SHAPES = [
  geometry(16, 64, [7, 7, 3, 64]),
  geometry(16, 32, [1, 1, 64, 64]),
  geometry(16, 32, [3, 3, 64, 64]),
  geometry(16, 16, [1, 1, 256, 128]),
  geometry(16, 4, [3, 3, 512, 512]),
  geometry(16, 4, [1, 1, 2048, 512]),
  geometry(16, 112, [7, 7, 3, 64]),
  geometry(2, 2, [3, 3, 512, 512]),
  geometry(3, 5, [3, 3, 5, 7]),
];

describe('WebGPU filter-gradient plan', () => {
  it.each(SHAPES)('covers every weight and every row of K once: %o', (g) => {
    const plan = filterGradientPlan(g);
    const k = g.batchSize * g.outHeight * g.outWidth;
    expect(plan.k).toBe(k);
    const [x, y, z] = plan.dispatch;
    expect(x * TILE_CO).toBeGreaterThanOrEqual(g.outChannels);
    expect((x - 1) * TILE_CO).toBeLessThan(g.outChannels);
    // Tiles run over a filter row's columns (kw, ci), contiguous in NHWC.
    expect(y * TILE_CI).toBeGreaterThanOrEqual(g.filterWidth * g.inChannels);
    expect((y - 1) * TILE_CI).toBeLessThan(g.filterWidth * g.inChannels);
    expect(z).toBe(g.filterHeight * plan.splits);
    expect(plan.kPerSplit % TILE_K).toBe(0);
    expect(plan.splits * plan.kPerSplit).toBeGreaterThanOrEqual(k);
    expect((plan.splits - 1) * plan.kPerSplit).toBeLessThan(k);
    expect(plan.splits).toBeLessThanOrEqual(MAX_SPLITS);
    for (const d of plan.dispatch) expect(d).toBeLessThanOrEqual(65535);
  });

  it('splits K where few tiles would leave a GPU idle, and not where tiles are plenty', () => {
    // 1×1 64→64 over 32×32×16: one tile, K = 16384 → split.
    expect(filterGradientPlan(SHAPES[1]).splits).toBeGreaterThan(1);
    // 3×3 512→512: 3 rows × 24 × 8 tiles = 576 workgroups already.
    expect(filterGradientPlan(SHAPES[4]).splits).toBe(1);
    // The stem: its 7 × 3 columns of a filter row fit one tile.
    expect(filterGradientPlan(SHAPES[0]).dispatch.slice(0, 2)).toEqual([1, 1]);
  });

  it('lists each distinct convolution shape once, with how many layers share it', () => {
    const { model, topology } = tinyKeras();
    const graph = ResNetGraph.fromLayersModel(model, topology);
    model.dispose();
    const cases = filterGradientCases(graph, 8, 2);
    expect(cases.map((c) => c.shape)).toEqual(['3×3 s1 3→4 at 8×8', '1×1 s1 4→4 at 8×8']);
    expect(cases[0]).toMatchObject({
      layers: 1,
      xShape: [2, 8, 8, 3],
      dyShape: [2, 8, 8, 4],
      filterShape: [3, 3, 3, 4],
      pad: 'same',
      flops: 2 * 2 * 8 * 8 * 3 * 3 * 3 * 4,
    });
    graph.dispose();
  });
});
