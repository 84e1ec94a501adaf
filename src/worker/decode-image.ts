// Images as the model sees them: the browser decodes the image at its stored size (upright), and its
// square crop is resized as train.py's Pillow does (src/ml/resample.ts) — not by a canvas, whose
// default resampling aliases when shrinking and differs between machines. Training, validation,
// Predict and the ImageNet preview all come through here.
import { cropSquare } from '../ml/resample';
import { StudioError } from '../protocol';
import { unreadableImage } from './errors';

/**
 * The size × size square at `crop` (0–1 along the free width and height; 0.5: centred), as an
 * ImageData (what tf.browser.fromPixels takes in a worker). The browser's errors as it gives them.
 */
export async function decodeCropped(blob: Blob, size: number, crop: [number, number]): Promise<ImageData> {
  const bitmap = await createImageBitmap(blob);
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d', { willReadFrequently: true })!;
    context.drawImage(bitmap, 0, 0);
    const square = cropSquare(context.getImageData(0, 0, bitmap.width, bitmap.height), size, crop);
    return new ImageData(square.data, size, size);
  } finally {
    bitmap.close();
  }
}

/** The centred square of an image the user hands over; a clear error for an empty or unreadable file. */
export async function decodeCentred(blob: Blob, size: number): Promise<ImageData> {
  if (blob.size === 0) throw new StudioError('invalid-input', 'The file is empty.');
  try {
    return await decodeCropped(blob, size, [0.5, 0.5]);
  } catch (error) {
    throw unreadableImage(error, null);
  }
}
