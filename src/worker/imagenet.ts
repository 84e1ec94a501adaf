// Inference with the pretrained ImageNet head (used before any training).
import * as tf from '@tensorflow/tfjs';
import { caffePreprocess } from '../ml/preprocess';
import { topK } from '../ml/topk';
import type { Prediction } from '../protocol';
import { decodeCentred } from './decode-image';
import type { ResNetGraph } from './ml/resnet-graph';

export const IMAGENET_SIZE = 224;

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
  const image = await decodeCentred(blob, IMAGENET_SIZE);
  const pixels = tf.tidy(() =>
    tf.expandDims<tf.Tensor4D>(tf.cast(tf.browser.fromPixels(image, 3), 'float32'), 0),
  );
  const probabilities = imagenetProbabilities(model, pixels);
  pixels.dispose();
  const values = await probabilities.data();
  probabilities.dispose();
  return topK(values, labels, k);
}
