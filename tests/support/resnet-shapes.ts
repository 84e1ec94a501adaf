// Every distinct convolution in the Keras ResNet50 topology, with its input shape at a given image
// size, computed by walking the graph (ZeroPadding, MaxPooling and strides change the sizes).
import * as tf from '@tensorflow/tfjs';

export interface ConvCase {
  name: string;
  xShape: [number, number, number, number];
  filterShape: [number, number, number, number];
  strides: [number, number];
  pad: 'valid' | 'same' | tf.backend_util.ExplicitPadding;
}

interface LayerJson {
  class_name: string;
  config: Record<string, unknown> & { name: string };
  inbound_nodes: [string, number, number, unknown][][];
}

export function resnetConvShapes(modelJson: unknown, size: number, batch: number): ConvCase[] {
  const layers = (modelJson as { modelTopology: { model_config: { config: { layers: LayerJson[] } } } })
    .modelTopology.model_config.config.layers;
  const shapes = new Map<string, [number, number, number]>(); // name → [h, w, c]
  const cases = new Map<string, ConvCase>();
  for (const layer of layers) {
    const cfg = layer.config;
    const input = layer.inbound_nodes[0]?.[0]?.[0];
    const [h, w, c] = input ? shapes.get(input)! : [size, size, 3];
    let out: [number, number, number] = [h, w, c];
    if (layer.class_name === 'ZeroPadding2D') {
      const [[t, b], [l, r]] = cfg.padding as number[][];
      out = [h + t + b, w + l + r, c];
    } else if (layer.class_name === 'MaxPooling2D') {
      const [ph] = cfg.pool_size as number[];
      const [sh] = cfg.strides as number[];
      out = [Math.floor((h - ph) / sh) + 1, Math.floor((w - ph) / sh) + 1, c];
    } else if (layer.class_name === 'Conv2D') {
      const [kh, kw] = cfg.kernel_size as number[];
      const strides = cfg.strides as [number, number];
      const pad = cfg.padding as 'valid' | 'same';
      const filters = cfg.filters as number;
      const info = tf.backend_util.computeConv2DInfo([batch, h, w, c], [kh, kw, c, filters], strides, 1, pad);
      out = [info.outHeight, info.outWidth, filters];
      const key = `${h},${w},${c},${kh},${filters},${strides[0]},${pad}`;
      if (!cases.has(key)) {
        cases.set(key, {
          name: cfg.name,
          xShape: [batch, h, w, c],
          filterShape: [kh, kw, c, filters],
          strides,
          pad,
        });
      }
    } else if (layer.class_name === 'GlobalAveragePooling2D') {
      out = [1, 1, c];
    }
    shapes.set(cfg.name, out);
  }
  return [...cases.values()];
}
