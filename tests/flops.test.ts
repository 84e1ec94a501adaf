// The FLOP count bench:speed divides by, against a hand count of one residual block.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { countFlops } from '../src/worker/ml/flops';
import { ResNetGraph } from '../src/worker/ml/resnet-graph';
import { tinyKeras } from './support/tiny-resnet';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('FLOP count', () => {
  it('matches a hand count for one block (conv 3×3 → BN → ReLU → conv 1×1 → BN → add → ReLU → pool → dense)', () => {
    const { model, topology } = tinyKeras();
    const graph = ResNetGraph.fromLayersModel(model, topology);
    model.dispose();
    // 8×8 input, 3 → 4 channels: conv1 3×3 'same' = 8·8·(3·3·3)·4 multiply-adds, conv2 1×1 =
    // 8·8·4·4, the dense layer 4·3; 2 FLOPs each.
    const conv1 = 2 * 8 * 8 * 3 * 3 * 3 * 4;
    const conv2 = 2 * 8 * 8 * 4 * 4;
    const dense = 2 * 4 * 3;
    const count = countFlops(graph, 8);
    expect(count.forward).toBe(conv1 + conv2 + dense);
    // Backward: input and weight gradients of every layer, except the input gradient of the first.
    expect(count.trainStep).toBe(3 * (conv1 + conv2 + dense) - conv1);
    // At 16 px every spatial term grows 4×; the dense layer does not.
    expect(countFlops(graph, 16).forward).toBe(4 * (conv1 + conv2) + dense);
    graph.dispose();
  });
});
