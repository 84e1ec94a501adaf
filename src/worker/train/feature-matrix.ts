// Pooled body features of many images, kept in plain JavaScript memory rather than on the backend:
// on wasm every tensor lives in one 4 GB heap that the network's weights and activations need, and
// 20,000 images × 4 augmented variants × 4096 floats would take 1.3 GB of it (twice that while a
// variant's batches were concatenated). Rows are written batch by batch and read back as small
// tensors (a training batch, a validation chunk).
import * as tf from '@tensorflow/tfjs';

export class FeatureMatrix {
  private data: Float32Array | null = null;
  private filled = 0;
  /** Which rows hold values (rows written by put() may arrive in any order). */
  private readonly written: Uint8Array;

  constructor(readonly rows: number) {
    this.written = new Uint8Array(rows);
  }

  /** Floats per row (0 until the first rows arrive). */
  get width(): number {
    return this.data ? this.data.length / this.rows : 0;
  }

  /** Rows written so far (by append() or put()). */
  get length(): number {
    return this.filled;
  }

  /** Appends a batch's rows after the last appended one (the tensor is read, not freed). */
  async append(batch: tf.Tensor2D): Promise<void> {
    const start = this.written.indexOf(0);
    await this.put(
      Array.from({ length: batch.shape[0] }, (_, i) => (start < 0 ? this.rows : start) + i),
      batch,
    );
  }

  /** Writes a batch's rows at the given row indices, each once (the tensor is read, not freed). */
  async put(at: readonly number[], batch: tf.Tensor2D): Promise<void> {
    const [count, width] = batch.shape;
    if (at.length !== count) throw new RangeError(`FeatureMatrix: ${count} rows for ${at.length} places`);
    for (const row of at) {
      if (row < 0 || row >= this.rows || !Number.isInteger(row))
        throw new RangeError(`FeatureMatrix: more than ${this.rows} rows (row ${row})`);
      if (this.written[row]) throw new RangeError(`FeatureMatrix: row ${row} written twice`);
    }
    this.data ??= new Float32Array(this.rows * width);
    if (width !== this.width) throw new RangeError(`FeatureMatrix: rows of ${width}, not ${this.width}`);
    const values = (await batch.data()) as Float32Array;
    at.forEach((row, i) => {
      this.data!.set(values.subarray(i * width, (i + 1) * width), row * width);
      this.written[row] = 1;
    });
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
    if (start < 0 || start + count > this.rows || this.written.subarray(start, start + count).includes(0))
      throw new RangeError('FeatureMatrix: slice out of range');
    const width = this.width;
    return tf.tensor2d(this.data!.slice(start * width, (start + count) * width), [count, width]);
  }

  private row(index: number): Float32Array {
    if (!this.written[index]) throw new RangeError(`FeatureMatrix: no row ${index}`);
    const width = this.width;
    return this.data!.subarray(index * width, (index + 1) * width);
  }
}
