import { describe, expect, it } from 'vitest';
import { readImageHeader } from '../src/data/image-header';

const png = (w: number, h: number, complete = true) => {
  const bytes = new Uint8Array(33 + 12);
  bytes.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  new DataView(bytes.buffer).setUint32(16, w);
  new DataView(bytes.buffer).setUint32(20, h);
  if (complete) bytes.set([0, 0, 0, 0, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82], 33);
  return bytes;
};

const jpeg = (w: number, h: number, complete = true) => {
  const sof = [0xff, 0xc0, 0, 17, 8, h >> 8, h & 255, w >> 8, w & 255, 3];
  const body = [0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, ...sof, ...new Array(20).fill(0)];
  return Uint8Array.from(complete ? [...body, 0xff, 0xd9] : body);
};

describe('readImageHeader', () => {
  it('reads PNG and JPEG sizes from their headers', () => {
    expect(readImageHeader(png(20000, 20000))).toEqual({
      ok: true,
      header: { format: 'png', width: 20000, height: 20000 },
    });
    expect(readImageHeader(jpeg(640, 480))).toEqual({
      ok: true,
      header: { format: 'jpeg', width: 640, height: 480 },
    });
  });
  it('reads GIF and BMP sizes', () => {
    const gif = Uint8Array.from([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 10, 0, 5, 0, 0, 0, 0x3b]);
    expect(readImageHeader(gif)).toEqual({ ok: true, header: { format: 'gif', width: 10, height: 5 } });
    const bmp = new Uint8Array(30);
    bmp.set([0x42, 0x4d]);
    new DataView(bmp.buffer).setUint32(2, 30, true);
    new DataView(bmp.buffer).setInt32(18, 7, true);
    new DataView(bmp.buffer).setInt32(22, -3, true);
    expect(readImageHeader(bmp)).toEqual({ ok: true, header: { format: 'bmp', width: 7, height: 3 } });
  });
  it('detects truncated files', () => {
    expect(readImageHeader(png(10, 10, false))).toMatchObject({ ok: false, reason: 'truncated' });
    expect(readImageHeader(jpeg(10, 10, false))).toMatchObject({ ok: false, reason: 'truncated' });
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
