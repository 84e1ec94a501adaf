// What the image-format parsers share: the header they read, their failures, and byte helpers.

/** Formats Chromium decodes (createImageBitmap), hence stored. */
export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'bmp' | 'avif' | 'ico';

export interface ImageHeader {
  format: ImageFormat;
  /** Size as displayed: EXIF orientation (JPEG) or irot (AVIF) applied. */
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1: as stored). */
  orientation: number;
  /** The most pixels a decoder may allocate for this file: its largest frame, canvas or item. */
  decodePixels: number;
  /** Where the image data ends (its end marker); bytes after it are a trailer. */
  end: number;
}

export type HeaderFailure = 'not-image' | 'truncated' | 'unsupported' | 'corrupt';

/** What a format parser returns: the header, or a failure with its reason. */
export type Parsed = ImageHeader | { reason: HeaderFailure; detail: string };

export const ascii = (bytes: Uint8Array, start: number, length: number): string =>
  String.fromCharCode(...bytes.subarray(start, start + length));

export const fail = (reason: HeaderFailure, detail: string): Parsed => ({ reason, detail });
