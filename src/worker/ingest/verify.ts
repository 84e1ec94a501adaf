// verify_images, in the browser: decode by content, refuse bombs, convert to RGB, shrink so the
// longest side is at most maxSize, re-encode as JPEG.
import { readImageHeader } from '../../data/image-header';
import type { FailureReason } from '../../data/schema';

/** Larger images are refused before decoding (a 20000×20000 PNG would need 1.6 GB). */
export const MAX_PIXELS = 50_000_000;

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

export async function verifyAndShrink(bytes: Uint8Array, maxSize: number): Promise<Verified> {
  const verdict = readImageHeader(bytes);
  if (!verdict.ok) return { ok: false, reason: verdict.reason, detail: verdict.detail };
  const { width, height, format } = verdict.header;
  if (width * height > MAX_PIXELS || width <= 0 || height <= 0) {
    return {
      ok: false,
      reason: 'too-large',
      detail: `${width}×${height} ${format.toUpperCase()} exceeds ${MAX_PIXELS / 1e6} MP`,
    };
  }
  const size = targetSize(width, height, maxSize);
  // A JPEG that already fits is kept byte for byte once it decodes: re-encoding would only cost
  // time and quality (verify_images, too, rewrites only what it must).
  const keep = format === 'jpeg' && size.width === width && size.height === height;
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes as unknown as ArrayBuffer]), {
      resizeWidth: size.width,
      resizeHeight: size.height,
      resizeQuality: 'high',
    });
  } catch {
    return {
      ok: false,
      reason: 'not-image',
      detail: `the ${format.toUpperCase()} data could not be decoded`,
    };
  }
  if (keep) {
    bitmap.close();
    return {
      ok: true,
      blob: new Blob([bytes as unknown as ArrayBuffer], { type: 'image/jpeg' }),
      ...size,
      hash: await sha256(bytes),
    };
  }
  const canvas = new OffscreenCanvas(size.width, size.height);
  const context = canvas.getContext('2d')!;
  context.fillStyle = '#fff'; // transparent pixels become white, as PIL's convert('RGB') on a white page
  context.fillRect(0, 0, size.width, size.height);
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const blob = await canvas.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
  return { ok: true, blob, ...size, hash: await sha256(bytes) };
}
