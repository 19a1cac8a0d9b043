/**
 * Several independent matrix products at once (a level of a jitted program's reverse sweep: the
 * weight gradients of separate layers or heads, see src/jit/passes/branches.ts), each product whole
 * on one thread: the pool's part is one product's kernel, not a slice of one. Each product is packed
 * into its own region of the scratch memory (./matmul.ts's packing) and its C written to its own
 * region, so no two threads write one element, and each product runs the very kernel call the
 * one-at-a-time path makes (all of C's panels in one call): the results are bit-identical to running
 * the products one after another, whichever thread runs which.
 *
 * Only products the one-at-a-time path would run on one thread are taken (2-D, float, between
 * MIN_WORK and MIN_SPLIT_WORK multiply-adds): a larger product is split by panels already.
 */
import { allocate, type Storage } from "../dtype.js";
import type { View } from "../view.js";
import { align, MIN_SPLIT_WORK, MIN_WORK, packA, packB, packInWasm, spanOf, type Staged } from "./matmul.js";
import { poolFor } from "./pool.js";
import { GEMM_F32, GEMM_F64, wasmRuntime, type KernelFn } from "./runtime.js";

type FloatArray = Float32Array | Float64Array;
type Float = "float32" | "float64";

/** One product's place in the scratch memory (bytes) and its sizes. */
interface Placed {
  readonly index: number;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly np: number;
  readonly gemm: readonly number[];
  readonly cp: number;
}

/**
 * The products `a·b` ([m, k] · [k, n], one dtype each) that can run side by side, each as its own
 * product's result; undefined for a product left to the one-at-a-time kernel (too small or large,
 * batched, an int dtype, or no worker to run it beside another).
 */
export function matmulConcurrent(products: readonly (readonly [View, View])[]): (Storage | undefined)[] {
  const results: (Storage | undefined)[] = products.map(() => undefined);
  for (const dtype of ["float32", "float64"] as const) {
    const chosen = products.flatMap(([a, b], index) => {
      if (a.shape.length !== 2 || b.shape.length !== 2 || a.dtype !== dtype || b.dtype !== dtype) return [];
      const work = a.shape[0] * a.shape[1] * b.shape[1];
      return work >= MIN_WORK && work < MIN_SPLIT_WORK ? [index] : [];
    });
    if (chosen.length >= 2) runSideBySide(products, chosen, dtype, results);
  }
  return results;
}

function runSideBySide(products: readonly (readonly [View, View])[], chosen: readonly number[], dtype: Float, results: (Storage | undefined)[]): void {
  const rt = wasmRuntime();
  const pool = rt?.poolTarget === undefined ? undefined : poolFor(rt.poolTarget);
  if (rt === undefined || pool === undefined) return;
  const { mr, nr } = dtype === "float32" ? GEMM_F32 : GEMM_F64;
  const size = dtype === "float32" ? 4 : 8;
  // Lay every product's panels, C and staging copies end to end.
  let end = rt.arena.scratchBase;
  const layout = chosen.map((index) => {
    const [a, b] = products[index];
    const [m, k, n] = [a.shape[0], a.shape[1], b.shape[1]];
    const [mp, np] = [Math.ceil(m / mr) * mr, Math.ceil(n / nr) * nr];
    const viewA: Staged = { D: m, sD: a.strides[0], sK: a.strides[1], w: mr, span: spanOf(m, a.strides[0], k, a.strides[1]) };
    const viewB: Staged = { D: n, sD: b.strides[1], sK: b.strides[0], w: nr, span: spanOf(n, b.strides[1], k, b.strides[0]) };
    const ap = end;
    const bp = ap + align(mp * k * size);
    const cp = bp + align(np * k * size);
    const stageA = cp + align(mp * np * size);
    const stageB = stageA + align(viewA.span * size);
    end = stageB + align(viewB.span * size);
    const placed: Placed = { index, m, k, n, np, cp, gemm: [k, ap, bp, cp, np * size, 0, mp / mr, 0, np / nr] };
    return { a, b, viewA, viewB, ap, bp, stageA, stageB, placed };
  });
  if (!rt.reserve(end)) return;
  const heap: FloatArray = dtype === "float32" ? new Float32Array(rt.memory.buffer) : new Float64Array(rt.memory.buffer);
  for (const { a, b, viewA, viewB, ap, bp, stageA, stageB, placed } of layout) {
    const [srcA, srcB] = [a.storage as FloatArray, b.storage as FloatArray];
    if (!packInWasm(rt, heap, srcA, a.offset, viewA, placed.k, stageA, ap)) packA(heap, ap / size, srcA, a.offset, a.strides[0], a.strides[1], placed.m, placed.k, mr);
    if (!packInWasm(rt, heap, srcB, b.offset, viewB, placed.k, stageB, bp)) packB(heap, bp / size, srcB, b.offset, b.strides[0], b.strides[1], placed.k, placed.n, nr);
  }
  const name = dtype === "float32" ? "gemmF32" : "gemmF64";
  const gemm = rt.named[name] as KernelFn;
  const fn = rt.poolTarget?.names.indexOf(name) ?? -1;
  // One call: each thread claims whole products until none is left.
  pool.run(
    fn,
    layout.map(({ placed }) => placed.gemm),
    (args) => (gemm(...args), 0),
  );
  for (const { placed } of layout) {
    const { m, n, np, cp, index } = placed;
    const out = allocate(dtype, m * n) as FloatArray;
    const c0 = cp / size;
    if (np === n) out.set(heap.subarray(c0, c0 + m * n));
    else for (let i = 0; i < m; i++) out.set(heap.subarray(c0 + i * np, c0 + i * np + n), i * n);
    results[index] = out;
  }
}
