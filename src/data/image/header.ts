// Reads an image's format and pixel size from its bytes, without decoding it: the content decides
// what a file is (never its extension), and decompression bombs are refused before any decoder
// allocates width × height × 4 bytes. Each parser walks its format's structure to the end marker, so
// a cut file is "truncated", bytes after the end (phone trailers, padding) are accepted, and every
// frame a decoder may allocate (GIF frames, APNG/WebP animation frames, AVIF items) bounds the size.
import { parseBmff, parseBmp, parseIco, parseWebp } from './containers.ts';
import { parseGif, parseJpeg, parsePng } from './streams.ts';
import { ascii, fail, type HeaderFailure, type ImageFormat, type ImageHeader, type Parsed } from './types.ts';

export type { HeaderFailure, ImageFormat, ImageHeader } from './types.ts';

export type HeaderVerdict =
  { ok: true; header: ImageHeader } | { ok: false; reason: HeaderFailure; detail: string };

/** Formats Chromium cannot decode: named, so the user knows to convert them. */
const UNSUPPORTED: { name: string; test(b: Uint8Array): boolean }[] = [
  { name: 'TIFF', test: (b) => ascii(b, 0, 4) === 'II*\0' || ascii(b, 0, 4) === 'MM\0*' },
  { name: 'PSD', test: (b) => ascii(b, 0, 4) === '8BPS' },
  { name: 'JPEG XL', test: (b) => (b[0] === 0xff && b[1] === 0x0a) || ascii(b, 4, 4) === 'JXL ' },
  { name: 'JPEG 2000', test: (b) => ascii(b, 4, 8) === 'jP  \r\n\x87\n' || ascii(b, 0, 4) === '\xffO\xffQ' },
  { name: 'camera RAW (CR2)', test: (b) => ascii(b, 8, 2) === 'CR' && ascii(b, 0, 2) === 'II' },
];

function sniffOther(bytes: Uint8Array): Parsed {
  for (const format of UNSUPPORTED) {
    if (format.test(bytes)) return fail('unsupported', `unsupported format (${format.name})`);
  }
  const head = new TextDecoder().decode(bytes.subarray(0, 256)).trimStart().toLowerCase();
  if (head.startsWith('%pdf')) return fail('not-image', 'a PDF document');
  if (head.startsWith('<svg') || (head.startsWith('<?xml') && head.includes('<svg')))
    return fail('not-image', 'an SVG drawing');
  if (head.startsWith('<')) return fail('not-image', 'an HTML page');
  return fail('not-image', 'not an image');
}

/** A decodable format by its magic number; ISO-BMFF (AVIF, HEIC, video) is told apart by brand. */
export type Container = Exclude<ImageFormat, 'avif'> | 'bmff';

/** What the first bytes say a file is (magic numbers only); null for anything else. */
export function sniffFormat(bytes: Uint8Array): Container | null {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes[0] === 0x89 && ascii(bytes, 1, 3) === 'PNG') return 'png';
  if (bytes.length >= 6 && ascii(bytes, 0, 4) === 'GIF8') return 'gif';
  if (bytes.length >= 12 && ascii(bytes, 0, 4) === 'RIFF' && ascii(bytes, 8, 4) === 'WEBP') return 'webp';
  if (bytes.length >= 12 && ascii(bytes, 4, 4) === 'ftyp') return 'bmff';
  if (bytes.length >= 2 && bytes[0] === 0x42 && bytes[1] === 0x4d) return 'bmp';
  if (
    bytes.length >= 6 &&
    bytes[0] === 0 &&
    bytes[1] === 0 &&
    (bytes[2] === 1 || bytes[2] === 2) &&
    bytes[3] === 0
  )
    return 'ico';
  return null;
}

const PARSERS: Record<Container, (b: Uint8Array, v: DataView) => Parsed> = {
  jpeg: parseJpeg,
  png: parsePng,
  gif: parseGif,
  webp: parseWebp,
  bmff: parseBmff,
  bmp: parseBmp,
  ico: parseIco,
};

export function readImageHeader(bytes: Uint8Array): HeaderVerdict {
  if (bytes.length === 0) return { ok: false, reason: 'not-image', detail: 'empty response' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const format = sniffFormat(bytes);
  const parsed = format ? PARSERS[format](bytes, view) : sniffOther(bytes);
  if ('reason' in parsed) return { ok: false, reason: parsed.reason, detail: parsed.detail };
  if (parsed.width <= 0 || parsed.height <= 0) {
    return {
      ok: false,
      reason: 'corrupt',
      detail: `the ${parsed.format.toUpperCase()} header declares ${parsed.width}×${parsed.height} pixels`,
    };
  }
  return { ok: true, header: parsed };
}
