import { describe, expect, it } from 'vitest';
import {
  apply,
  drawAugment,
  homography,
  NO_AUGMENT,
  normalisedWarp,
  pixelTransform,
} from '../src/ml/augment';
import { seededRandom, splitIds } from '../src/ml/random';

describe('augmentation geometry', () => {
  it('is the identity without transforms', () => {
    expect(pixelTransform(NO_AUGMENT, 64).map((v) => Math.round(v * 1e9) / 1e9)).toEqual([
      1, 0, 0, 0, 1, 0, 0, 0,
    ]);
  });
  it('flips left–right', () => {
    const m = normalisedWarp({ ...NO_AUGMENT, flip: true });
    expect(apply(m, 0.5, 0.25)).toEqual([-0.5, 0.25]);
  });
  it('rotates by the drawn angle', () => {
    const [x, y] = apply(normalisedWarp({ ...NO_AUGMENT, rotate: 90 }), 1, 0);
    expect(x).toBeCloseTo(0, 12);
    expect(y).toBeCloseTo(1, 12);
  });
  it('zooms in around the centre and keeps the view inside the image', () => {
    const m = normalisedWarp({ ...NO_AUGMENT, zoom: 1.1, zoomCenter: [1, 1] });
    const [x, y] = apply(m, 1, 1);
    expect(x).toBeCloseTo(1, 12);
    expect(y).toBeCloseTo(1, 12);
  });
  it('solves a homography that maps the four corners where asked', () => {
    const from: [number, number][] = [
      [-1, -1],
      [-1, 1],
      [1, -1],
      [1, 1],
    ];
    const to: [number, number][] = [
      [-1.1, -0.9],
      [-0.8, 1.2],
      [1.05, -1.1],
      [0.9, 0.95],
    ];
    const h = homography(from, to);
    from.forEach((p, i) => {
      const [u, v] = apply(h, ...p);
      expect(u).toBeCloseTo(to[i][0], 10);
      expect(v).toBeCloseTo(to[i][1], 10);
    });
  });
  it('draws within fast.ai ranges, reproducibly from a seed', () => {
    const a = Array.from(
      { length: 200 },
      (
        (r) => () =>
          drawAugment(r)
      )(seededRandom(1)),
    );
    const b = Array.from(
      { length: 200 },
      (
        (r) => () =>
          drawAugment(r)
      )(seededRandom(1)),
    );
    expect(a).toEqual(b);
    for (const d of a) {
      expect(Math.abs(d.rotate)).toBeLessThanOrEqual(10);
      expect(d.zoom).toBeGreaterThanOrEqual(1);
      expect(d.zoom).toBeLessThanOrEqual(1.1);
      expect(d.contrast).toBeGreaterThanOrEqual(0.8 - 1e-12);
      expect(d.contrast).toBeLessThanOrEqual(1.25 + 1e-12);
      expect(Math.abs(d.brightness)).toBeLessThanOrEqual(Math.log(0.6 / 0.4) + 1e-12);
    }
    const flips = a.filter((d) => d.flip).length;
    expect(flips).toBeGreaterThan(60);
    expect(flips).toBeLessThan(140);
  });
});

describe('seeded split', () => {
  it('puts 20% in validation, the same every time for a seed', () => {
    const ids = Array.from({ length: 100 }, (_, i) => i + 1);
    const a = splitIds(ids, 42);
    expect(a.valid).toHaveLength(20);
    expect(a.train).toHaveLength(80);
    expect(splitIds([...ids].reverse(), 42)).toEqual(a);
    expect(splitIds(ids, 7).valid).not.toEqual(a.valid);
  });

  it('a stream returns to a position read earlier and repeats its draws from there', () => {
    const stream = seededRandom(43);
    stream();
    const at = stream.position();
    const ahead = [stream(), stream(), stream()];
    for (let i = 0; i < 17; i++) stream(); // a sweep of any length
    expect([stream(), stream()]).not.toEqual(ahead.slice(0, 2));
    stream.seek(at);
    expect([stream(), stream(), stream()]).toEqual(ahead);
    expect(stream.position()).not.toBe(at);
  });
});
