// Reads an image's format and pixel size from its first bytes, without decoding it: the content
// decides what a file is (never its extension), and decompression bombs are refused before any
// decoder allocates width × height × 4 bytes.

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp';

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

export type HeaderVerdict =
  { ok: true; header: ImageHeader } | { ok: false; reason: 'not-image' | 'truncated'; detail: string };

const ascii = (bytes: Uint8Array, start: number, length: number) =>
  String.fromCharCode(...bytes.subarray(start, start + length));

function sniffText(bytes: Uint8Array): string {
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg'))) return 'an SVG drawing';
  if (head.startsWith('<!doctype html') || head.startsWith('<html') || head.startsWith('<'))
    return 'an HTML page';
  return 'not an image';
}

function jpegSize(bytes: Uint8Array, view: DataView): { width: number; height: number } | null {
  let offset = 2;
  while (offset + 9 < bytes.length) {
    if (bytes[offset] !== 0xff) {
      offset++;
      continue;
    }
    const marker = bytes[offset + 1];
    // SOF0–SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: view.getUint16(offset + 5), width: view.getUint16(offset + 7) };
    }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01 || marker === 0xff) {
      offset += marker === 0xff ? 1 : 2;
      continue;
    }
    offset += 2 + view.getUint16(offset + 2);
  }
  return null;
}

function endsWith(bytes: Uint8Array, tail: number[], slack: number): boolean {
  const end = bytes.length;
  for (let start = end - tail.length; start >= Math.max(0, end - tail.length - slack); start--) {
    if (tail.every((b, i) => bytes[start + i] === b)) return true;
  }
  return false;
}

export function readImageHeader(bytes: Uint8Array): HeaderVerdict {
  if (bytes.length === 0) return { ok: false, reason: 'not-image', detail: 'empty response' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const truncated = (format: string) => ({
    ok: false as const,
    reason: 'truncated' as const,
    detail: `truncated ${format}`,
  });
  if (bytes.length >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    const size = jpegSize(bytes, view);
    if (!size) return truncated('JPEG (no frame header)');
    // The end-of-image marker must be there (a few padding bytes may follow).
    if (!endsWith(bytes, [0xff, 0xd9], 64)) return truncated('JPEG');
    return { ok: true, header: { format: 'jpeg', ...size } };
  }
  if (bytes.length >= 8 && ascii(bytes, 1, 3) === 'PNG' && bytes[0] === 0x89) {
    if (bytes.length < 24) return truncated('PNG');
    const header = { format: 'png' as const, width: view.getUint32(16), height: view.getUint32(20) };
    if (!endsWith(bytes, [0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82], 16)) return truncated('PNG');
    return { ok: true, header };
  }
  if (bytes.length >= 10 && ascii(bytes, 0, 4) === 'GIF8') {
    const header = {
      format: 'gif' as const,
      width: view.getUint16(6, true),
      height: view.getUint16(8, true),
    };
    if (bytes[bytes.length - 1] !== 0x3b) return truncated('GIF');
    return { ok: true, header };
  }
  if (bytes.length >= 30 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') {
    if (view.getUint32(4, true) + 8 > bytes.length) return truncated('WebP');
    const chunk = ascii(bytes, 12, 4);
    let width = 0;
    let height = 0;
    if (chunk === 'VP8 ') {
      width = view.getUint16(26, true) & 0x3fff;
      height = view.getUint16(28, true) & 0x3fff;
    } else if (chunk === 'VP8L') {
      const bits = view.getUint32(21, true);
      width = (bits & 0x3fff) + 1;
      height = ((bits >> 14) & 0x3fff) + 1;
    } else if (chunk === 'VP8X') {
      width = 1 + (bytes[24] | (bytes[25] << 8) | (bytes[26] << 16));
      height = 1 + (bytes[27] | (bytes[28] << 8) | (bytes[29] << 16));
    }
    return { ok: true, header: { format: 'webp', width, height } };
  }
  if (bytes.length >= 26 && bytes[0] === 0x42 && bytes[1] === 0x4d) {
    if (view.getUint32(2, true) > bytes.length) return truncated('BMP');
    return {
      ok: true,
      header: {
        format: 'bmp',
        width: Math.abs(view.getInt32(18, true)),
        height: Math.abs(view.getInt32(22, true)),
      },
    };
  }
  return { ok: false, reason: 'not-image', detail: sniffText(bytes) };
}
