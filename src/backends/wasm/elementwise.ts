/**
 * Elementwise ops on the wasm backend, the reference kernels' contract (views in, a new row-major
 * buffer out) for the ops, dtypes and layouts the SIMD kernels cover; undefined for the rest, which
 * backend.ts then runs on the reference:
 * - unary: a contiguous float view (any shape, any storage offset), the output in its dtype;
 * - binary: operands of one float dtype whose broadcast walk collapses (strided.ts `collapse`) to
 *   one run — same shape, or a scalar — or to rows: a bias row [N] against [..., N], or a column
 *   [..., R, 1] against [..., R, N]; each operand contiguous or broadcast, never a strided view;
 *   the output in their dtype (so never a comparison's bool).
 * Operands are copied into the scratch memory (padded to whole vectors), the kernel runs, and the
 * result is copied out.
 *
 * Sizes below MIN_SIZE stay on the reference: there the fixed cost of a call (views, copies, the
 * boundary crossing, ~2 µs) outweighs the kernel.
 */
import { allocate, type DType, type Storage } from "../dtype.js";
import { type Shape, sizeOf } from "../shape.js";
import { broadcastStrides, collapse } from "../cpu/kernels/strided.js";
import type { BinaryOp, UnaryOp } from "../ops.js";
import type { View } from "../view.js";
import { binaryName, type Dtype, type Layout, unaryName } from "./elementwiseKernels.js";
import { TRIG_LIMIT } from "./math.js";
import { wasmRuntime, type WasmRuntime } from "./runtime.js";
import { split } from "./split.js";

type FloatArray = Float32Array | Float64Array;

/**
 * The smallest tensor worth the call, measured (Node 20, x64, float32, best of two runs on a shared
 * 2-core machine, so ±30%). ns per element at 32768 elements, reference → wasm, the copies and the
 * result's allocation (~1 ns, paid by both) included: add 4.1 → 1.1, mul 12 → 1.0, bias add
 * [512, 64] + [64] 4.3 → 2.0, maximum 22 → 1.0, neg 3.7 → 2.0, relu 21 → 1.0, exp 27 → 5.7,
 * log 22 → 5.9, sin 27 → 6.0, tanh 43 → 5.5, sigmoid 29 → 4.3, softplus 42 → 6.7, erf 75 → 10,
 * gelu 73 → 14–27, pow 69 → 9.4. The IEEE ops break even near 128–256 elements, the
 * transcendental ones below 64.
 */
const CHEAP = 512;
const COSTLY = 64;
/**
 * From this many elements a transcendental op is split among threads (~1 ms of work on one): below
 * that, waking an idle worker (on a VM, its idle vCPU) can cost more than the half it saves.
 */
const MIN_SPLIT = 1 << 18;
// The ops with a SIMD kernel (elementwiseKernels.ts); the others are left to the reference.
const MIN_SIZE: Partial<Record<UnaryOp | BinaryOp, number>> = {
  neg: CHEAP,
  abs: CHEAP,
  relu: CHEAP,
  sqrt: CHEAP,
  rsqrt: CHEAP,
  sign: CHEAP,
  add: CHEAP,
  sub: CHEAP,
  mul: CHEAP,
  div: CHEAP,
  maximum: CHEAP,
  minimum: CHEAP,
  reluGrad: CHEAP,
  mulSafe: CHEAP,
  divSafe: CHEAP,
  exp: COSTLY,
  log: COSTLY,
  sin: COSTLY,
  cos: COSTLY,
  tanh: COSTLY,
  sigmoid: COSTLY,
  softplus: COSTLY,
  erf: COSTLY,
  gelu: COSTLY,
  geluTanh: COSTLY,
  pow: COSTLY,
};

/** Whether `op`'s SIMD kernel is a polynomial (exp, sin, tanh, …): far costlier per element than an IEEE op. */
export const isCostly = (op: string): boolean => MIN_SIZE[op as UnaryOp | BinaryOp] === COSTLY;

/** Elements the kernels compute only approximately or not at all, recomputed with the reference function. */
const RECOMPUTE: Partial<Record<UnaryOp, { readonly outside: (x: number) => boolean; readonly f: (x: number) => number }>> = {
  sin: { outside: (x) => !(Math.abs(x) <= TRIG_LIMIT), f: Math.sin },
  cos: { outside: (x) => !(Math.abs(x) <= TRIG_LIMIT), f: Math.cos },
};

const isFloat = (dtype: string): dtype is Dtype => dtype === "float32" || dtype === "float64";
const bytesOf = (dtype: Dtype) => (dtype === "float32" ? 4 : 8);
/** Bytes for n elements plus a vector of padding, rounded up to a cache line (no i32 overflow: huge sizes fail `reserve`). */
const region = (n: number, size: number) => Math.ceil((n * size + 16) / 64) * 64;

function heapOf(rt: WasmRuntime, dtype: Dtype): FloatArray {
  return dtype === "float32" ? new Float32Array(rt.memory.buffer) : new Float64Array(rt.memory.buffer);
}

/** A new array of heap[at, at + n) (a fresh array and `set` is quicker than `slice` in V8; made by `allocate`, so counted and recycled under jit). */
function copyOut(heap: FloatArray, at: number, n: number): FloatArray {
  const out = allocate(heap instanceof Float32Array ? "float32" : "float64", n, undefined, true);
  out.set(heap.subarray(at, at + n));
  return out;
}

/** op(x) elementwise into `dtype`; `minSize` (the tests pass 0) overrides the size threshold. */
export function unary(op: UnaryOp, x: View, dtype: DType, minSize = MIN_SIZE[op]): Storage | undefined {
  const n = sizeOf(x.shape);
  if (minSize === undefined || dtype !== x.dtype || !isFloat(dtype) || n < Math.max(minSize, 1)) return undefined;
  const rt = wasmRuntime();
  const kernel = rt?.named[unaryName(op, dtype)];
  if (rt === undefined || kernel === undefined) return undefined;
  const walk = collapse(x.shape, [x.strides]);
  if (walk.shape.length !== 1 || (walk.strides[0][0] !== 1 && n > 1)) return undefined;
  const size = bytesOf(dtype);
  const inBytes = region(n, size);
  const base = rt.arena.scratchBase;
  if (!rt.reserve(base + 2 * inBytes)) return undefined;
  const heap = heapOf(rt, dtype);
  const src = x.storage as FloatArray;
  const vectors = Math.ceil((n * size) / 16);
  // Read in place where x is resident in the wasm memory (./resident.ts), else staged.
  const resident = rt.arena.addressOf(src);
  const inAt = resident === undefined ? base : resident + x.offset * size;
  if (resident === undefined) {
    heap.set(src.subarray(x.offset, x.offset + n), base / size);
    heap.fill(0, base / size + n, (base + vectors * 16) / size);
    rt.arena.copied += n * size;
  }
  // The costly functions of large tensors are split among threads (by vectors: each lane's result
  // depends on its input alone, so the split changes no bit).
  const threaded = MIN_SIZE[op] === COSTLY && n >= MIN_SPLIT;
  const flagged = split(rt, unaryName(op, dtype), vectors, threaded, (v0, v1) => [inAt + v0 * 16, base + inBytes + v0 * 16, v1 - v0]);
  const out = copyOut(heap, (base + inBytes) / size, n);
  const recompute = RECOMPUTE[op];
  if (flagged !== 0 && recompute !== undefined) {
    for (let i = 0, o = x.offset; i < n; i++, o++) if (recompute.outside(src[o])) out[i] = recompute.f(src[o]);
  }
  return out;
}

/** How a binary kernel reads one operand of a [rows, n] walk: as vectors or splat, the step per row, the span to copy. */
interface Operand {
  readonly vector: boolean;
  readonly rowStride: number;
  readonly length: number;
}

/** An operand's read pattern, if it is contiguous or broadcast along the walk (inner stride 1 or 0). */
function operandOf(rows: number, n: number, inner: number, outer: number): Operand | undefined {
  if (inner === 1 && (outer === n || rows === 1)) return { vector: true, rowStride: n, length: rows * n };
  if (inner === 1 && outer === 0) return { vector: true, rowStride: 0, length: n };
  if (inner === 0 && (outer === 1 || rows === 1)) return { vector: false, rowStride: 1, length: rows };
  return undefined;
}

/**
 * op(a, b) elementwise, a and b broadcast to `shape`, into `dtype`; `minSize` (the tests pass 0)
 * overrides the size threshold.
 */
export function binary(op: BinaryOp, a: View, b: View, shape: Shape, dtype: DType, minSize = MIN_SIZE[op]): Storage | undefined {
  if (minSize === undefined || !isFloat(dtype) || a.dtype !== dtype || b.dtype !== dtype) return undefined;
  const total = sizeOf(shape);
  if (total < Math.max(minSize, 1)) return undefined;
  const walk = collapse(shape, [broadcastStrides(a.shape, a.strides, shape), broadcastStrides(b.shape, b.strides, shape)]);
  if (walk.shape.length > 2) return undefined;
  const [rows, n] = walk.shape.length === 1 ? [1, walk.shape[0]] : walk.shape;
  const last = walk.shape.length - 1;
  const outer = (s: number[]) => (last === 0 ? 0 : s[0]);
  const pa = operandOf(rows, n, walk.strides[0][last], outer(walk.strides[0]));
  const pb = operandOf(rows, n, walk.strides[1][last], outer(walk.strides[1]));
  if (pa === undefined || pb === undefined || (!pa.vector && !pb.vector)) return undefined;
  const layout: Layout = pa.vector && pb.vector ? "vv" : pa.vector ? "vs" : "sv";
  const rt = wasmRuntime();
  const kernel = rt?.named[binaryName(op, dtype, layout)];
  if (rt === undefined || kernel === undefined) return undefined;
  const size = bytesOf(dtype);
  const [aBytes, bBytes, outBytes] = [region(pa.length, size), region(pb.length, size), region(total, size)];
  const base = rt.arena.scratchBase;
  if (!rt.reserve(base + aBytes + bBytes + outBytes)) return undefined;
  const heap = heapOf(rt, dtype);
  // An operand resident in the wasm memory (./resident.ts) is read in place, another is staged at `at`.
  const put = (t: View, p: Operand, at: number): number => {
    const resident = rt.arena.addressOf(t.storage);
    if (resident !== undefined) return resident + t.offset * size;
    heap.set((t.storage as FloatArray).subarray(t.offset, t.offset + p.length), at / size);
    heap.fill(0, at / size + p.length, (at + region(p.length, size)) / size);
    rt.arena.copied += p.length * size;
    return at;
  };
  const aAt = put(a, pa, base);
  const bAt = put(b, pb, base + aBytes);
  const outAt = base + aBytes + bBytes;
  kernel(aAt, bAt, outAt, rows, Math.ceil((n * size) / 16), pa.rowStride * size, pb.rowStride * size, n * size);
  return copyOut(heap, outAt / size, total);
}
