import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { CAFFE_MEAN_BGR, caffePreprocess, caffeUnprocess } from '../src/ml/preprocess';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('caffePreprocess', () => {
  it('swaps RGB to BGR and subtracts the ImageNet means, without scaling', () => {
    const rgb = tf.tensor4d([10, 20, 30, 255, 0, 128], [1, 1, 2, 3]);
    const out = caffePreprocess(rgb).arraySync()[0][0];
    expect(out[0][0]).toBeCloseTo(30 - CAFFE_MEAN_BGR[0], 4);
    expect(out[0][1]).toBeCloseTo(20 - CAFFE_MEAN_BGR[1], 4);
    expect(out[0][2]).toBeCloseTo(10 - CAFFE_MEAN_BGR[2], 4);
    [128 - 103.939, 0 - 116.779, 255 - 123.68].forEach((v, c) => expect(out[1][c]).toBeCloseTo(v, 4));
    rgb.dispose();
  });

  it('is undone by caffeUnprocess and leaks no tensors', () => {
    const before = tf.memory().numTensors;
    const rgb = tf.randomUniform([2, 3, 3, 3], 0, 255) as tf.Tensor4D;
    const bgr = caffePreprocess(rgb);
    const back = caffeUnprocess(bgr);
    const error = tf.tidy(() => tf.max(tf.abs(tf.sub(back, rgb))).arraySync());
    expect(error).toBeLessThan(1e-3);
    tf.dispose([rgb, bgr, back]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
