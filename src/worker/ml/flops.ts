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

/** One convolution of the graph at a given input size. */
export interface ConvLayer {
  name: string;
  /** [batch 1, height, width, channels] of its input (after any explicit padding node). */
  inShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  padding: 'same' | 'valid';
  outHeight: number;
  outWidth: number;
}

type Graph = Pick<ResNetGraph, 'nodes' | 'convs' | 'dense'>;

/** Every convolution (in graph order) and the dense layers' FLOPs, by propagating shapes. */
export function convLayers(graph: Graph, size: number): { convs: ConvLayer[]; denseFlops: number } {
  const shapes = new Map<string, Shape>();
  const convs: ConvLayer[] = [];
  let denseFlops = 0;
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
        const filterShape = graph.convs.get(node.name)!.shape as [number, number, number, number];
        const [kh, kw, , co] = filterShape;
        const [sh, sw] = node.strides;
        const same = node.padding === 'same';
        out = {
          h: same ? Math.ceil(input!.h / sh) : Math.floor((input!.h - kh) / sh) + 1,
          w: same ? Math.ceil(input!.w / sw) : Math.floor((input!.w - kw) / sw) + 1,
          c: co,
        };
        convs.push({
          name: node.name,
          inShape: [1, input!.h, input!.w, input!.c],
          filterShape,
          strides: [sh, sw],
          padding: same ? 'same' : 'valid',
          outHeight: out.h,
          outWidth: out.w,
        });
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
        denseFlops += 2 * fanIn * fanOut;
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
  return { convs, denseFlops };
}

/** Multiply-adds × 2 of one image through a convolution (its filter and output size suffice). */
export function convFlops(conv: Pick<ConvLayer, 'filterShape' | 'outHeight' | 'outWidth'>): number {
  const [kh, kw, ci, co] = conv.filterShape;
  return 2 * conv.outHeight * conv.outWidth * kh * kw * ci * co;
}

export function countFlops(graph: Graph, size: number): FlopCount {
  const { convs, denseFlops } = convLayers(graph, size);
  const perConv = convs.map(convFlops);
  const forward = perConv.reduce((a, b) => a + b, 0) + denseFlops;
  // The first layer's input is the image: it has no input gradient.
  return { forward, trainStep: 3 * forward - (perConv[0] ?? 0) };
}
