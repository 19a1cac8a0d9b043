/**
 * Reductions on the wasm backend, the reference's contract (backends/cpu/kernels/reduce.ts
 * `reduceAxes`) for contiguous float tensors whose reduction is over rows:
 * - sum over all axes or the trailing axes (row sums): float64 accumulators in SIMD lanes. The
 *   order differs from the reference's one running sum, so the two double sums differ by at most
 *   2(n−1)·2⁻⁵³·Σ|x| — for float32 results below one float32 ulp, so they are equal or one ulp apart;
 * - sum over the leading axes ([B, N] → [N], a bias gradient): per column the reference's own
 *   order, in double, so bit-identical;
 * - max, min over all axes or the trailing axes: exact, and bit-identical (see `firstZero`).
 * Anything else (other dtypes, strided views, middle axes) returns undefined: the reference runs it.
 */
import { allocate, type DType, type Storage } from "../dtype.js";
import { contiguousStrides, sizeOf } from "../shape.js";
import { collapse } from "../cpu/kernels/strided.js";
import type { ReduceOp } from "../ops.js";
import type { View } from "../view.js";
import { reduceName } from "./reduceKernels.js";
import { wasmRuntime } from "./runtime.js";

type FloatArray = Float32Array | Float64Array;

/**
 * Below this many elements the reference loop beats the call and the copy. Measured as in
 * ./elementwise.ts, ns per element at 32768, reference → wasm: sum of everything 1.0 → 0.38, row
 * sums [512, 64] → [512] 1.3 → 0.45, column sums [512, 64] → [64] 2.3 → 0.42, row max 2.3 → 0.58.
 * They break even near 512–1024 elements.
 */
const MIN_SIZE = 1024;

/** Bytes plus a vector of padding, rounded up to a cache line (no i32 overflow: huge sizes fail `reserve`). */
const region = (bytes: number) => Math.ceil((bytes + 16) / 64) * 64;

/**
 * A row whose max (min) is zero: the reference keeps the first zero it meets, so its sign is that
 * of the row's first zero, where the SIMD max (min) would give +0 (−0).
 */
function firstZero(x: FloatArray, at: number, n: number): number {
  for (let i = at; i < at + n; i++) if (x[i] === 0) return x[i];
  return 0;
}

/**
 * Folds `x` over `axes` (normalised, sorted) like `reduceAxes`, into a new row-major buffer (in x's
 * dtype only: another `dtype` is left to the reference); `minSize` (the tests pass 0) overrides the threshold.
 */
export function reduce(op: ReduceOp, x: View, axes: readonly number[], _keepDims: boolean, dtype: DType = x.dtype, minSize = MIN_SIZE): Storage | undefined {
  const size = sizeOf(x.shape);
  if ((dtype !== "float32" && dtype !== "float64") || dtype !== x.dtype || op === "prod" || size < Math.max(minSize, 1)) return undefined;
  const reduced = new Set(axes);
  const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const accStrides = contiguousStrides(keptShape).map((s, i) => (reduced.has(i) ? 0 : s));
  const walk = collapse(x.shape, [x.strides, accStrides]);
  const [xs, as] = walk.strides;
  const [rows, n] = walk.shape.length === 1 ? [1, walk.shape[0]] : walk.shape;
  const contiguous = xs[xs.length - 1] === 1 && (walk.shape.length === 1 || xs[0] === n);
  const byRows = as[as.length - 1] === 0 && (walk.shape.length === 1 || as[0] === 1);
  const byColumns = walk.shape.length === 2 && as[0] === 0 && as[1] === 1;
  if (walk.shape.length > 2 || !contiguous || !(byRows || (byColumns && op === "sum"))) return undefined;
  const rt = wasmRuntime();
  const kernel = rt?.named[reduceName(op === "sum" ? (byRows ? "sumRows" : "sumCols") : op === "max" ? "maxRows" : "minRows", dtype)];
  if (rt === undefined || kernel === undefined) return undefined;

  const bytes = dtype === "float32" ? 4 : 8;
  const lanes = 16 / bytes;
  const count = byRows ? rows : n;
  const inBytes = region(size * bytes);
  // The results (doubles), with room for sumCols's last vector past the row end.
  const accBytes = region((count + lanes) * 8);
  const base = rt.arena.scratchBase;
  if (!rt.reserve(base + inBytes + accBytes)) return undefined;
  const heap = dtype === "float32" ? new Float32Array(rt.memory.buffer) : new Float64Array(rt.memory.buffer);
  const src = x.storage as FloatArray;
  // Read in place where x is resident in the wasm memory (./resident.ts), else staged.
  const resident = rt.arena.addressOf(src);
  const inAt = resident === undefined ? base : resident + x.offset * bytes;
  if (resident === undefined) {
    heap.set(src.subarray(x.offset, x.offset + size), base / bytes);
    rt.arena.copied += size * bytes;
  }
  const accAt = base + inBytes;
  const out = allocate(dtype, count);
  if (op === "sum") {
    const acc = new Float64Array(rt.memory.buffer, accAt, accBytes / 8);
    if (byRows) kernel(inAt, accAt, rows, Math.floor(n / lanes), n % lanes);
    else {
      acc.fill(0);
      kernel(inAt, accAt, rows, Math.ceil(n / lanes), n * bytes);
    }
    out.set(acc.subarray(0, count));
  } else {
    kernel(inAt, accAt, rows, Math.floor(n / lanes), n % lanes);
    out.set(heap.subarray(accAt / bytes, accAt / bytes + rows));
    for (let r = 0; r < rows; r++) if (out[r] === 0) out[r] = firstZero(src, x.offset + r * n, n);
  }
  return out;
}
