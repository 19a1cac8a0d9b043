/**
 * Blocked, right-looking Cholesky and LU on the wasm backend: each step factors a panel of NB
 * columns in JS (O(n²·NB) in all) and hands the trailing-matrix update, where the O(n³) work is, to
 * the SIMD matmul (threads for large products). Scratch is float64 whatever the storage, as in the
 * reference kernels (cpu/kernels/linalg.ts), whose contract these keep: the same packed factors, the
 * same pivots up to rounding in the choice between near-equal candidates. A matrix smaller than two
 * panels, or one that meets a failing pivot, is left to the reference (declined: undefined, or its
 * result), so `failure` and what is returned beside it are exactly the reference's.
 */
import { allocate, type Storage } from "../dtype.js";
import type { CholeskyResult, LuResult } from "../linalg.js";
import type { View } from "../view.js";
import { pivotRows } from "../cpu/kernels/linalg.js";
import { copy } from "../cpu/kernels/strided.js";
import { matmul as cpuMatmul } from "../cpu/kernels/matmul.js";
import { matmul as wasmMatmul } from "./matmul.js";

/** Panel width: a panel of NB float64 columns and the block it updates stay in cache. */
const NB = 64;

/** S[r0.., c0..] −= X·Y for X = S[r0.., k0..k0+kb] ([rows, kb]) and Y = S[k0..k0+kb, c0..] ([kb, cols]), read through `ys` (Y's row and column strides). */
function update(s: Float64Array, n: number, x: number, rows: number, kb: number, y: number, ys: readonly [number, number], cols: number, target: number, lowerOnly: boolean): void {
  if (rows === 0 || cols === 0) return;
  const a: View = { storage: s, dtype: "float64", shape: [rows, kb], strides: [n, 1], offset: x };
  const b: View = { storage: s, dtype: "float64", shape: [kb, cols], strides: ys, offset: y };
  const p = (wasmMatmul(a, b, []) ?? cpuMatmul(a, b, [])) as Float64Array;
  for (let i = 0; i < rows; i++) {
    const row = target + i * n;
    const end = lowerOnly ? i + 1 : cols;
    for (let j = 0; j < end; j++) s[row + j] -= p[i * cols + j];
  }
}

/** The Cholesky factor of one n×n matrix at `base` in s, in place (lower triangle); false at a non-positive pivot. */
function choleskyBlocked(s: Float64Array, base: number, n: number): boolean {
  for (let k0 = 0; k0 < n; k0 += NB) {
    const kb = Math.min(NB, n - k0);
    // The diagonal block, its trailing updates already applied: unblocked.
    for (let j = k0; j < k0 + kb; j++) {
      let d = s[base + j * n + j];
      for (let q = k0; q < j; q++) d -= s[base + j * n + q] * s[base + j * n + q];
      if (!(d > 0)) return false;
      const ljj = Math.sqrt(d);
      s[base + j * n + j] = ljj;
      for (let i = j + 1; i < k0 + kb; i++) {
        let t = s[base + i * n + j];
        for (let q = k0; q < j; q++) t -= s[base + i * n + q] * s[base + j * n + q];
        s[base + i * n + j] = t / ljj;
      }
    }
    // The panel below it: L21 = A21·L11⁻ᵀ, row by row.
    for (let i = k0 + kb; i < n; i++) {
      const row = base + i * n;
      for (let j = k0; j < k0 + kb; j++) {
        let t = s[row + j];
        for (let q = k0; q < j; q++) t -= s[row + q] * s[base + j * n + q];
        s[row + j] = t / s[base + j * n + j];
      }
    }
    // A22 −= L21·L21ᵀ, the lower triangle (the upper one is never read).
    const r0 = k0 + kb;
    const panel = base + r0 * n + k0;
    update(s, n, panel, n - r0, kb, panel, [1, n], n - r0, base + r0 * n + r0, true);
  }
  return true;
}

/** Cholesky of each matrix's lower triangle; undefined (the reference runs) below two panels. */
export function cholesky(a: View): CholeskyResult | undefined {
  const n = a.shape[a.shape.length - 1];
  if (n < 2 * NB) return undefined;
  const count = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const s = Float64Array.from(copy(a) as ArrayLike<number>);
  for (let p = 0; p < count; p++) if (!choleskyBlocked(s, p * n * n, n)) return undefined;
  const out = allocate(a.dtype, s.length);
  for (let p = 0; p < count; p++) {
    const base = p * n * n;
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) out[base + i * n + j] = s[base + i * n + j];
  }
  return { factor: out, failure: null };
}

/** LU with partial pivoting of one n×n matrix at `base`, in place, rows swapped in `perm`; false at a zero pivot. */
function luBlocked(s: Float64Array, base: number, n: number, perm: Int32Array): boolean {
  for (let k0 = 0; k0 < n; k0 += NB) {
    const kb = Math.min(NB, n - k0);
    // The panel (columns k0…k0+kb, all rows below k0), unblocked, each swap applied to whole rows.
    for (let j = k0; j < k0 + kb; j++) {
      pivotRows(s, base, n, j, perm);
      const pivot = s[base + j * n + j];
      if (pivot === 0 || Number.isNaN(pivot)) return false;
      for (let i = j + 1; i < n; i++) {
        const l = (s[base + i * n + j] /= pivot);
        if (l !== 0) for (let q = j + 1; q < k0 + kb; q++) s[base + i * n + q] -= l * s[base + j * n + q];
      }
    }
    const c0 = k0 + kb;
    if (c0 === n) break;
    // U12 = L11⁻¹·A12 (L11 unit lower), row by row.
    for (let i = k0 + 1; i < c0; i++) {
      for (let q = k0; q < i; q++) {
        const l = s[base + i * n + q];
        if (l !== 0) for (let c = c0; c < n; c++) s[base + i * n + c] -= l * s[base + q * n + c];
      }
    }
    // A22 −= L21·U12.
    update(s, n, base + c0 * n + k0, n - c0, kb, base + k0 * n + c0, [n, 1], n - c0, base + c0 * n + c0, false);
  }
  return true;
}

/** LU with partial pivoting of each matrix, packed; undefined (the reference runs) below two panels or at a zero pivot. */
export function lu(a: View): LuResult | undefined {
  const n = a.shape[a.shape.length - 1];
  if (n < 2 * NB) return undefined;
  const count = a.shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const s = Float64Array.from(copy(a) as ArrayLike<number>);
  const permutation = new Int32Array(count * n);
  for (let p = 0; p < count; p++) {
    const perm = permutation.subarray(p * n, (p + 1) * n);
    for (let i = 0; i < n; i++) perm[i] = i;
    if (!luBlocked(s, p * n * n, n, perm)) return undefined;
  }
  const factor: Storage = a.dtype === "float64" ? s : allocate(a.dtype, s.length);
  if (factor !== s) factor.set(s);
  return { factor, permutation, failure: null };
}
