import { describe, expect, it } from 'vitest';
import { readImageHeader } from '../src/data/image/header';
import { keepsJpeg, targetSize } from '../src/worker/ingest/verify';
import { avif, gif, jpeg, png, webpAnimated } from './support/image-bytes';

const header = (bytes: Uint8Array) => {
  const verdict = readImageHeader(bytes);
  if (!verdict.ok) throw new Error(`${verdict.reason}: ${verdict.detail}`);
  return verdict.header;
};

describe('readImageHeader', () => {
  it('reads PNG and JPEG sizes from their headers', () => {
    expect(header(png(20000, 20000))).toMatchObject({ format: 'png', width: 20000, height: 20000 });
    expect(header(jpeg(640, 480))).toMatchObject({ format: 'jpeg', width: 640, height: 480, orientation: 1 });
  });

  it('reads GIF and BMP sizes', () => {
    expect(header(gif(10, 5, []))).toMatchObject({ format: 'gif', width: 10, height: 5, decodePixels: 50 });
    const bmp = new Uint8Array(30);
    bmp.set([0x42, 0x4d]);
    new DataView(bmp.buffer).setUint32(2, 30, true);
    new DataView(bmp.buffer).setUint32(14, 40, true);
    new DataView(bmp.buffer).setInt32(18, 7, true);
    new DataView(bmp.buffer).setInt32(22, -3, true);
    expect(header(bmp)).toMatchObject({ format: 'bmp', width: 7, height: 3 });
  });

  it('detects truncated files', () => {
    expect(readImageHeader(png(10, 10, { complete: false }))).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
    expect(readImageHeader(jpeg(10, 10, { complete: false }))).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
    const cutGif = gif(10, 10, [{ w: 10, h: 10 }]);
    expect(readImageHeader(cutGif.subarray(0, cutGif.length - 6))).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
  });

  it('accepts bytes after the end marker (phone trailers, padding, a final newline)', () => {
    const trailer = new Uint8Array(2048).fill(0x41);
    const withTrailer = (bytes: Uint8Array, extra: Uint8Array) => Uint8Array.from([...bytes, ...extra]);
    const j = jpeg(64, 48);
    expect(header(withTrailer(j, trailer))).toMatchObject({ format: 'jpeg', end: j.length });
    const p = png(64, 48);
    expect(header(withTrailer(p, trailer))).toMatchObject({ format: 'png', end: p.length });
    const g = gif(4, 4, [{ w: 4, h: 4 }]);
    expect(header(withTrailer(g, Uint8Array.of(0x0a)))).toMatchObject({ format: 'gif', end: g.length });
  });

  it('bounds the decoded size by every GIF frame, not the canvas (decompression bomb)', () => {
    const bomb = gif(10, 10, [{ w: 20000, h: 20000 }]);
    expect(header(bomb)).toMatchObject({ width: 10, height: 10, decodePixels: 20000 * 20000 });
    const offset = gif(100, 100, [{ w: 50, h: 50, left: 9000, top: 10 }]);
    expect(header(offset).decodePixels).toBe(9050 * 100);
  });

  it('bounds animated WebP by its frames and reads AVIF sizes from ispe (rotated by irot)', () => {
    expect(header(webpAnimated(100, 100, { w: 16000, h: 16000 }))).toMatchObject({
      format: 'webp',
      width: 100,
      decodePixels: 16000 * 16000,
    });
    expect(header(avif(1200, 800))).toMatchObject({ format: 'avif', width: 1200, height: 800 });
    expect(header(avif(1200, 800, { rotate: true }))).toMatchObject({ width: 800, height: 1200 });
    expect(readImageHeader(avif(1200, 800).subarray(0, 60))).toMatchObject({
      ok: false,
      reason: 'truncated',
    });
  });

  it('applies EXIF orientation to the displayed size', () => {
    expect(header(jpeg(800, 400, { orientation: 6 }))).toMatchObject({
      width: 400,
      height: 800,
      orientation: 6,
    });
    expect(header(jpeg(800, 400, { orientation: 3 }))).toMatchObject({
      width: 800,
      height: 400,
      orientation: 3,
    });
    expect(header(jpeg(800, 400, { orientation: 8, bigEndian: true }))).toMatchObject({ orientation: 8 });
  });

  it('names formats Chromium cannot decode, and refuses a zero-sized frame as corrupt', () => {
    const bytes = (...b: number[]) => Uint8Array.from([...b, ...new Array(32).fill(0)]);
    expect(readImageHeader(bytes(0x49, 0x49, 0x2a, 0))).toMatchObject({
      ok: false,
      reason: 'unsupported',
      detail: 'unsupported format (TIFF)',
    });
    expect(readImageHeader(avif(10, 10, { brand: 'heic' }))).toMatchObject({
      reason: 'unsupported',
      detail: 'unsupported format (HEIC)',
    });
    expect(readImageHeader(jpeg(64, 0))).toMatchObject({
      ok: false,
      reason: 'corrupt',
      detail: 'the JPEG header declares 64×0 pixels',
    });
  });

  it('judges by content, not by name: SVG, HTML and empty bodies are not images', () => {
    const text = (s: string) => new TextEncoder().encode(s);
    expect(readImageHeader(text('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toMatchObject({
      ok: false,
      reason: 'not-image',
      detail: 'an SVG drawing',
    });
    expect(readImageHeader(text('<!DOCTYPE html><html></html>'))).toMatchObject({
      ok: false,
      reason: 'not-image',
      detail: 'an HTML page',
    });
    expect(readImageHeader(new Uint8Array())).toMatchObject({
      ok: false,
      reason: 'not-image',
      detail: 'empty response',
    });
  });
});

describe('which JPEGs are kept byte for byte', () => {
  it('keeps a small upright JPEG that fits; re-encodes rotated, padded or oversized ones', () => {
    const fits = header(jpeg(300, 300));
    expect(keepsJpeg(fits, targetSize(300, 300, 500))).toBe(true);
    const rotated = header(jpeg(300, 200, { orientation: 6 }));
    expect(keepsJpeg(rotated, targetSize(rotated.width, rotated.height, 500))).toBe(false);
    const padded = header(jpeg(300, 300, { padding: 30_000_000 }));
    expect(keepsJpeg(padded, targetSize(300, 300, 500))).toBe(false);
    const big = header(jpeg(800, 600));
    expect(keepsJpeg(big, targetSize(800, 600, 500))).toBe(false);
  });
});
