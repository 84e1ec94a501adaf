// Our WebGPU Conv2DBackpropFilter (NHWC): a tiled matrix product per filter row (see the plan), and
// the pass that adds split-K partial sums.
// tfjs-webgpu's own kernel runs one invocation per weight, each looping serially over the whole
// batch × height × width and re-reading its slices with no reuse between neighbours. Here a
// workgroup of 16 × 16 invocations stages TILE_K rows of the shifted input (TILE_CI filter columns)
// and of dy (TILE_CO channels) in workgroup memory, and every invocation accumulates a 4 × 4 block of
// weights from them: each value read from memory serves 64 multiply-adds instead of one.
import { webgpu_util, type WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { TILE_CI, TILE_CO, TILE_K, type FilterGradientPlan } from './filter-gradient-plan';

const QUADS_CO = TILE_CO / 4;
const QUADS_CI = TILE_CI / 4;
// Each invocation stages one quad of each tile per step: TILE_K rows × 16 quads = 256 invocations.
if (QUADS_CO !== QUADS_CI || TILE_K !== QUADS_CO)
  throw new Error('filter-gradient tiles: each invocation stages one quad of each tile');

export interface FilterGradientProgramGeometry {
  filterHeight: number;
  filterWidth: number;
  inChannels: number;
  outChannels: number;
}

/**
 * Inputs: x [batch, inHeight, inWidth, inChannels], dy [batch, outHeight, outWidth, outChannels].
 * Output: [splits × filterHeight, filterWidth, inChannels, outChannels] (dW itself for one split).
 */
export class FilterGradientProgram implements WebGPUProgram {
  variableNames = ['x', 'dy'];
  // pads (top, left), strides (rows, columns), the filter's (height, width), rows of K per split.
  uniforms = 'pads : vec2<i32>, strides : vec2<i32>, filterDims : vec2<i32>, kPerSplit : i32,';
  workgroupSize: [number, number, number] = [QUADS_CO, QUADS_CI, 1];
  // Our own layout: x: output-channel tiles, y: filter-column tiles, z: filter rows × splits.
  dispatchLayout = { x: [3], y: [2], z: [0, 1] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey: string;
  /** inChannels % 4 == 0: a quad of filter columns never straddles two filter columns kw. */
  private readonly aligned: boolean;

  constructor(g: FilterGradientProgramGeometry, plan: FilterGradientPlan) {
    this.dispatch = plan.dispatch;
    this.outputShape = [plan.splits * g.filterHeight, g.filterWidth, g.inChannels, g.outChannels];
    this.aligned = g.inChannels % 4 === 0;
    this.shaderKey = `deepArtFilterGradient_${TILE_CI}x${TILE_CO}x${TILE_K}_${this.aligned}`;
  }

  /** Loads the 4 filter columns j … j + 3 of input row xR at output column xo into `xv`. */
  private loadXSnippet(): string {
    if (this.aligned)
      return `
            let xC = xo * uniforms.strides.y - uniforms.pads.y + kwOf[0];
            if (columnOk[0] && xC >= 0 && xC < inWidth) {
              let offset = ((b * inHeight + xR) * inWidth + xC) * inChannels + ciOf[0];
              xv = vec4<f32>(x[offset], x[offset + 1], x[offset + 2], x[offset + 3]);
            }`;
    return `
            for (var e = 0; e < 4; e++) {
              let xC = xo * uniforms.strides.y - uniforms.pads.y + kwOf[e];
              if (columnOk[e] && xC >= 0 && xC < inWidth) {
                xv[e] = x[((b * inHeight + xR) * inWidth + xC) * inChannels + ciOf[e]];
              }
            }`;
  }

  getUserCode(): string {
    return /* wgsl */ `
      var<workgroup> tileX : array<vec4<f32>, ${TILE_K * QUADS_CI}>;
      var<workgroup> tileDy : array<vec4<f32>, ${TILE_K * QUADS_CO}>;

      fn main() {
        let inHeight = uniforms.xShape[1];
        let inWidth = uniforms.xShape[2];
        let inChannels = uniforms.xShape[3];
        let outWidth = uniforms.dyShape[2];
        let outChannels = uniforms.dyShape[3];
        let outPixels = uniforms.dyShape[1] * outWidth;
        let kTotal = uniforms.xShape[0] * outPixels;
        let columns = uniforms.filterDims.y * inChannels;

        let kh = i32(workgroupId.z) % uniforms.filterDims.x;
        let split = i32(workgroupId.z) / uniforms.filterDims.x;
        let coBase = i32(workgroupId.x) * ${TILE_CO};
        let jBase = i32(workgroupId.y) * ${TILE_CI};
        let kStart = split * uniforms.kPerSplit;

        // What this invocation stages each step: row loadRow of K, quad 'quad' of each tile.
        let lane = i32(localIndex);
        let loadRow = lane / ${QUADS_CO};
        let quad = lane % ${QUADS_CO};
        let co = coBase + quad * 4;
        // Its 4 filter columns j = kw × inChannels + ci, fixed for the whole walk along K.
        var kwOf : array<i32, 4>;
        var ciOf : array<i32, 4>;
        var columnOk : array<bool, 4>;
        for (var e = 0; e < 4; e++) {
          let j = jBase + quad * 4 + e;
          kwOf[e] = j / inChannels;
          ciOf[e] = j % inChannels;
          columnOk[e] = j < columns;
        }
        // What it accumulates: filter columns ty × 4 …, output channels tx × 4 … of the tile.
        let tx = i32(localId.x);
        let ty = i32(localId.y);

        var acc : array<vec4<f32>, 4>;
        // The same number of steps in every workgroup (a bound from uniforms only, so the barriers
        // stay in uniform control flow); rows past K stage zeros.
        let steps = uniforms.kPerSplit / ${TILE_K};
        for (var step = 0; step < steps; step++) {
          let k = kStart + step * ${TILE_K} + loadRow;
          var xv = vec4<f32>(0.0);
          var dv = vec4<f32>(0.0);
          if (k < kTotal) {
            let b = k / outPixels;
            let pixel = k % outPixels;
            let xR = (pixel / outWidth) * uniforms.strides.x + kh - uniforms.pads.x;
            let xo = pixel % outWidth;
            if (xR >= 0 && xR < inHeight) {${this.loadXSnippet()}
            }
            if (co + 3 < outChannels) {
              let offset = k * outChannels + co;
              dv = vec4<f32>(dy[offset], dy[offset + 1], dy[offset + 2], dy[offset + 3]);
            } else {
              for (var e = 0; e < outChannels - co; e++) { dv[e] = dy[k * outChannels + co + e]; }
            }
          }
          tileX[loadRow * ${QUADS_CI} + quad] = xv;
          tileDy[loadRow * ${QUADS_CO} + quad] = dv;
          workgroupBarrier();
          for (var kk = 0; kk < ${TILE_K}; kk++) {
            let a = tileX[kk * ${QUADS_CI} + ty];
            let d = tileDy[kk * ${QUADS_CO} + tx];
            acc[0] += a.x * d;
            acc[1] += a.y * d;
            acc[2] += a.z * d;
            acc[3] += a.w * d;
          }
          workgroupBarrier();
        }

        // dW[kh, j, co] of this split: the filter's own layout, one slice per split.
        let outCo = coBase + tx * 4;
        let slice = (split * uniforms.filterDims.x + kh) * columns;
        for (var i = 0; i < 4; i++) {
          let j = jBase + ty * 4 + i;
          if (j >= columns) { break; }
          let offset = (slice + j) * outChannels + outCo;
          for (var e = 0; e < 4; e++) {
            if (outCo + e < outChannels) { result[offset + e] = acc[i][e]; }
          }
        }
      }
    `;
  }
}

/** partials [splits × n] → their sum [n] (in the filter's shape): one invocation per weight. */
export class SplitSumProgram implements WebGPUProgram {
  variableNames = ['partials'];
  uniforms = 'splits : i32,';
  workgroupSize: [number, number, number] = [64, 1, 1];
  size = true;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  outputShape: number[];
  shaderKey = 'deepArtSplitSum';

  constructor(filterShape: number[]) {
    this.outputShape = filterShape;
    this.dispatchLayout = webgpu_util.flatDispatchLayout(filterShape);
    this.dispatch = webgpu_util.computeDispatch(this.dispatchLayout, filterShape, this.workgroupSize);
  }

  getUserCode(): string {
    return /* wgsl */ `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var sum = 0.0;
          for (var s = 0; s < uniforms.splits; s++) { sum += partials[s * uniforms.size + index]; }
          result[index] = sum;
        }
      }
    `;
  }
}
