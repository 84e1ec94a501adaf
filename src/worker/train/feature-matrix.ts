// Pooled body features of many images, kept in plain JavaScript memory rather than on the backend:
// on wasm every tensor lives in one 4 GB heap that the network's weights and activations need, and
// 20,000 images × 4 augmented variants × 4096 floats would take 1.3 GB of it (twice that while a
// variant's batches were concatenated). Rows are written batch by batch and read back as small
// tensors (a training batch, a validation chunk).
import * as tf from '@tensorflow/tfjs';

export class FeatureMatrix {
  private data: Float32Array | null = null;
  private filled = 0;

  constructor(readonly rows: number) {}

  /** Floats per row (0 until the first rows arrive). */
  get width(): number {
    return this.data ? this.data.length / this.rows : 0;
  }

  /** Rows written so far. */
  get length(): number {
    return this.filled;
  }

  /** Appends a batch's rows (the tensor is read, not freed). */
  async append(batch: tf.Tensor2D): Promise<void> {
    const [count, width] = batch.shape;
    if (this.filled + count > this.rows) throw new RangeError(`FeatureMatrix: more than ${this.rows} rows`);
    this.data ??= new Float32Array(this.rows * width);
    if (width !== this.width) throw new RangeError(`FeatureMatrix: rows of ${width}, not ${this.width}`);
    this.data.set((await batch.data()) as Float32Array, this.filled * width);
    this.filled += count;
  }

  /** The given rows, in that order, as one tensor. */
  gather(rows: number[]): tf.Tensor2D {
    const width = this.width;
    const out = new Float32Array(rows.length * width);
    rows.forEach((row, i) => out.set(this.row(row), i * width));
    return tf.tensor2d(out, [rows.length, width]);
  }

  /** Rows start … start + count − 1 as one tensor. */
  slice(start: number, count: number): tf.Tensor2D {
    if (start < 0 || start + count > this.filled) throw new RangeError('FeatureMatrix: slice out of range');
    const width = this.width;
    return tf.tensor2d(this.data!.slice(start * width, (start + count) * width), [count, width]);
  }

  private row(index: number): Float32Array {
    if (index < 0 || index >= this.filled) throw new RangeError(`FeatureMatrix: no row ${index}`);
    const width = this.width;
    return this.data!.subarray(index * width, (index + 1) * width);
  }
}
