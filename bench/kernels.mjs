// bench:speed --kernels: ResNet50's filter gradients on WebGPU, per distinct shape — tfjs-webgpu's own
// kernel, ours (tiled WGSL, src/worker/kernels/webgpu/) and a tfjs matMul of the same size (the
// adapter's practical ceiling for this work), as GFLOP/s.
import { printTable, request } from './lib.mjs';

const gflops = (flops, ms) => (ms ? flops / ms / 1e6 : null);
const fixed = (value, digits = 1) => (value == null ? '—' : value.toFixed(digits));

export async function kernelTable(page, { sizes, batch, repeats }) {
  const results = [];
  for (const size of sizes) {
    console.log(`  filter gradients at ${size} px, batch ${batch} (${repeats} timed calls each)…`);
    const report = await request(page, 'gpuKernels', { size, batch, check: false, time: true, repeats });
    const rows = report.rows.map((r) => {
      const tfjs = gflops(r.flops, r.tfjsMs);
      const ours = gflops(r.flops, r.oursMs);
      const matmul = gflops(r.flops, r.matmulMs);
      return {
        size,
        shape: r.shape,
        layers: r.layers,
        splits: r.ours ? r.splits : 'tfjs (K < 16)',
        gflop: fixed(r.flops / 1e9, 3),
        tfjsMs: fixed(r.tfjsMs),
        oursMs: fixed(r.oursMs),
        tfjsGflops: fixed(tfjs, 2),
        oursGflops: fixed(ours, 2),
        matmulGflops: fixed(matmul, 2),
        oursVsTfjs: tfjs && ours ? `${(ours / tfjs).toFixed(2)}×` : '—',
        oursOfMatmul: matmul && ours ? `${((100 * ours) / matmul).toFixed(0)} %` : '—',
        raw: r,
      };
    });
    // Whole backward pass of the filter gradients (every layer, weighted by how often its shape occurs).
    const total = (key) => report.rows.reduce((sum, r) => sum + r.layers * (r[key] ?? NaN), 0);
    const flops = report.rows.reduce((sum, r) => sum + r.layers * r.flops, 0);
    const layers = report.rows.reduce((sum, r) => sum + r.layers, 0);
    rows.push({
      size,
      shape: `all ${layers} layers`,
      layers,
      splits: '',
      gflop: fixed(flops / 1e9, 3),
      tfjsMs: fixed(total('tfjsMs')),
      oursMs: fixed(total('oursMs')),
      tfjsGflops: fixed(gflops(flops, total('tfjsMs')), 2),
      oursGflops: fixed(gflops(flops, total('oursMs')), 2),
      matmulGflops: fixed(gflops(flops, total('matmulMs')), 2),
      oursVsTfjs: `${(total('tfjsMs') / total('oursMs')).toFixed(2)}×`,
      oursOfMatmul: `${((100 * total('matmulMs')) / total('oursMs')).toFixed(0)} %`,
    });
    console.log(`\nConv2DBackpropFilter on WebGPU, ResNet50 at ${size} px, batch ${batch}:`);
    printTable(rows, [
      'shape',
      'layers',
      'splits',
      'gflop',
      'tfjsMs',
      'oursMs',
      'tfjsGflops',
      'oursGflops',
      'matmulGflops',
      'oursVsTfjs',
      'oursOfMatmul',
    ]);
    const slower = report.rows.filter((r) => r.tfjsMs && r.oursMs > r.tfjsMs);
    console.log(
      slower.length
        ? `  ours slower than tfjs's on ${slower.length} shape(s): ${slower.map((r) => r.shape).join('; ')}`
        : `  ours at least as fast as tfjs's on every shape`,
    );
    results.push({ size, batch, rows: rows.map(({ raw, ...row }) => ({ ...row, ...(raw ?? {}) })) });
  }
  return results;
}
