/**
 * Products whose contracted length is 1 on the wasm backend: [...batchA, m, 1] · [...batchB, 1, n],
 * a batch of outer products (vmap's per-example weight gradients: [B, 784, 1]·[B, 1, 256] for an
 * MLP's first layer). The gemm would pack, run its k-loop for one multiply-add and copy each C out;
 * here every column of A and row of B is staged once and the generated kernel (outerKernel.ts)
 * writes the result row by row, in place when it is resident in the wasm memory (a jitted program's
 * recycled output), else in chunks that are copied out. Same bits as the gemm and the reference.
 */
import { BatchWalk, broadcastStrides } from "../cpu/kernels/strided.js";
import { allocate, type DType, type Storage } from "../dtype.js";
import type { Shape } from "../shape.js";
import type { View } from "../view.js";
import { UNROLL } from "./outerKernel.js";
import { wasmRuntime } from "./runtime.js";
import { split } from "./split.js";

type FloatArray = Float32Array | Float64Array;

/** Elements of C written into the scratch area between copies out, when C is not resident. */
const CHUNK = 1 << 18;

const align = (bytes: number) => (bytes + 63) & ~63;

/**
 * The product of a [..., m, 1] and a [..., 1, n] view over the broadcast `batch`, or undefined where
 * the reference should run it: another dtype, fewer than `minWork` results, no wasm. Products of at
 * least `minSplitWork` results share their rows among the worker threads.
 */
export function outer(a: View, b: View, batch: Shape, dtype: DType, minWork: number, minSplitWork: number): Storage | undefined {
  const [ra, rb] = [a.shape.length, b.shape.length];
  const m = a.shape[ra - 2];
  const n = b.shape[rb - 1];
  let count = 1;
  for (const d of batch) count *= d;
  if ((dtype !== "float32" && dtype !== "float64") || a.dtype !== dtype || b.dtype !== dtype || count * m * n < Math.max(minWork, 1)) return undefined;
  const rt = wasmRuntime();
  if (rt === undefined) return undefined;
  const size = dtype === "float32" ? 4 : 8;
  const rows = count * m;
  const out = allocate(dtype, rows * n, undefined, true) as FloatArray;
  const outAt = rt.arena.addressOf(out);
  const chunk = Math.max(1, Math.floor(CHUNK / Math.max(n, 1)));
  const ap = rt.arena.scratchBase;
  const bp = ap + align(rows * size);
  const cp = bp + align(count * n * size);
  if (!rt.reserve(cp + (outAt === undefined ? align(Math.min(chunk, rows) * n * size) : 0))) return undefined;
  const heap = dtype === "float32" ? new Float32Array(rt.memory.buffer) : new Float64Array(rt.memory.buffer);

  // A's columns and B's rows, one product after another.
  const [srcA, srcB] = [a.storage as FloatArray, b.storage as FloatArray];
  const [rsA, csB] = [a.strides[ra - 2], b.strides[rb - 1]];
  const sa = broadcastStrides(a.shape.slice(0, -2), a.strides.slice(0, -2), batch);
  const sb = broadcastStrides(b.shape.slice(0, -2), b.strides.slice(0, -2), batch);
  const walk = new BatchWalk(batch, sa, sb, a.offset, b.offset);
  for (let q = 0; q < count; q++, walk.next()) {
    stage(heap, ap / size + q * m, srcA, walk.a, rsA, m);
    stage(heap, bp / size + q * n, srcB, walk.b, csB, n);
  }
  if (rt.arena.addressOf(srcA) === undefined) rt.arena.copied += count * m * size;
  if (rt.arena.addressOf(srcB) === undefined) rt.arena.copied += count * n * size;

  const name = dtype === "float32" ? "outerF32" : "outerF64";
  const lanes = 16 / size;
  const [whole, unrolled] = [n - (n % lanes), n - (n % (UNROLL * lanes))];
  // Rows [from, to) of C, written from byte address `to0` on.
  const run = (from: number, to: number, to0: number) =>
    split(rt, name, to - from, (to - from) * n >= minSplitWork, (start, end) => {
      const r = from + start;
      return [ap + r * size, bp + Math.floor(r / m) * n * size, to0 + start * n * size, m, n, r % m, end - start, whole, unrolled];
    });
  if (outAt !== undefined) run(0, rows, outAt);
  else {
    for (let from = 0; from < rows; from += chunk) {
      const to = Math.min(rows, from + chunk);
      run(from, to, cp);
      out.set(heap.subarray(cp / size, cp / size + (to - from) * n), from * n);
    }
  }
  return out;
}

/** Copies `count` values of `src` (from `base`, `stride` apart) to `heap[at...]`. */
function stage(heap: FloatArray, at: number, src: FloatArray, base: number, stride: number, count: number): void {
  if (stride === 1) heap.set(src.subarray(base, base + count), at);
  else for (let i = 0; i < count; i++) heap[at + i] = src[base + i * stride];
}
