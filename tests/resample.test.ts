// The studio's crop-and-resize against train.py's decode (Pillow's BILINEAR with a box) on the same
// pixels: equal to the last level, shrinking and enlarging, square and not, at fractional crops.
// Needs Debian's python3-torch and python3-pil (train.py imports torch).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropSquare, type Pixels } from '../src/ml/resample';
import { seededRandom } from '../src/ml/random';
import { python, requireTorch } from './support/train-py';

/** width, height, output size, crop. */
const CASES: [number, number, number, [number, number]][] = [
  [500, 375, 128, [0.5, 0.5]], // a stored image (≤ 500 px) shrunk 2.9×, centred (validation)
  [375, 500, 128, [0.3137, 0.8821]], // portrait, a training crop at a fractional offset
  [256, 256, 128, [0.5, 0.5]], // paintings13's size, exactly half
  [500, 500, 224, [0.5, 0.5]],
  [333, 257, 224, [0.71, 0.5]],
  [97, 130, 128, [0.5, 0.2]], // enlarging
  [128, 128, 128, [0.5, 0.5]], // already the size: copied
  [300, 128, 128, [0.25, 0.5]], // one axis already the size
];

function image(width: number, height: number, seed: number): Pixels {
  const random = seededRandom(seed);
  const data = new Uint8ClampedArray(width * height * 4);
  for (let i = 0; i < data.length; i++) data[i] = i % 4 === 3 ? 255 : Math.floor(random() * 256);
  // Smooth areas beside noise: a gradient over the left third.
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width / 3; x++) data[(y * width + x) * 4] = (x * 255) / width + y / 4;
  return { width, height, data };
}

const rgb = (p: Pixels) => Array.from(p.data).filter((_, i) => i % 4 !== 3);

describe('cropSquare (Pillow’s bilinear, as train.py decodes)', () => {
  let dir: string;
  beforeAll(() => {
    requireTorch();
    dir = mkdtempSync(join(tmpdir(), 'resample-'));
  }, 60_000); // importing torch takes seconds
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives train.py’s pixels exactly', () => {
    const inputs = CASES.map(([w, h], i) => image(w, h, i + 1));
    writeFileSync(
      join(dir, 'images.json'),
      JSON.stringify(CASES.map(([w, h, size, crop], i) => ({ w, h, size, crop, rgb: rgb(inputs[i]) }))),
    );
    const got = python(
      dir,
      `
import io, numpy as np, train
from PIL import Image
out = []
for c in json.load(open("images.json")):
    png = io.BytesIO()
    Image.fromarray(np.array(c["rgb"], dtype=np.uint8).reshape(c["h"], c["w"], 3)).save(png, "PNG")
    out.append(train.decode(png.getvalue(), c["size"], tuple(c["crop"])).flatten().tolist())
print(json.dumps(out))
`,
    ) as number[][];
    CASES.forEach(([w, h, size, crop], i) => {
      const ours = rgb(cropSquare(inputs[i], size, crop));
      expect(ours).toHaveLength(got[i].length);
      let differ = 0;
      ours.forEach((v, k) => (differ += v !== got[i][k] ? 1 : 0));
      expect(differ, `${w}×${h} → ${size} at ${crop}`).toBe(0);
    });
  });
});

describe('cropSquare', () => {
  it('shrinks without aliasing: one-pixel stripes become an even grey', () => {
    // Black and white columns, 500 wide: every output pixel covers ~4 of them. Sampling 2×2 source
    // pixels per output pixel (a canvas's default) gives bands from black to white instead.
    const width = 500;
    const data = new Uint8ClampedArray(width * width * 4);
    for (let i = 0; i < width * width; i++) {
      const v = i % 2 === 0 ? 0 : 255;
      data.set([v, v, v, 255], i * 4);
    }
    const out = rgb(cropSquare({ width, height: width, data }, 128, [0.5, 0.5]));
    const [lo, hi] = [Math.min(...out), Math.max(...out)];
    expect(lo).toBeGreaterThan(100);
    expect(hi).toBeLessThan(155);
  });
  it('takes the centred square of the shorter side, and rejects an empty image', () => {
    // A 6×4 image whose columns count 0–5: the centred 4×4 square is columns 1–4.
    const data = new Uint8ClampedArray(6 * 4 * 4).map((_, i) => (i % 4 === 3 ? 255 : (i >> 2) % 6));
    const square = cropSquare({ width: 6, height: 4, data }, 4, [0.5, 0.5]);
    expect(Array.from(square.data.filter((_, i) => i % 4 === 0)).slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(() => cropSquare({ width: 0, height: 10, data: new Uint8ClampedArray(0) }, 4, [0.5, 0.5])).toThrow(
      /invalid image size/,
    );
  });
});
