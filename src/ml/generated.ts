// Deterministic generated inputs: no dataset needed, identical in Node, the browser and the PyTorch
// benchmark (bench/torch_speed.py computes the same formula).

/** A fixed NHWC batch of RGB pixels (0–255) with structure at several scales. */
export function generatedBatch(
  n: number,
  size: number,
): { pixels: Float32Array; shape: [number, number, number, 3] } {
  const pixels = new Float32Array(n * size * size * 3);
  let i = 0;
  for (let b = 0; b < n; b++)
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++)
        for (let c = 0; c < 3; c++)
          pixels[i++] = (37 * b + 11 * y + 7 * x + 53 * c + ((x * y) % 17) * 5) % 256;
  return { pixels, shape: [n, size, size, 3] };
}
