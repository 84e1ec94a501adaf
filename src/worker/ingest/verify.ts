// verify_images, in the browser: decode by content, refuse bombs, apply EXIF orientation, convert to
// RGB, shrink so the longest side is at most maxSize, re-encode as JPEG (or keep a small upright
// JPEG that already fits, byte for byte).
import { readImageHeader, type ImageHeader } from '../../data/image/header';
import type { FailureReason } from '../../data/schema';

/** Larger images are refused before decoding (a 20000×20000 frame would need 1.6 GB). */
export const MAX_PIXELS = 50_000_000;

/**
 * A JPEG that fits is kept as downloaded only up to this many bytes per pixel (plus 64 kB of
 * metadata): quality-95 photos stay well under it, while a 300×300 image padded to 30 MB with
 * comment segments is re-encoded instead of stored as 30 MB.
 */
export const KEEP_JPEG_BYTES_PER_PIXEL = 1.5;

export type Verified =
  | { ok: true; blob: Blob; width: number; height: number; hash: string }
  | { ok: false; reason: FailureReason; detail: string };

export function targetSize(
  width: number,
  height: number,
  maxSize: number,
): { width: number; height: number } {
  const scale = Math.min(1, maxSize / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Whether the downloaded JPEG can be stored as it is: it fits, is upright, and is not padded. */
export function keepsJpeg(header: ImageHeader, size: { width: number; height: number }): boolean {
  return (
    header.format === 'jpeg' &&
    header.orientation === 1 &&
    size.width === header.width &&
    size.height === header.height &&
    header.end <= 65_536 + KEEP_JPEG_BYTES_PER_PIXEL * header.width * header.height
  );
}

export async function verifyAndShrink(bytes: Uint8Array, maxSize: number): Promise<Verified> {
  const verdict = readImageHeader(bytes);
  if (!verdict.ok) return { ok: false, reason: verdict.reason, detail: verdict.detail };
  const { header } = verdict;
  const name = header.format.toUpperCase();
  if (header.decodePixels > MAX_PIXELS) {
    const declared =
      header.decodePixels === header.width * header.height
        ? `${header.width}×${header.height}`
        : `a frame of ${(header.decodePixels / 1e6).toFixed(0)} MP`;
    return {
      ok: false,
      reason: 'too-large',
      detail: `${name} with ${declared} exceeds ${MAX_PIXELS / 1e6} MP`,
    };
  }
  // header.width/height are as displayed (orientation applied), and so is the bitmap: Chromium
  // orients first, then resizes, so the target must be the upright size.
  const size = targetSize(header.width, header.height, maxSize);
  const image = bytes.subarray(0, header.end); // without any trailer
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([image as unknown as ArrayBuffer]), {
      imageOrientation: 'from-image',
      resizeWidth: size.width,
      resizeHeight: size.height,
      resizeQuality: 'high',
    });
  } catch {
    return { ok: false, reason: 'corrupt', detail: `the ${name} data could not be decoded` };
  }
  const hash = await sha256(bytes);
  // A JPEG that already fits is kept byte for byte once it decodes: re-encoding would only cost
  // time and quality (verify_images, too, rewrites only what it must).
  if (keepsJpeg(header, size)) {
    bitmap.close();
    return {
      ok: true,
      blob: new Blob([image as unknown as ArrayBuffer], { type: 'image/jpeg' }),
      ...size,
      hash,
    };
  }
  const canvas = new OffscreenCanvas(size.width, size.height);
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff'; // transparent pixels become white, as PIL's convert('RGB') on a white page
  context.fillRect(0, 0, size.width, size.height);
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
  return { ok: true, blob, ...size, hash };
}
