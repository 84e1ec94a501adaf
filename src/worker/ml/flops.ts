// Floating-point operations of the network, counted from its graph: 2 per multiply-add of every
// convolution and dense layer (BatchNorm, ReLU, additions and pooling are left out: < 1 % of the
// ResNet50 total). A training step costs the forward pass, the input gradient (not for the first
// layer, whose input is the image) and the weight gradient: ≈ 3× forward.
import type { ResNetGraph } from './resnet-graph';

export interface FlopCount {
  /** Per image, forward pass. */
  forward: number;
  /** Per image, forward + backward (input and weight gradients). */
  trainStep: number;
}

interface Shape {
  h: number;
  w: number;
  c: number;
}

export function countFlops(graph: Pick<ResNetGraph, 'nodes' | 'convs' | 'dense'>, size: number): FlopCount {
  const shapes = new Map<string, Shape>();
  let forward = 0;
  let firstLayer = 0;
  for (const node of graph.nodes) {
    const input = 'input' in node ? shapes.get(node.input)! : null;
    let out: Shape;
    switch (node.op) {
      case 'input':
        out = { h: size, w: size, c: 3 };
        break;
      case 'pad': {
        const [[top, bottom], [left, right]] = node.padding;
        out = { h: input!.h + top + bottom, w: input!.w + left + right, c: input!.c };
        break;
      }
      case 'conv': {
        const [kh, kw, ci, co] = graph.convs.get(node.name)!.shape;
        const [sh, sw] = node.strides;
        const same = node.padding === 'same';
        out = {
          h: same ? Math.ceil(input!.h / sh) : Math.floor((input!.h - kh) / sh) + 1,
          w: same ? Math.ceil(input!.w / sw) : Math.floor((input!.w - kw) / sw) + 1,
          c: co,
        };
        const flops = 2 * out.h * out.w * kh * kw * ci * co;
        if (forward === 0) firstLayer = flops;
        forward += flops;
        break;
      }
      case 'maxpool':
        out = {
          h: Math.floor((input!.h - node.size[0]) / node.strides[0]) + 1,
          w: Math.floor((input!.w - node.size[1]) / node.strides[1]) + 1,
          c: input!.c,
        };
        break;
      case 'gap':
        out = { h: 1, w: 1, c: input!.c };
        break;
      case 'dense': {
        const [fanIn, fanOut] = graph.dense.get(node.name)!.kernel.shape;
        forward += 2 * fanIn * fanOut;
        out = { h: 1, w: 1, c: fanOut };
        break;
      }
      case 'add':
        out = shapes.get(node.inputs[0])!;
        break;
      default: // bn, relu: the shape of their input
        out = input!;
    }
    shapes.set(node.name, out);
  }
  return { forward, trainStep: 3 * forward - firstLayer };
}
