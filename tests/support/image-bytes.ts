// Minimal, structurally valid image files built byte by byte, for the header parsers (Node) and the
// hostile image host (e2e). Their pixel data is not decodable unless said otherwise.

const concat = (...parts: (Uint8Array | number[])[]) => {
  const arrays = parts.map((p) => (p instanceof Uint8Array ? p : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
};
const be16 = (v: number) => [v >> 8, v & 255];
const le16 = (v: number) => [v & 255, v >> 8];
const be32 = (v: number) => [(v >>> 24) & 255, (v >> 16) & 255, (v >> 8) & 255, v & 255];
const le24 = (v: number) => [v & 255, (v >> 8) & 255, (v >> 16) & 255];
const text = (s: string) => Array.from(s, (c) => c.charCodeAt(0));

/** An APP1 Exif segment holding only IFD0's Orientation tag. */
function exif(orientation: number, bigEndian: boolean): number[] {
  const u16 = bigEndian ? be16 : le16;
  const u32 = (v: number) => (bigEndian ? be32(v) : be32(v).reverse());
  const tiff = [...text(bigEndian ? 'MM' : 'II'), ...u16(42), ...u32(8), ...u16(1)];
  const entry = [...u16(0x0112), ...u16(3), ...u32(1), ...u16(orientation), 0, 0];
  const body = [...text('Exif\0\0'), ...tiff, ...entry, ...u32(0)];
  return [0xff, 0xe1, ...be16(body.length + 2), ...body];
}

export function jpeg(
  width: number,
  height: number,
  options: { complete?: boolean; orientation?: number; bigEndian?: boolean; padding?: number } = {},
): Uint8Array {
  const parts: (Uint8Array | number[])[] = [[0xff, 0xd8]];
  if (options.orientation) parts.push(exif(options.orientation, options.bigEndian ?? false));
  for (let left = options.padding ?? 0; left > 0; left -= 65_533) {
    const size = Math.min(left, 65_533);
    parts.push([0xff, 0xfe, ...be16(size + 2)], new Uint8Array(size).fill(0x20));
  }
  parts.push([0xff, 0xc0, 0, 17, 8, ...be16(height), ...be16(width), 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
  parts.push([0xff, 0xda, 0, 12, 3, 1, 0, 2, 0x11, 3, 0x11, 0, 63, 0], new Uint8Array(20).fill(0x55));
  if (options.complete ?? true) parts.push([0xff, 0xd9]);
  return concat(...parts);
}

const pngChunk = (type: string, data: number[]) => [...be32(data.length), ...text(type), ...data, 0, 0, 0, 0];

export function png(width: number, height: number, options: { complete?: boolean } = {}): Uint8Array {
  return concat(
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    pngChunk('IHDR', [...be32(width), ...be32(height), 8, 2, 0, 0, 0]),
    pngChunk('IDAT', new Array(10).fill(0)),
    (options.complete ?? true) ? pngChunk('IEND', []) : [],
  );
}

export function gif(
  width: number,
  height: number,
  frames: { w: number; h: number; left?: number; top?: number }[],
): Uint8Array {
  const parts: number[][] = [[...text('GIF89a'), ...le16(width), ...le16(height), 0, 0, 0]];
  for (const f of frames) {
    parts.push([
      0x2c,
      ...le16(f.left ?? 0),
      ...le16(f.top ?? 0),
      ...le16(f.w),
      ...le16(f.h),
      0,
      2,
      3,
      1,
      2,
      3,
      0,
    ]);
  }
  parts.push([0x3b]);
  return concat(...parts);
}

/** An animated WebP: a small canvas, one frame far larger than it. */
export function webpAnimated(width: number, height: number, frame: { w: number; h: number }): Uint8Array {
  const chunk = (type: string, data: number[]) => [...text(type), ...be32(data.length).reverse(), ...data];
  const vp8x = chunk('VP8X', [0x02, 0, 0, 0, ...le24(width - 1), ...le24(height - 1)]);
  const anmf = chunk('ANMF', [
    ...le24(0),
    ...le24(0),
    ...le24(frame.w - 1),
    ...le24(frame.h - 1),
    ...le24(100),
    0,
  ]);
  const body = [...text('WEBP'), ...vp8x, ...anmf];
  return concat(text('RIFF'), be32(body.length).reverse(), body);
}

const box = (type: string, ...content: number[][]) => {
  const data = content.flat();
  return [...be32(8 + data.length), ...text(type), ...data];
};

/** An AVIF (or, with brand 'heic', a HEIC) still image: ftyp, meta with ispe (and irot), mdat. */
export function avif(
  width: number,
  height: number,
  options: { rotate?: boolean; brand?: string } = {},
): Uint8Array {
  const brand = options.brand ?? 'avif';
  const ispe = box('ispe', [0, 0, 0, 0], be32(width), be32(height));
  const irot = options.rotate ? box('irot', [1]) : [];
  const meta = box('meta', [0, 0, 0, 0], box('iprp', box('ipco', ispe, irot)));
  return concat(
    box('ftyp', text(brand), [0, 0, 0, 0], text('mif1')),
    meta,
    box('mdat', new Array(16).fill(7)),
  );
}
