// Header walkers for the container formats: WebP (RIFF chunks, animation frames), ISO-BMFF (AVIF
// items and their `ispe` sizes; HEIC named as unsupported), BMP and ICO/CUR.
import { ascii, fail, type Parsed } from './types.ts';

const u24 = (b: Uint8Array, o: number) => b[o] | (b[o + 1] << 8) | (b[o + 2] << 16);

export function parseWebp(bytes: Uint8Array, view: DataView): Parsed {
  const riffEnd = view.getUint32(4, true) + 8;
  if (riffEnd > bytes.length) return fail('truncated', 'truncated WebP');
  let width = 0;
  let height = 0;
  let decodePixels = 0;
  const grow = (w: number, h: number) => (decodePixels = Math.max(decodePixels, w * h));
  for (let offset = 12; offset + 8 <= riffEnd;) {
    const chunk = ascii(bytes, offset, 4);
    const data = offset + 8;
    const size = view.getUint32(offset + 4, true);
    if (data + size > riffEnd) return fail('truncated', 'truncated WebP');
    if (chunk === 'VP8X' && size >= 10) {
      width = 1 + u24(bytes, data + 4);
      height = 1 + u24(bytes, data + 7);
      grow(width, height);
    } else if (chunk === 'ANMF' && size >= 16) {
      grow(
        2 * u24(bytes, data) + 1 + u24(bytes, data + 6),
        2 * u24(bytes, data + 3) + 1 + u24(bytes, data + 9),
      );
    } else if (chunk === 'VP8 ' && size >= 10) {
      const w = view.getUint16(data + 6, true) & 0x3fff;
      const h = view.getUint16(data + 8, true) & 0x3fff;
      if (!width) [width, height] = [w, h];
      grow(w, h);
    } else if (chunk === 'VP8L' && size >= 5) {
      const bits = view.getUint32(data + 1, true);
      const w = (bits & 0x3fff) + 1;
      const h = ((bits >> 14) & 0x3fff) + 1;
      if (!width) [width, height] = [w, h];
      grow(w, h);
    }
    offset = data + size + (size & 1);
  }
  return { format: 'webp', width, height, orientation: 1, decodePixels, end: riffEnd };
}

interface Box {
  type: string;
  /** Where the payload starts (after size, type and any 64-bit size). */
  data: number;
  end: number;
}

/** The box at offset; null when it runs past end (a cut file). */
function box(bytes: Uint8Array, view: DataView, offset: number, end: number): Box | null {
  if (offset + 8 > end) return null;
  let size = view.getUint32(offset);
  let data = offset + 8;
  if (size === 1) {
    if (offset + 16 > end) return null;
    size = Number(view.getBigUint64(offset + 8));
    data += 8;
  } else if (size === 0) size = end - offset;
  if (size < data - offset || offset + size > end) return null;
  return { type: ascii(bytes, offset + 4, 4), data, end: offset + size };
}

/** The boxes between start and end; null when one runs past the end. */
function boxes(bytes: Uint8Array, view: DataView, start: number, end: number): Box[] | null {
  const out: Box[] = [];
  for (let offset = start; offset + 8 <= end;) {
    const found = box(bytes, view, offset, end);
    if (!found) return null;
    out.push(found);
    offset = found.end;
  }
  return out;
}

const HEIF_BRANDS = new Set(['heic', 'heix', 'hevc', 'hevx', 'heim', 'heis', 'hevm', 'hevs', 'mif1', 'msf1']);

export function parseBmff(bytes: Uint8Array, view: DataView): Parsed {
  const ftypEnd = view.getUint32(0);
  if (ftypEnd < 16 || ftypEnd > bytes.length) return fail('truncated', 'truncated ISO media file');
  const brands = [ascii(bytes, 8, 4)];
  for (let o = 16; o + 4 <= ftypEnd; o += 4) brands.push(ascii(bytes, o, 4));
  if (!brands.includes('avif') && !brands.includes('avis')) {
    if (brands.some((b) => HEIF_BRANDS.has(b))) return fail('unsupported', 'unsupported format (HEIC)');
    return fail('not-image', `a video or media file (${brands[0].trim()})`);
  }
  // Top-level boxes up to the media data; bytes after the last box are a trailer.
  const top: Box[] = [];
  for (let offset = 0; offset + 8 <= bytes.length;) {
    const found = box(bytes, view, offset, bytes.length);
    if (!found) return fail('truncated', 'truncated AVIF');
    top.push(found);
    offset = found.end;
    if (found.type === 'mdat' && top.some((b) => b.type === 'meta')) break;
  }
  const meta = top.find((b) => b.type === 'meta');
  const mdat = top.find((b) => b.type === 'mdat');
  if (!meta || !mdat) return fail('truncated', 'truncated AVIF');
  // meta is a full box (4 bytes of version and flags) → iprp → ipco → ispe (sizes), irot (rotation).
  const iprp = boxes(bytes, view, meta.data + 4, meta.end)?.find((b) => b.type === 'iprp');
  const ipco = iprp && boxes(bytes, view, iprp.data, iprp.end)?.find((b) => b.type === 'ipco');
  const properties = (ipco && boxes(bytes, view, ipco.data, ipco.end)) || [];
  let width = 0;
  let height = 0;
  for (const box of properties) {
    if (box.type === 'ispe' && box.data + 12 <= box.end) {
      const w = view.getUint32(box.data + 4);
      const h = view.getUint32(box.data + 8);
      if (w * h > width * height) [width, height] = [w, h];
    }
  }
  if (!width) return fail('corrupt', 'an AVIF without an image size (ispe)');
  const turned = properties.some((b) => b.type === 'irot' && b.data < b.end && (bytes[b.data] & 1) === 1);
  return {
    format: 'avif',
    width: turned ? height : width,
    height: turned ? width : height,
    orientation: 1,
    decodePixels: width * height,
    end: mdat.end,
  };
}

export function parseBmp(bytes: Uint8Array, view: DataView): Parsed {
  if (bytes.length < 26) return fail('truncated', 'truncated BMP');
  if (view.getUint32(2, true) > bytes.length) return fail('truncated', 'truncated BMP');
  const core = view.getUint32(14, true) === 12; // OS/2 BITMAPCOREHEADER: 16-bit sizes
  const width = core ? view.getUint16(18, true) : Math.abs(view.getInt32(18, true));
  const height = core ? view.getUint16(20, true) : Math.abs(view.getInt32(22, true));
  return { format: 'bmp', width, height, orientation: 1, decodePixels: width * height, end: bytes.length };
}

/** ICO and CUR: a directory of images (BMP or PNG); decoders pick the largest. */
export function parseIco(bytes: Uint8Array, view: DataView): Parsed {
  const count = view.getUint16(4, true);
  if (count === 0) return fail('corrupt', 'an icon file without images');
  let width = 0;
  let height = 0;
  let end = 0;
  for (let i = 0; i < count; i++) {
    const entry = 6 + 16 * i;
    if (entry + 16 > bytes.length) return fail('truncated', 'truncated ICO');
    const size = view.getUint32(entry + 8, true);
    const offset = view.getUint32(entry + 12, true);
    if (offset + size > bytes.length) return fail('truncated', 'truncated ICO');
    let w = bytes[entry] || 256;
    let h = bytes[entry + 1] || 256;
    // A PNG inside an icon carries its own (possibly much larger) size.
    if (size >= 24 && bytes[offset] === 0x89 && ascii(bytes, offset + 1, 3) === 'PNG') {
      w = view.getUint32(offset + 16);
      h = view.getUint32(offset + 20);
    }
    if (w * h > width * height) [width, height] = [w, h];
    end = Math.max(end, offset + size);
  }
  return { format: 'ico', width, height, orientation: 1, decodePixels: width * height, end };
}
