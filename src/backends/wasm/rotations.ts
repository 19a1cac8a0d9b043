/**
 * A sequence of plane rotations of adjacent rows (the eigenvector update of tridiagonal QL/QR,
 * tridiagonalQl.ts) in wasm SIMD: two columns a vector, each rotation's c and s splatted once per
 * chunk of columns. The arithmetic is the JS loop's (c·x + s·y and c·y − s·x, no fused multiply-add),
 * so the result is bit-identical to it. Its own small module, attached to the runtime's memory
 * (as jit's fused kernels are), compiled once per runtime.
 */
import { Val } from "./encoder.js";
import { moduleBuilder, wasmRuntime, type KernelFn, type WasmRuntime } from "./runtime.js";

const I32 = Val.i32;
const F64 = Val.f64;
const V128 = Val.v128;

/** Bytes per rotation record: f64 c, f64 s, i32 byte offset of its first row, 4 bytes of padding. */
const RECORD = 24;

const kernels = new WeakMap<WasmRuntime, KernelFn>();

/**
 * `rotate(y, records, count, rowBytes, vectors)`: for each of `count` records in order, rows at
 * y + offset and y + offset + rowBytes, `vectors` f64x2 from their start, (x, z) ↦ (c·x + s·z, c·z − s·x).
 */
function kernelFor(rt: WasmRuntime): KernelFn {
  let fn = kernels.get(rt);
  if (fn !== undefined) return fn;
  const builder = moduleBuilder();
  const f = builder.func("rotate", [I32, I32, I32, I32, I32]);
  const [Y, REC, COUNT, ROW_BYTES, VECTORS] = [0, 1, 2, 3, 4];
  const a = f.local(I32);
  const b = f.local(I32);
  const k = f.local(I32);
  const c = f.local(V128);
  const s = f.local(V128);
  const x = f.local(V128);
  const z = f.local(V128);
  f.block().get(COUNT).i32Eqz().brIf(0).loop();
  {
    f.get(REC).loadSplat(F64, 0).set(c);
    f.get(REC).loadSplat(F64, 8).set(s);
    f.get(Y).get(REC).load(I32, 16).i32Add().tee(a).get(ROW_BYTES).i32Add().set(b);
    f.get(VECTORS).set(k);
    f.block().get(k).i32Eqz().brIf(0).loop();
    {
      f.get(a).v128Load().set(x);
      f.get(b).v128Load().set(z);
      f.get(a).get(c).get(x).vMul(F64).get(s).get(z).vMul(F64).vAdd(F64).v128Store();
      f.get(b).get(c).get(z).vMul(F64).get(s).get(x).vMul(F64).vSub(F64).v128Store();
      f.get(a).i32(16).i32Add().set(a);
      f.get(b).i32(16).i32Add().set(b);
      f.get(k).i32(1).i32Sub().tee(k).brIf(0);
    }
    f.end().end();
    f.get(REC).i32(RECORD).i32Add().set(REC);
    f.get(COUNT).i32(1).i32Sub().tee(COUNT).brIf(0);
  }
  f.end().end();
  fn = rt.attach(builder.encode()).rotate as KernelFn;
  kernels.set(rt, fn);
  return fn;
}

/**
 * Applies `count` rotations (row index at[r], (c[r], s[r])) to the rows of y (rows × cols,
 * row-major) in order, `chunk` columns at a time; false (y untouched) where wasm SIMD or the memory
 * is not there.
 */
export function rotateRows(y: Float64Array, rows: number, cols: number, at: Int32Array, c: Float64Array, s: Float64Array, count: number, chunk: number): boolean {
  const rt = wasmRuntime();
  if (rt === undefined) return false;
  // Rows padded to whole vectors: the padding column is zero and rotates to zero.
  const width = 2 * Math.ceil(cols / 2);
  const rowBytes = width * 8;
  const yBytes = rows * rowBytes;
  // In the scratch area, above the jit's resident buffers (resident.ts).
  const base = rt.arena.scratchBase;
  if (!rt.reserve(base + yBytes + count * RECORD)) return false;
  const rotate = kernelFor(rt);
  const heap = new Float64Array(rt.memory.buffer, base, (yBytes + count * RECORD) / 8);
  const ints = new Int32Array(rt.memory.buffer, base, (yBytes + count * RECORD) / 4);
  for (let i = 0; i < rows; i++) {
    heap.set(y.subarray(i * cols, (i + 1) * cols), i * width);
    if (width > cols) heap[i * width + cols] = 0;
  }
  for (let r = 0, at64 = yBytes / 8; r < count; r++, at64 += RECORD / 8) {
    heap[at64] = c[r];
    heap[at64 + 1] = s[r];
    ints[2 * at64 + 4] = at[r] * rowBytes;
  }
  for (let k0 = 0; k0 < width; k0 += chunk) rotate(base + k0 * 8, base + yBytes, count, rowBytes, Math.min(chunk, width - k0) / 2);
  for (let i = 0; i < rows; i++) y.set(heap.subarray(i * width, i * width + cols), i * cols);
  return true;
}
