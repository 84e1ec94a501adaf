// Inference with the pretrained ImageNet head (used before any training).
import * as tf from '@tensorflow/tfjs';
import { caffePreprocess, centerSquare } from '../ml/preprocess';
import { topK } from '../ml/topk';
import type { Prediction } from '../protocol';
import { StudioError } from '../protocol';
import { unreadableImage } from './errors';
import type { ResNetGraph } from './ml/resnet-graph';

export const IMAGENET_SIZE = 224;

/** Decodes any image the browser understands; a clear error for everything else. */
export async function decodeImage(blob: Blob): Promise<ImageBitmap> {
  if (blob.size === 0) throw new StudioError('invalid-input', 'The file is empty.');
  try {
    return await createImageBitmap(blob);
  } catch (error) {
    throw unreadableImage(error, null);
  }
}

/** Shorter side resized to `size`, then centre-cropped: RGB pixels 0–255, shape [1, size, size, 3]. */
export function centerCropPixels(bitmap: ImageBitmap, size: number): tf.Tensor4D {
  const { sx, sy, side } = centerSquare(bitmap.width, bitmap.height);
  const canvas = new OffscreenCanvas(size, size);
  const context = canvas.getContext('2d');
  if (!context) throw new Error('OffscreenCanvas 2D is not available');
  context.imageSmoothingQuality = 'high';
  context.drawImage(bitmap, sx, sy, side, side, 0, 0, size, size);
  const imageData = context.getImageData(0, 0, size, size);
  return tf.tidy(() => tf.expandDims(tf.cast(tf.browser.fromPixels(imageData, 3), 'float32'), 0));
}

/** RGB 0–255 → ImageNet probabilities. The Keras model ends in softmax already. */
export function imagenetProbabilities(graph: ResNetGraph, rgb: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => graph.forward(caffePreprocess(rgb), { training: false }).output as tf.Tensor2D);
}

export async function classifyBlob(
  model: ResNetGraph,
  labels: readonly string[],
  blob: Blob,
  k: number,
): Promise<Prediction[]> {
  const bitmap = await decodeImage(blob);
  const pixels = centerCropPixels(bitmap, IMAGENET_SIZE);
  bitmap.close();
  const probabilities = imagenetProbabilities(model, pixels);
  pixels.dispose();
  const values = await probabilities.data();
  probabilities.dispose();
  return topK(values, labels, k);
}
