// The ONNX export, in Node: onnxruntime (onnxruntime-web's Node build, from npm) runs the written
// model and gives the classifier's probabilities (≤ 1e-4) for a batch; metadata states the layout
// and the classes.
import * as tf from '@tensorflow/tfjs';
import { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-web';
import { beforeAll, describe, expect, it } from 'vitest';
import { caffePreprocess } from '../src/ml/preprocess';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import type { ExportedClassifier } from '../src/worker/export/layers-model';
import { hwioToOihw, onnxModelBytes, samePadding } from '../src/worker/export/onnx-model';
import { concatPool, FastaiHead } from '../src/worker/train/head';
import { tinyClassifier } from './support/tiny-resnet';

describe('ONNX export', () => {
  let body: ResNetGraph;
  let head: FastaiHead;
  let classifier: ExportedClassifier;

  beforeAll(async () => {
    await tf.setBackend('cpu');
    ({ body, head, classifier } = await tinyClassifier());
    ort.env.wasm.numThreads = 1;
  });

  it('onnxruntime gives the classifier’s probabilities', async () => {
    const raw = tf.randomUniform([3, 8, 8, 3], 0, 255, 'float32', 4) as tf.Tensor4D;
    const input = tf.tidy(() => caffePreprocess(raw));
    const expected = tf.tidy(() => {
      const f = body.forward(input, { training: false, until: body.bodyOutput });
      return tf.softmax(head.forward(concatPool(f.output as tf.Tensor4D), false).logits);
    });
    const bytes = onnxModelBytes(body, classifier);
    const props = new Map(onnx.ModelProto.decode(bytes).metadataProps.map((p) => [p.key, p.value]));
    expect(props.get('layout')).toBe('NHWC');
    expect(JSON.parse(props.get('classes')!)).toEqual(['reds', 'greens', 'blues']);
    const session = await ort.InferenceSession.create(bytes);
    const result = await session.run({
      input: new ort.Tensor('float32', (await input.data()) as Float32Array, [3, 8, 8, 3]),
    });
    const got = result.probabilities.data as Float32Array;
    const want = (await expected.data()) as Float32Array;
    expect(result.probabilities.dims).toEqual([3, 3]);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-4);
    await session.release();
    tf.dispose([raw, input, expected]);
  });

  it('transposes HWIO kernels to OIHW and pads like TensorFlow', () => {
    const hwio = Float32Array.from({ length: 2 * 1 * 3 * 2 }, (_, i) => i); // h2 w1 i3 o2
    const oihw = hwioToOihw(hwio, [2, 1, 3, 2]);
    // out[o][i][y][x] = in[y][x][i][o]
    expect(oihw[((1 * 3 + 2) * 2 + 1) * 1 + 0]).toBe(hwio[((1 * 1 + 0) * 3 + 2) * 2 + 1]);
    expect(samePadding(8, 3, 1)).toEqual([1, 1]);
    expect(samePadding(8, 3, 2)).toEqual([0, 1]);
    expect(samePadding(7, 1, 2)).toEqual([0, 0]);
  });
});
