// How our WebGPU filter-gradient kernel divides its work (pure: tested in Node).
//
// dW[kh, kw, ci, co] = Σ_k X[k shifted by (kh, kw), ci] · dY[k, co], k over batch × outHeight × outWidth.
// In NHWC the filter columns (kw, ci) of one filter row kh are one contiguous run of kw × ci values of
// X (and of dW), so each filter row is a (J × K)·(K × co) matrix product with J = filterWidth ×
// inChannels: the stem's 7 × 3 columns fill one tile instead of seven tiles of 3. A workgroup computes
// one TILE_CI × TILE_CO tile of one filter row, walking K in TILE_K steps through workgroup memory;
// each invocation keeps 4 × 4 outputs in registers. Where the rows × tiles alone would leave a GPU
// idle (1×1 convolutions over large images: few outputs, a long K), K is split among workgroups and
// the partial sums are added by a second pass ("split-K").

/** Output channels per workgroup tile (16 invocations × 4). */
export const TILE_CO = 64;
/** Filter columns (kw, ci) per workgroup tile (16 invocations × 4). */
export const TILE_CI = 64;
/** Rows of K staged in workgroup memory per step. */
export const TILE_K = 16;
/** Workgroups we aim for (enough to fill a large GPU's compute units several times over). */
export const TARGET_WORKGROUPS = 512;
/** The fewest K steps one split runs (below this the added reduction costs more than it saves). */
export const MIN_STEPS_PER_SPLIT = 8;
/** At most this many partial sums per weight. */
export const MAX_SPLITS = 64;

export interface FilterGradientGeometry {
  batchSize: number;
  outHeight: number;
  outWidth: number;
  inChannels: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
}

export interface FilterGradientPlan {
  /** Workgroups along x (output-channel tiles), y (filter-column tiles), z (filter rows × splits). */
  dispatch: [number, number, number];
  /** Partial sums per weight (1: the kernel writes dW itself). */
  splits: number;
  /** Rows of K each split covers (a multiple of TILE_K). */
  kPerSplit: number;
  /** K: batch × outHeight × outWidth. */
  k: number;
}

export function filterGradientPlan(g: FilterGradientGeometry): FilterGradientPlan {
  const k = g.batchSize * g.outHeight * g.outWidth;
  const columns = g.filterWidth * g.inChannels;
  const tiles = Math.ceil(g.outChannels / TILE_CO) * Math.ceil(columns / TILE_CI) * g.filterHeight;
  const steps = Math.ceil(k / TILE_K);
  const wanted = Math.floor(TARGET_WORKGROUPS / tiles);
  const affordable = Math.floor(steps / MIN_STEPS_PER_SPLIT);
  const splitsWanted = Math.max(1, Math.min(wanted, affordable, MAX_SPLITS));
  const kPerSplit = Math.ceil(steps / splitsWanted) * TILE_K;
  const splits = Math.ceil(k / kPerSplit);
  return {
    dispatch: [Math.ceil(g.outChannels / TILE_CO), Math.ceil(columns / TILE_CI), g.filterHeight * splits],
    splits,
    kPerSplit,
    k,
  };
}

/**
 * Whether our tiled kernel takes this shape: not where K is shorter than one staged step (res5 of a
 * tiny batch): there is nothing to tile, and tfjs's per-weight loop is as fast.
 */
export function tiledKernelApplies(plan: FilterGradientPlan): boolean {
  return plan.k >= TILE_K;
}
