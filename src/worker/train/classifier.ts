// The trained classifier's inference side: pooled body features, one image's probabilities (with
// fast.ai's test-time augmentation) and Grad-CAM. Shares the learner's body, head and decoder.
import * as tf from '@tensorflow/tfjs';
import { caffePreprocess } from '../../ml/preprocess';
import type { GradCamMap, TrainConfig } from '../../protocol';
import { disposeStats } from '../ml/batchnorm';
import type { ResNetGraph } from '../ml/resnet-graph';
import { batchTensor, decodeBatch, type DecodeImage, type Example } from './data';
import { concatPool, type FastaiHead } from './head';
import { averageProbabilities, ttaSize, ttaViews } from './tta';

export class Classifier {
  constructor(
    private readonly body: ResNetGraph,
    private readonly head: FastaiHead,
    private readonly config: () => TrainConfig,
    readonly decode: DecodeImage,
  ) {}

  /** The body in inference mode, pooled as fast.ai's head takes it. */
  pooledEval(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const { output } = this.body.forward(caffePreprocess(x), {
        training: false,
        until: this.body.bodyOutput,
      });
      return concatPool(output as tf.Tensor4D);
    });
  }

  /**
   * The body with BatchNorm on this batch's own statistics, pooled: what the unfrozen body feeds the
   * head. No tape, activations freed as in inference; the running averages are left as they are.
   */
  pooledBatchStats(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      const { stats, output } = this.body.batchStatisticsAndOutput(
        caffePreprocess(x),
        this.body.bodyOutput,
        true,
      );
      disposeStats(stats);
      return concatPool(output as tf.Tensor4D);
    });
  }

  /**
   * The trained classifier on one image (validation preprocessing). With test-time augmentation:
   * the average over the centre crop, its mirror and the four corner crops of a 10% larger resize.
   */
  async classify(blob: Blob, tta = false): Promise<number[]> {
    const pooled = await this.pooledViews(blob, tta);
    const values = await this.averaged(pooled);
    pooled.dispose();
    return values;
  }

  /** One image's pooled body features: [1, 4096], or [6, 4096] for its TTA views. */
  async pooledViews(blob: Blob, tta: boolean): Promise<tf.Tensor2D> {
    const size = this.config().size;
    const image = [{ id: 0, label: 0, blob }];
    const raw = await decodeBatch(image, tta ? ttaSize(size) : size, null, this.decode, false);
    const x = tf.tidy(() => {
      const image = batchTensor(raw, raw.pixels[0].width);
      return tta ? ttaViews(image, size) : image;
    });
    const pooled = this.pooledEval(x);
    x.dispose();
    return pooled;
  }

  /** The head's class probabilities averaged over one image's views (pooled features kept). */
  async averaged(pooled: tf.Tensor2D): Promise<number[]> {
    const p = tf.tidy(() => averageProbabilities(this.head.forward(pooled, false).logits));
    const values = Array.from(await p.data());
    p.dispose();
    return values;
  }

  /**
   * Grad-CAM for stored images, towards each image's predicted class: the last body activation
   * weighted by the spatially averaged gradient of that class's logit, ReLU, scaled to [0, 1].
   */
  async gradCam(examples: Example[], classes: number): Promise<GradCamMap[]> {
    if (!examples.length) return [];
    const size = this.config().size;
    const raw = await decodeBatch(examples, size, null, this.decode);
    const x = batchTensor(raw, size);
    const maps = tf.tidy(() => {
      const act = this.body.forward(caffePreprocess(x), { training: false, until: this.body.bodyOutput })
        .output as tf.Tensor4D;
      const logitsOf = (a: tf.Tensor4D) => this.head.forward(concatPool(a), false).logits;
      const predicted = tf.oneHot(tf.argMax(logitsOf(act), 1), classes);
      const grad = tf.grad((a) => tf.sum(tf.mul(logitsOf(a as tf.Tensor4D), predicted)))(act);
      const cam = tf.relu(tf.sum(tf.mul(act, tf.mean(grad, [1, 2], true)), 3));
      return tf.div(cam, tf.maximum(tf.max(cam, [1, 2], true), 1e-12)) as tf.Tensor3D;
    });
    x.dispose();
    const [, height, width] = maps.shape;
    const values = (await maps.data()) as Float32Array;
    maps.dispose();
    return examples.map((e, i) => ({
      id: e.id,
      width,
      height,
      heat: Array.from(values.subarray(i * width * height, (i + 1) * width * height)),
    }));
  }
}
