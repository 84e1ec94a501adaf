// Generated images for the training core's Node tests: each "file" holds its class and index, and
// decoding draws that class's colour with a stripe texture that moves with the index and the crop.
import type { Dataset, Pixels } from '../../src/worker/train/data';

const COLOURS: [number, number, number][] = [
  [220, 40, 40],
  [40, 200, 60],
  [50, 60, 230],
];

/** Each "file" holds its class and index; decoding draws that class's colour with some texture. */
export async function decodeColour(blob: Blob, size: number, crop: [number, number]): Promise<Pixels> {
  const [label, index] = new Uint8Array(await blob.arrayBuffer());
  const data = new Uint8Array(size * size * 4);
  for (let p = 0; p < size * size; p++) {
    const stripe = ((p % size) + index + Math.round(crop[0] * 3)) % 4 === 0 ? 60 : 0;
    for (let c = 0; c < 3; c++) data[p * 4 + c] = Math.min(255, COLOURS[label][c] + stripe);
    data[p * 4 + 3] = 255;
  }
  return { width: size, height: size, data };
}

export function colourDataset(perClass: number): Dataset {
  const examples = (offset: number) =>
    COLOURS.flatMap((_, label) =>
      Array.from({ length: perClass }, (__, i) => ({
        id: label * 100 + i + offset,
        label,
        blob: new Blob([Uint8Array.of(label, i + offset)]),
      })),
    );
  return {
    classes: ['reds', 'greens', 'blues'],
    train: examples(0),
    valid: examples(50).filter((e) => e.id % 100 < 52),
  };
}
