// bench:speed --kernels: ResNet50's filter gradients on WebGPU, per distinct shape — tfjs-webgpu's own
// kernel, ours (tiled WGSL, src/worker/kernels/webgpu/) and a tfjs matMul of the same size (the
// adapter's practical ceiling for this work), as GFLOP/s.
import { request } from './lib.mjs';
import { KERNEL_COLUMNS, kernelRows, printTable } from './tables.mjs';

export async function kernelTable(page, { sizes, batch, repeats }) {
  const results = [];
  for (const size of sizes) {
    console.log(`  filter gradients at ${size} px, batch ${batch} (${repeats} timed calls each)…`);
    const report = await request(page, 'gpuKernels', { size, batch, check: false, time: true, repeats });
    const { rows, slower } = kernelRows(report, size);
    console.log(`\nConv2DBackpropFilter on WebGPU, ResNet50 at ${size} px, batch ${batch}:`);
    printTable(
      rows,
      KERNEL_COLUMNS.filter((c) => c !== 'relErr'),
    );
    console.log(
      slower.length
        ? `  ours slower than tfjs's on ${slower.length} shape(s): ${slower.join('; ')}`
        : `  ours at least as fast as tfjs's on every shape`,
    );
    results.push({ size, batch, rows: rows.map(({ raw, ...row }) => ({ ...row, ...(raw ?? {}) })) });
  }
  return results;
}
