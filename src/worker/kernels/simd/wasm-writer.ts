// A minimal WebAssembly binary writer: just what our hand-written SIMD kernels need. Writing the
// module bytes at run time (a few hundred bytes) needs no compiler toolchain, no binary asset and no
// download, and the same bytes run in the browser and in Node's unit tests.

export const I32 = 0x7f;
export const V128 = 0x7b;

/** Unsigned LEB128. */
export function uleb(value: number): number[] {
  const bytes: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    bytes.push(byte);
  } while (v !== 0);
  return bytes;
}

/** Signed LEB128 (i32 constants). */
export function sleb(value: number): number[] {
  const bytes: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    bytes.push(done ? byte : byte | 0x80);
    if (done) return bytes;
  }
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function name(text: string): number[] {
  return vec([...text].map((c) => [c.charCodeAt(0)]));
}

/** Instruction builder for one function body; locals are plain indices. */
export class Code {
  readonly bytes: number[] = [];

  private op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  private simd(opcode: number, ...rest: number[]): this {
    return this.op(0xfd, ...uleb(opcode), ...rest);
  }

  get(local: number) {
    return this.op(0x20, ...uleb(local));
  }
  set(local: number) {
    return this.op(0x21, ...uleb(local));
  }
  i32(value: number) {
    return this.op(0x41, ...sleb(value));
  }
  add() {
    return this.op(0x6a);
  }
  sub() {
    return this.op(0x6b);
  }
  mul() {
    return this.op(0x6c);
  }
  ltU() {
    return this.op(0x49);
  }
  /** a < b ? a : b for the two i32 on the stack (unsigned). */
  minU(scratchA: number, scratchB: number) {
    this.set(scratchB).set(scratchA);
    this.get(scratchA).get(scratchB).get(scratchA).get(scratchB).ltU();
    return this.op(0x1b); // select
  }
  /** local += step (a local or an i32 constant). */
  bump(local: number, step: { local: number } | { value: number }) {
    this.get(local);
    if ('local' in step) this.get(step.local);
    else this.i32(step.value);
    return this.add().set(local);
  }
  /** do { body } while (local != 0): the body must bring the local to 0. */
  whileNonZero(local: number, body: (code: this) => void) {
    this.op(0x03, 0x40); // loop (no result)
    body(this);
    this.get(local).op(0x0d, 0); // br_if 0
    return this.op(0x0b);
  }
  /** do { body } while (local < limit), unsigned: the body must advance the local. */
  whileBelow(local: number, limit: number, body: (code: this) => void) {
    this.op(0x03, 0x40);
    body(this);
    this.get(local).get(limit).ltU().op(0x0d, 0);
    return this.op(0x0b);
  }
  /** do { body } while (--counter != 0). The counter must start ≥ 1. */
  countdown(counter: number, body: (code: this) => void) {
    return this.whileNonZero(counter, (c) => {
      body(c);
      c.get(counter).i32(1).sub().set(counter);
    });
  }
  /** do { body } while (++index < limit). */
  countup(index: number, limit: number, body: (code: this) => void) {
    return this.i32(0)
      .set(index)
      .whileBelow(index, limit, (c) => {
        body(c);
        c.get(index).i32(1).add().set(index);
      });
  }
  f32Load(offset = 0) {
    return this.op(0x2a, 2, ...uleb(offset));
  }
  f32Store(offset = 0) {
    return this.op(0x38, 2, ...uleb(offset));
  }
  v128Load(offset = 0) {
    return this.simd(0x00, 4, ...uleb(offset));
  }
  v128Store(offset = 0) {
    return this.simd(0x0b, 4, ...uleb(offset));
  }
  load32Splat(offset = 0) {
    return this.simd(0x09, 2, ...uleb(offset));
  }
  /** An all-zero vector. */
  v128Zero() {
    return this.simd(0x0c, ...new Array(16).fill(0));
  }
  v128And() {
    return this.simd(0x4e);
  }
  f32x4Gt() {
    return this.simd(0x44);
  }
  f32x4Eq() {
    return this.simd(0x41);
  }
  /** a & ~b. */
  v128AndNot() {
    return this.simd(0x4f);
  }
  f32x4Max() {
    return this.simd(0xe9);
  }
  f32x4Sqrt() {
    return this.simd(0xe3);
  }
  f32x4Add() {
    return this.simd(0xe4);
  }
  f32x4Sub() {
    return this.simd(0xe5);
  }
  f32x4Div() {
    return this.simd(0xe7);
  }
  f32x4Mul() {
    return this.simd(0xe6);
  }
  /** Relaxed SIMD: a·b + c, fused where the CPU has FMA (stack: a, b, c). */
  f32x4RelaxedMadd() {
    return this.simd(0x105);
  }
}

export interface FunctionSpec {
  name: string;
  params: number; // all i32
  locals: { type: number; count: number }[];
  code: Code;
}

/**
 * A module that imports one memory ("env", "memory") and exports the given functions. `maxPages`
 * null: no maximum declared (then any unshared memory may be imported; a shared one needs one).
 */
export function moduleBytes(
  functions: FunctionSpec[],
  maxPages: number | null,
  shared: boolean,
): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(new Array(f.params).fill([I32])), 0x00]);
  const memoryLimits =
    maxPages === null ? [0x00, ...uleb(1)] : [shared ? 0x03 : 0x01, ...uleb(1), ...uleb(maxPages)];
  const imports = vec([[...name('env'), ...name('memory'), 0x02, ...memoryLimits]]);
  const bodies = functions.map((f) => {
    const locals = vec(f.locals.map((l) => [...uleb(l.count), l.type]));
    const body = [...locals, ...f.code.bytes, 0x0b];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, vec(types)),
    ...section(2, imports),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(bodies)),
  ]);
}
