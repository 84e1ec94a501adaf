// The benchmarks' tables, with no imports: read by the Node scripts (through lib.mjs) and by the
// bundled bench:gpu (bench/gpu/entry.ts), which must not pull in Playwright or Vite.

export function printTable(rows, columns) {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (cells) => cells.map((cell, i) => String(cell ?? '').padEnd(widths[i])).join('  ');
  console.log(line(columns));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const row of rows) console.log(line(columns.map((c) => row[c])));
}

const gflops = (flops, ms) => (ms ? flops / ms / 1e6 : null);
const fixed = (value, digits = 1) => (value == null ? '—' : value.toFixed(digits));

/** The kernel table's columns, in print order. */
export const KERNEL_COLUMNS = [
  'shape',
  'layers',
  'splits',
  'relErr',
  'gflop',
  'tfjsMs',
  'oursMs',
  'tfjsGflops',
  'oursGflops',
  'matmulGflops',
  'oursVsTfjs',
  'oursOfMatmul',
];

/**
 * A filter-gradient report (KernelReport) as table rows: one per distinct shape, then the whole
 * backward pass (every layer, each shape weighted by how often it occurs); and the shapes where ours
 * was slower than tfjs-webgpu's.
 */
export function kernelRows(report, size) {
  const rows = report.rows.map((r) => {
    const tfjs = gflops(r.flops, r.tfjsMs);
    const ours = gflops(r.flops, r.oursMs);
    const matmul = gflops(r.flops, r.matmulMs);
    return {
      size,
      shape: r.shape,
      layers: r.layers,
      splits: r.ours ? r.splits : 'tfjs (K < 16)',
      relErr: r.relativeError == null ? '—' : r.relativeError.toExponential(1),
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
  const total = (key) => report.rows.reduce((sum, r) => sum + r.layers * (r[key] ?? NaN), 0);
  const flops = report.rows.reduce((sum, r) => sum + r.layers * r.flops, 0);
  const layers = report.rows.reduce((sum, r) => sum + r.layers, 0);
  const errors = report.rows.map((r) => r.relativeError).filter((e) => e != null);
  rows.push({
    size,
    shape: `all ${layers} layers`,
    layers,
    splits: '',
    relErr: errors.length ? Math.max(...errors).toExponential(1) : '—',
    gflop: fixed(flops / 1e9, 3),
    tfjsMs: fixed(total('tfjsMs')),
    oursMs: fixed(total('oursMs')),
    tfjsGflops: fixed(gflops(flops, total('tfjsMs')), 2),
    oursGflops: fixed(gflops(flops, total('oursMs')), 2),
    matmulGflops: fixed(gflops(flops, total('matmulMs')), 2),
    oursVsTfjs: `${(total('tfjsMs') / total('oursMs')).toFixed(2)}×`,
    oursOfMatmul: `${((100 * total('matmulMs')) / total('oursMs')).toFixed(0)} %`,
  });
  const slower = report.rows.filter((r) => r.tfjsMs && r.oursMs > r.tfjsMs).map((r) => r.shape);
  return { rows, slower };
}
