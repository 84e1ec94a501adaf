// MaxPool's gradient as SIMD wasm over tfjs-wasm's heap, four channels per vector, whole images per
// thread (windows overlap, images do not). Per window: the maximum of its taps, then each tap in
// window order takes dy on the lanes where it equals that maximum and no earlier tap took it — the
// first maximum, as tfjs's cpu backend and PyTorch choose, added in the same order as the JS
// reference (kernels/max-pool-grad.ts), so the same bits. The plain-JS kernel took ~35 ms of a 128 px
// ResNet50 step on one thread. Unpadded windows only (ResNet50 pads explicitly before its pool).
import { Code, I32, V128, type FunctionSpec } from './wasm-writer';

/**
 * x, dy: the images' first bytes; dxDelta: dx − x in bytes (dx is zeroed here, image by image);
 * channelBytes a multiple of 16; rowStep / colStep: bytes between neighbouring windows' first taps;
 * inRowBytes: bytes between a window's tap rows; imageBytes: one image of x (and dx).
 */
export const MAX_POOL_GRAD_PARAMS = [
  'x',
  'dy',
  'dxDelta',
  'images',
  'outHeight',
  'outWidth',
  'channelBytes',
  'filterHeight',
  'filterWidth',
  'rowStep',
  'colStep',
  'inRowBytes',
  'imageBytes',
] as const;

export function maxPoolGradSpec(): FunctionSpec {
  const [X, DY, DELTA, IMAGES, OUT_H, OUT_W, C_BYTES, FH, FW, ROW_STEP, COL_STEP, IN_ROW, IMAGE] =
    MAX_POOL_GRAD_PARAMS.map((_, i) => i);
  let next = MAX_POOL_GRAD_PARAMS.length;
  const [image, left, zeroAt, yo, rowOrigin, xo, origin, c, window, fi, fj, tapRow, tap, dyAt] = Array.from(
    { length: 14 },
    () => next++,
  );
  const [best, rest, eq] = [next++, next++, next++];
  const code = new Code();
  /** Every tap of the window at `window`, in order: body sees the tap's address in `tap`. */
  const taps = (outer: Code, body: (step: Code) => void) => {
    outer.get(window).set(tapRow);
    outer.get(FH).set(fi);
    outer.countdown(fi, (row) => {
      row.get(tapRow).set(tap);
      row.get(FW).set(fj);
      row.countdown(fj, (step) => {
        body(step);
        step.bump(tap, { local: C_BYTES });
      });
      row.bump(tapRow, { local: IN_ROW });
    });
  };
  code.get(X).set(image);
  code.get(DY).set(dyAt);
  code.get(IMAGES).set(left);
  code.countdown(left, (img) => {
    // dx's image zeroed first: the windows add into it.
    img.get(image).get(DELTA).add().set(zeroAt);
    img.get(zeroAt).get(IMAGE).add().set(origin); // (origin as the end, for now)
    img.whileBelow(zeroAt, origin, (zero) => {
      zero.get(zeroAt).v128Zero().v128Store(0);
      zero.bump(zeroAt, { value: 16 });
    });
    img.get(image).set(rowOrigin);
    img.get(OUT_H).set(yo);
    img.countdown(yo, (rows) => {
      rows.get(rowOrigin).set(origin);
      rows.get(OUT_W).set(xo);
      rows.countdown(xo, (cols) => {
        cols.i32(0).set(c);
        cols.whileBelow(c, C_BYTES, (block) => {
          block.get(origin).get(c).add().set(window);
          block.get(window).v128Load(0).set(best);
          taps(block, (step) => step.get(best).get(tap).v128Load(0).f32x4Max().set(best));
          block.get(dyAt).get(c).add().v128Load(0).set(rest);
          taps(block, (step) => {
            step.get(tap).v128Load(0).get(best).f32x4Eq().set(eq);
            step.get(tap).get(DELTA).add(); // the store's address
            step.get(tap).get(DELTA).add().v128Load(0);
            step.get(rest).get(eq).v128And().f32x4Add().v128Store(0);
            step.get(rest).get(eq).v128AndNot().set(rest);
          });
          block.bump(c, { value: 16 });
        });
        cols.bump(origin, { local: COL_STEP });
        cols.bump(dyAt, { local: C_BYTES });
      });
      rows.bump(rowOrigin, { local: ROW_STEP });
    });
    img.bump(image, { local: IMAGE });
  });
  return {
    name: 'maxPoolGrad',
    params: MAX_POOL_GRAD_PARAMS.length,
    locals: [
      { type: I32, count: 14 },
      { type: V128, count: 3 },
    ],
    code,
  };
}
