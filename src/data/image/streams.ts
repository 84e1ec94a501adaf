// Header walkers for the marker- and block-structured formats: JPEG (segments, EXIF orientation),
// PNG (chunks, APNG frames) and GIF (blocks, every frame's extent).
import { ascii, fail, type Parsed } from './types.ts';

/** SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size. */
const isStartOfFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;

/** Orientation (tag 0x0112 of IFD0) from an APP1 Exif segment's TIFF block; 1 when absent. */
export function exifOrientation(bytes: Uint8Array, tiff: number, end: number): number {
  if (tiff + 8 > end) return 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const little = ascii(bytes, tiff, 2) === 'II';
  if (!little && ascii(bytes, tiff, 2) !== 'MM') return 1;
  const ifd = tiff + view.getUint32(tiff + 4, little);
  if (ifd + 2 > end) return 1;
  const count = view.getUint16(ifd, little);
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > end) return 1;
    if (view.getUint16(entry, little) === 0x0112) {
      const value = view.getUint16(entry + 8, little);
      return value >= 1 && value <= 8 ? value : 1;
    }
  }
  return 1;
}

export function parseJpeg(bytes: Uint8Array, view: DataView): Parsed {
  let offset = 2;
  let orientation = 1;
  let size: { width: number; height: number } | null = null;
  while (offset + 1 < bytes.length) {
    if (bytes[offset] !== 0xff) return fail('corrupt', 'a JPEG segment is damaged');
    const marker = bytes[offset + 1];
    if (marker === 0xff) {
      offset++; // fill byte
      continue;
    }
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    if (marker === 0xd9) return fail('corrupt', 'a JPEG without image data');
    if (offset + 4 > bytes.length) break;
    const segmentEnd = offset + 2 + view.getUint16(offset + 2);
    if (segmentEnd > bytes.length) break;
    if (marker === 0xe1 && ascii(bytes, offset + 4, 6) === 'Exif\0\0') {
      orientation = exifOrientation(bytes, offset + 10, segmentEnd);
    } else if (isStartOfFrame(marker) && offset + 9 <= segmentEnd) {
      size = { height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
    } else if (marker === 0xda) {
      if (!size) return fail('corrupt', 'a JPEG scan before its frame header');
      // Entropy-coded data never holds FF D9 (FF is stuffed as FF 00): the first one is the end.
      for (let i = bytes.indexOf(0xff, segmentEnd); i !== -1; i = bytes.indexOf(0xff, i + 1)) {
        if (bytes[i + 1] === 0xd9) {
          const swap = orientation >= 5;
          return {
            format: 'jpeg',
            width: swap ? size.height : size.width,
            height: swap ? size.width : size.height,
            orientation,
            decodePixels: size.width * size.height,
            end: i + 2,
          };
        }
      }
      break;
    }
    offset = segmentEnd;
  }
  return fail('truncated', size ? 'truncated JPEG' : 'truncated JPEG (no frame header)');
}

export function parsePng(bytes: Uint8Array, view: DataView): Parsed {
  let width = 0;
  let height = 0;
  let decodePixels = 0;
  for (let offset = 8; offset + 12 <= bytes.length;) {
    const length = view.getUint32(offset);
    const type = ascii(bytes, offset + 4, 4);
    const next = offset + 12 + length;
    if (next > bytes.length) break;
    if (type === 'IHDR' && length >= 8) {
      width = view.getUint32(offset + 8);
      height = view.getUint32(offset + 12);
      decodePixels = Math.max(decodePixels, width * height);
    } else if (type === 'fcTL' && length >= 20) {
      // An APNG frame: its own size and offset (a decoder allocates what it covers).
      const frameWidth = view.getUint32(offset + 12) + view.getUint32(offset + 20);
      const frameHeight = view.getUint32(offset + 16) + view.getUint32(offset + 24);
      decodePixels = Math.max(decodePixels, Math.max(width, frameWidth) * Math.max(height, frameHeight));
    } else if (type === 'IEND') {
      return { format: 'png', width, height, orientation: 1, decodePixels, end: next };
    }
    offset = next;
  }
  return fail('truncated', 'truncated PNG');
}

/** Skips a GIF data sub-block sequence; returns the offset after its terminator, or -1 if cut. */
function skipSubBlocks(bytes: Uint8Array, offset: number): number {
  while (offset < bytes.length) {
    const size = bytes[offset];
    offset += 1 + size;
    if (size === 0) return offset;
  }
  return -1;
}

const colorTableBytes = (flags: number) => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);

export function parseGif(bytes: Uint8Array, view: DataView): Parsed {
  if (bytes.length < 13) return fail('truncated', 'truncated GIF');
  const width = view.getUint16(6, true);
  const height = view.getUint16(8, true);
  let decodePixels = width * height;
  let frames = 0;
  let offset = 13 + colorTableBytes(bytes[10]);
  const result = (end: number): Parsed => ({
    format: 'gif',
    width,
    height,
    orientation: 1,
    decodePixels,
    end,
  });
  while (offset < bytes.length) {
    const block = bytes[offset];
    if (block === 0x3b) return result(offset + 1);
    if (block === 0x21) {
      offset = skipSubBlocks(bytes, offset + 2);
    } else if (block === 0x2c) {
      if (offset + 10 > bytes.length) return fail('truncated', 'truncated GIF');
      // Each frame is decoded at its own size: a 10×10 canvas may hold a 20000×20000 frame.
      const right = view.getUint16(offset + 1, true) + view.getUint16(offset + 5, true);
      const bottom = view.getUint16(offset + 3, true) + view.getUint16(offset + 7, true);
      decodePixels = Math.max(decodePixels, Math.max(width, right) * Math.max(height, bottom));
      offset = skipSubBlocks(bytes, offset + 10 + colorTableBytes(bytes[offset + 9]) + 1);
      if (offset !== -1) frames++;
    } else if (frames > 0) {
      return result(offset); // bytes after the last frame without a trailer: browsers show the frames
    } else {
      return fail('corrupt', 'a GIF block is damaged');
    }
    if (offset === -1) return fail('truncated', 'truncated GIF');
  }
  return frames > 0 ? result(offset) : fail('truncated', 'truncated GIF');
}
