/**
 * Batched matrix product on the wasm backend, the same contract as the reference kernel
 * (backends/cpu/kernels/matmul.ts): [...batchA, m, k] · [...batchB, k, n] → a row-major [...batch, m, n].
 * Operands are read through their strides while they are packed into the kernel's panels, so a
 * transposed or broadcast operand (the VJP's bᵀ, aᵀ) costs no extra copy. Tiny products, ints and
 * another result dtype are declined (undefined): the reference loop runs them, where packing would
 * cost more than it saves.
 */
import { BatchWalk, broadcastStrides } from "../cpu/kernels/strided.js";
import { allocate, type DType, type Storage } from "../dtype.js";
import type { Shape } from "../shape.js";
import type { View } from "../view.js";
import { outer } from "./outer.js";
import { GEMM_F32, GEMM_F64, wasmRuntime, type WasmRuntime } from "./runtime.js";
import { poolFor } from "./pool.js";
import { split } from "./split.js";

/** Below this many multiply-adds per matrix the reference loop wins. */
export const MIN_WORK = 4096;

/** Below this many multiply-adds a product runs on the calling thread: waking workers costs more. */
export const MIN_SPLIT_WORK = 1 << 20;

/**
 * From this many row panels a product is split by rows even where it has more column panels: C's
 * rows are then copied out part by part while the workers run (split by columns, the whole copy
 * waits for the last part), and 16 panels make 4 parts per thread for 4 threads.
 */
const MIN_ROW_PANELS = 16;

/** Below this many elements an operand is packed on the calling thread. */
const MIN_SPLIT_PACK = 1 << 16;

type FloatArray = Float32Array | Float64Array;

/**
 * Packs rows [0, m) × k of a strided matrix into panels of `mr` rows (zero-padded), k × mr each. The
 * writes are sequential; the reads walk `mr` rows side by side.
 */
export function packA(dst: FloatArray, at: number, src: FloatArray, base: number, rs: number, cs: number, m: number, k: number, mr: number): void {
  const panels = Math.ceil(m / mr);
  for (let ip = 0; ip < panels; ip++) {
    const d0 = at + ip * k * mr;
    const i0 = ip * mr;
    const rows = Math.min(mr, m - i0);
    if (rows === 4 && mr === 4) {
      const s0 = base + i0 * rs;
      const [s1, s2, s3] = [s0 + rs, s0 + 2 * rs, s0 + 3 * rs];
      for (let p = 0, d = d0, o = 0; p < k; p++, d += 4, o += cs) {
        dst[d] = src[s0 + o];
        dst[d + 1] = src[s1 + o];
        dst[d + 2] = src[s2 + o];
        dst[d + 3] = src[s3 + o];
      }
      continue;
    }
    for (let r = 0; r < mr; r++) {
      const s0 = base + (i0 + r) * rs;
      if (r >= rows) for (let p = 0; p < k; p++) dst[d0 + p * mr + r] = 0;
      else for (let p = 0; p < k; p++) dst[d0 + p * mr + r] = src[s0 + p * cs];
    }
  }
}

/**
 * Packs columns [0, n) × k of a strided matrix into panels of `nr` columns (zero-padded), k × nr each.
 * Row by row: each source row is read once, front to back, and scattered to every panel (reading
 * panel by panel instead walks all k rows once per panel, which misses the cache for a large B).
 */
export function packB(dst: FloatArray, at: number, src: FloatArray, base: number, rs: number, cs: number, k: number, n: number, nr: number): void {
  const panels = Math.ceil(n / nr);
  const stride = k * nr;
  for (let p = 0; p < k; p++) {
    const row = base + p * rs;
    for (let jp = 0, d = at + p * nr; jp < panels; jp++, d += stride) {
      const j0 = jp * nr;
      const width = Math.min(nr, n - j0);
      const s = row + j0 * cs;
      if (cs === 1) for (let c = 0; c < width; c++) dst[d + c] = src[s + c];
      else for (let c = 0; c < width; c++) dst[d + c] = src[s + c * cs];
      for (let c = width; c < nr; c++) dst[d + c] = 0;
    }
  }
}

export const align = (bytes: number) => (bytes + 63) & ~63;

/** An operand matrix as [D, k] with element strides (sD, sK), packed in panels of w along D. */
export interface Staged {
  readonly D: number;
  readonly sD: number;
  readonly sK: number;
  readonly w: number;
  /** Elements from the first to the last one it reads; 0 when it cannot be staged as one block. */
  readonly span: number;
}

/**
 * The storage span of a [D, k] matrix with strides (sD, sK) — when it is dense enough to copy as one
 * block (at most twice its element count; no negative strides), else 0 (packed from JS instead).
 */
export function spanOf(D: number, sD: number, k: number, sK: number): number {
  if (sD < 0 || sK < 0) return 0;
  const span = (D - 1) * sD + (k - 1) * sK + 1;
  return span <= 2 * D * k ? span : 0;
}

/**
 * Packs an operand with the generated kernel: read in place where it is resident in the wasm memory
 * (./resident.ts), else one block copy of its span into the staging area (`stage`, bytes); then the
 * panel rearrangement in wasm. False when the operand can be neither.
 */
export function packInWasm(rt: WasmRuntime, heap: FloatArray, src: FloatArray, base: number, v: Staged, k: number, stage: number, dst: number): boolean {
  if (v.span === 0) return false;
  const size = heap.BYTES_PER_ELEMENT;
  const resident = rt.arena.addressOf(src);
  let from = stage;
  if (resident !== undefined && v.sD >= 0 && v.sK >= 0) from = resident + base * size;
  else if (v.span === 0) return false;
  else {
    heap.set(src.subarray(base, base + v.span), stage / size);
    rt.arena.copied += v.span * size;
  }
  const name = size === 8 ? "packF64x4" : v.w === 4 ? "packF32x4" : "packF32x8";
  const full = Math.floor(v.D / v.w);
  split(rt, name, Math.ceil(v.D / v.w), v.D * k >= MIN_SPLIT_PACK, (start, end) => [from, v.sD, v.sK, v.D, k, dst, start, end, full]);
  return true;
}

/**
 * What a fused epilogue (./epilogue.ts) asks of one product: `bytes` of scratch past the product's
 * own, filled by `stage` (its other inputs) once the memory is reserved; then `rows` rewrites rows
 * [from, to) of the padded C (byte address `cp`, row pitch `ldc` bytes) in place, on the calling
 * thread, just before they are copied out into `out` (instead of a fresh result).
 */
export interface Epilogue {
  readonly bytes: number;
  stage(rt: WasmRuntime, at: number): void;
  rows(at: number, cp: number, ldc: number, from: number, to: number): void;
  readonly out: Storage;
}

/**
 * `minWork`: products smaller than this (m·n·k) are declined; `minSplitWork`: smaller ones run on
 * the calling thread. The tests pass small values to reach the kernel and the workers. `epilogue`
 * (an unbatched product only) rewrites C's rows while they are still in cache.
 */
export function matmul(a: View, b: View, batch: Shape, dtype: DType = a.dtype, minWork = MIN_WORK, minSplitWork = MIN_SPLIT_WORK, epilogue?: Epilogue): Storage | undefined {
  const [ra, rb] = [a.shape.length, b.shape.length];
  const m = a.shape[ra - 2];
  const k = a.shape[ra - 1];
  const n = b.shape[rb - 1];
  // A contracted length of 1 is a batch of outer products, written row by row (./outer.ts).
  if (k === 1 && epilogue === undefined) return outer(a, b, batch, dtype, minWork, minSplitWork);
  if ((dtype !== "float32" && dtype !== "float64") || a.dtype !== dtype || b.dtype !== dtype || m * n * k < Math.max(minWork, 1)) return undefined;
  const { mr, nr } = dtype === "float32" ? GEMM_F32 : GEMM_F64;
  const size = dtype === "float32" ? 4 : 8;
  const mp = Math.ceil(m / mr) * mr;
  const np = Math.ceil(n / nr) * nr;
  const aBytes = align(mp * k * size);
  const bBytes = align(np * k * size);
  const cBytes = align(mp * np * size);
  const [rsA, csA] = [a.strides[ra - 2], a.strides[ra - 1]];
  const [rsB, csB] = [b.strides[rb - 2], b.strides[rb - 1]];
  // Each operand as [D, k] with strides (sD, sK): A over its rows, B over its columns.
  const viewA: Staged = { D: m, sD: rsA, sK: csA, w: mr, span: spanOf(m, rsA, k, csA) };
  const viewB: Staged = { D: n, sD: csB, sK: rsB, w: nr, span: spanOf(n, csB, k, rsB) };
  const stageBytes = align(viewA.span * size) + align(viewB.span * size);
  const rt = wasmRuntime();
  if (rt === undefined) return undefined;
  const base = rt.arena.scratchBase;
  const scratch = base + aBytes + bBytes + cBytes + stageBytes;
  if (!rt.reserve(scratch + (epilogue?.bytes ?? 0))) return undefined;
  // A product that will split wakes the workers first: they come up while this thread packs.
  if (m * n * k >= minSplitWork && rt.poolTarget !== undefined) poolFor(rt.poolTarget)?.wake();
  epilogue?.stage(rt, scratch);
  const heap = dtype === "float32" ? new Float32Array(rt.memory.buffer) : new Float64Array(rt.memory.buffer);
  const gemmName = dtype === "float32" ? "gemmF32" : "gemmF64";

  let count = 1;
  for (const d of batch) count *= d;
  // Every element of the result is written (by the gemm or the copy out).
  const out = (epilogue?.out ?? allocate(dtype, count * m * n, undefined, true)) as FloatArray;
  // A resident result that needs no padding is C itself: the gemm writes it in place, nothing is copied out.
  const outAt = count === 1 && mp === m && np === n ? rt.arena.addressOf(out) : undefined;
  const [ap, bp] = [base, base + aBytes];
  const cp = outAt ?? base + aBytes + bBytes;
  const stageA = base + aBytes + bBytes + cBytes;
  const stageB = stageA + align(viewA.span * size);
  // Each operand's element strides along the broadcast batch axes (0 where it is broadcast).
  const sa = broadcastStrides(a.shape.slice(0, -2), a.strides.slice(0, -2), batch);
  const sb = broadcastStrides(b.shape.slice(0, -2), b.strides.slice(0, -2), batch);
  const srcA = a.storage as FloatArray;
  const srcB = b.storage as FloatArray;
  const walk = new BatchWalk(batch, sa, sb, a.offset, b.offset);
  let lastA = -1;
  let lastB = -1;
  for (let q = 0; q < count; q++, walk.next()) {
    const baseA = walk.a;
    const baseB = walk.b;
    // A broadcast operand is packed once for all the matrices that share it.
    if (baseA !== lastA && !packInWasm(rt, heap, srcA, baseA, viewA, k, stageA, ap)) {
      packA(heap, ap / size, srcA, baseA, rsA, csA, m, k, mr);
      rt.arena.copied += m * k * size;
    }
    if (baseB !== lastB && !packInWasm(rt, heap, srcB, baseB, viewB, k, stageB, bp)) {
      packB(heap, bp / size, srcB, baseB, rsB, csB, k, n, nr);
      rt.arena.copied += n * k * size;
    }
    lastA = baseA;
    lastB = baseB;
    // C's panels split by rows (each part's rows are copied out while the workers run on), or by
    // columns when there are more of those and too few row panels to cut into parts.
    const [rowPanels, colPanels] = [mp / mr, np / nr];
    const head = [k, ap, bp, cp, np * size];
    // The padded C back into the result's rows [from, to).
    const c0 = cp / size;
    const o0 = q * m * n;
    const copyRows = (from: number, to: number) => {
      epilogue?.rows(scratch, cp, np * size, from, to);
      if (outAt !== undefined) return;
      if (np === n) out.set(heap.subarray(c0 + from * n, c0 + to * n), o0 + from * n);
      else for (let i = from; i < to; i++) out.set(heap.subarray(c0 + i * np, c0 + i * np + n), o0 + i * n);
    };
    if (rowPanels >= Math.min(colPanels, MIN_ROW_PANELS)) {
      // Split by rows, this thread copies its own rows out while the workers finish theirs.
      split(
        rt,
        gemmName,
        rowPanels,
        m * n * k >= minSplitWork,
        (i0, i1) => [...head, i0, i1, 0, colPanels],
        (i0, i1) => copyRows(i0 * mr, Math.min(m, i1 * mr)),
      );
    } else {
      split(rt, gemmName, colPanels, m * n * k >= minSplitWork, (j0, j1) => [...head, 0, rowPanels, j0, j1]);
      copyRows(0, m);
    }
  }
  return out;
}
