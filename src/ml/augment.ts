// fast.ai v1's get_transforms() as one projective warp per image (flip, rotate, zoom, symmetric
// perspective warp, composed into a single resampling pass) plus lighting in logit space.
// Pure math here; the worker applies it with tf.image.transform (reflection padding).

export type Mat3 = [number, number, number, number, number, number, number, number, number];

export const IDENTITY: Mat3 = [1, 0, 0, 0, 1, 0, 0, 0, 1];

export function multiply(a: Mat3, b: Mat3): Mat3 {
  const out = new Array<number>(9) as Mat3;
  for (let r = 0; r < 3; r++)
    for (let c = 0; c < 3; c++)
      out[r * 3 + c] = a[r * 3] * b[c] + a[r * 3 + 1] * b[3 + c] + a[r * 3 + 2] * b[6 + c];
  return out;
}

export function apply(m: Mat3, x: number, y: number): [number, number] {
  const k = m[6] * x + m[7] * y + m[8];
  return [(m[0] * x + m[1] * y + m[2]) / k, (m[3] * x + m[4] * y + m[5]) / k];
}

/** Solves A·x = b (n×n, Gaussian elimination with partial pivoting). */
export function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = 0; r < n; r++) {
      if (r === col) continue;
      const f = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= f * m[col][c];
    }
  }
  return m.map((row, i) => row[n] / row[i]);
}

/** The homography taking each `from` point to its `to` point (4 pairs). */
export function homography(from: [number, number][], to: [number, number][]): Mat3 {
  const a: number[][] = [];
  const b: number[] = [];
  from.forEach(([x, y], i) => {
    const [u, v] = to[i];
    a.push([x, y, 1, 0, 0, 0, -u * x, -u * y]);
    b.push(u);
    a.push([0, 0, 0, x, y, 1, -v * x, -v * y]);
    b.push(v);
  });
  const h = solve(a, b);
  return [h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1];
}

export interface AugmentDraw {
  flip: boolean;
  /** Degrees. */
  rotate: number;
  zoom: number;
  /** Zoom centre in [0, 1]². */
  zoomCenter: [number, number];
  /** Corner offsets of the symmetric warp. */
  warp: [number, number, number, number];
  /** Added to logit(pixel): logit(change), change ∈ U(0.4, 0.6). */
  brightness: number;
  /** Multiplies logit(pixel): log-uniform in [0.8, 1.25]. */
  contrast: number;
}

export const NO_AUGMENT: AugmentDraw = {
  flip: false,
  rotate: 0,
  zoom: 1,
  zoomCenter: [0.5, 0.5],
  warp: [0, 0, 0, 0],
  brightness: 0,
  contrast: 1,
};

const logit = (p: number) => Math.log(p / (1 - p));

/**
 * get_transforms() defaults, declared once: the app draws from them and the PyTorch bundle's
 * recipe.json carries them to train.py.
 */
export const AUGMENT = {
  flip: { p: 0.5 },
  rotate: { p: 0.75, degrees: 10 },
  zoom: { p: 0.75, max: 1.1 },
  warp: { p: 0.75, magnitude: 0.2 },
  brightness: { p: 0.75, change: [0.4, 0.6] },
  contrast: { p: 0.75, scale: [0.8, 1.25] },
} as const;

/** One draw of get_transforms() defaults: flip p 0.5, the others p 0.75 each. */
export function drawAugment(random: () => number): AugmentDraw {
  const uniform = (a: number, b: number) => a + (b - a) * random();
  const happens = (p: number) => random() < p;
  const { flip, rotate, zoom, warp, brightness, contrast } = AUGMENT;
  const m = warp.magnitude;
  return {
    flip: happens(flip.p),
    rotate: happens(rotate.p) ? uniform(-rotate.degrees, rotate.degrees) : 0,
    zoom: happens(zoom.p) ? uniform(1, zoom.max) : 1,
    zoomCenter: [random(), random()],
    warp: happens(warp.p) ? [uniform(-m, m), uniform(-m, m), uniform(-m, m), uniform(-m, m)] : [0, 0, 0, 0],
    brightness: happens(brightness.p) ? logit(uniform(brightness.change[0], brightness.change[1])) : 0,
    contrast: happens(contrast.p)
      ? Math.exp(uniform(Math.log(contrast.scale[0]), Math.log(contrast.scale[1])))
      : 1,
  };
}

/**
 * Output coordinates → input coordinates, both normalised to [-1, 1] (fast.ai's convention), for
 * the whole geometric part of a draw.
 */
export function normalisedWarp(d: AugmentDraw): Mat3 {
  const flip: Mat3 = d.flip ? [-1, 0, 0, 0, 1, 0, 0, 0, 1] : IDENTITY;
  const t = (d.rotate * Math.PI) / 180;
  const rotate: Mat3 = [Math.cos(t), -Math.sin(t), 0, Math.sin(t), Math.cos(t), 0, 0, 0, 1];
  // fast.ai's zoom: scale 1/zoom around a centre chosen so the view stays inside the image.
  const s = 1 / d.zoom;
  const cx = (1 - s) * (2 * d.zoomCenter[0] - 1);
  const cy = (1 - s) * (2 * d.zoomCenter[1] - 1);
  const zoom: Mat3 = [s, 0, cx, 0, s, cy, 0, 0, 1];
  const [m0, m1, m2, m3] = d.warp;
  const targets: [number, number][] = [
    [-1, -1],
    [-1, 1],
    [1, -1],
    [1, 1],
  ];
  const sources: [number, number][] = [
    [-1 - m0, -1 - m1],
    [-1 - m2, 1 + m3],
    [1 + m1, -1 - m0],
    [1 + m3, 1 + m2],
  ];
  const warp = d.warp.every((v) => v === 0) ? IDENTITY : homography(targets, sources);
  return multiply(multiply(multiply(flip, rotate), zoom), warp);
}

/** The same warp in pixel coordinates, as tf.image.transform's 8 numbers (output → input). */
export function pixelTransform(d: AugmentDraw, size: number): number[] {
  const half = (size - 1) / 2;
  const toNorm: Mat3 = [1 / half, 0, -1, 0, 1 / half, -1, 0, 0, 1];
  const toPixel: Mat3 = [half, 0, half, 0, half, half, 0, 0, 1];
  const m = multiply(multiply(toPixel, normalisedWarp(d)), toNorm);
  return [
    m[0] / m[8],
    m[1] / m[8],
    m[2] / m[8],
    m[3] / m[8],
    m[4] / m[8],
    m[5] / m[8],
    m[6] / m[8],
    m[7] / m[8],
  ];
}
