/**
 * Reference dense linear algebra over batches of square matrices: Cholesky, LU with partial pivoting
 * and the triangular solve. Each takes views of shape [...batch, n, n] (and [...batch, n, k] for the
 * right-hand side, with the same batch: the primitive expands it), copies the operand to a fresh
 * row-major buffer and factors or solves each matrix in place there. Sums run in JS numbers (float64)
 * whatever the storage. A kernel does not throw on a singular or indefinite matrix: like LAPACK's
 * `info` it reports the first batch and pivot where it met one (`failure`), and the primitive decides.
 */
import { allocate, type Storage } from "../../dtype.js";
import type { CholeskyResult, LinalgFailure, LuResult, SolveResult, TriangularSolveOptions } from "../../linalg.js";
import type { View } from "../../view.js";
import { copy } from "./strided.js";

const rows = (v: View): number => v.shape[v.shape.length - 2];
const cols = (v: View): number => v.shape[v.shape.length - 1];
const batchOf = (v: View): number => v.shape.slice(0, -2).reduce((p, d) => p * d, 1);

/**
 * The Cholesky factor of each matrix's lower triangle (the upper one is not read), column by column.
 * A matrix whose pivot j is not positive keeps columns 0…j−1 (those of LAPACK's potrf) and NaN in
 * the lower triangle from column j on.
 */
export function cholesky(a: View): CholeskyResult {
  const n = rows(a);
  const count = batchOf(a);
  const src = copy(a);
  const out = allocate(a.dtype, src.length);
  let failure: LinalgFailure | null = null;
  for (let p = 0; p < count; p++) {
    const base = p * n * n;
    for (let j = 0; j < n; j++) {
      let d = src[base + j * n + j];
      for (let q = 0; q < j; q++) d -= out[base + j * n + q] * out[base + j * n + q];
      // NaN is not > 0 either: a NaN input fails here rather than spreading through the factor.
      if (!(d > 0)) {
        failure ??= { batch: p, index: j };
        // Columns j… are not a factor: NaN, so `{ check: false }` hands back nothing that reads as one.
        for (let q = j; q < n; q++) for (let i = q; i < n; i++) out[base + i * n + q] = NaN;
        break;
      }
      const ljj = Math.sqrt(d);
      out[base + j * n + j] = ljj;
      for (let i = j + 1; i < n; i++) {
        let s = src[base + i * n + j];
        for (let q = 0; q < j; q++) s -= out[base + i * n + q] * out[base + j * n + q];
        out[base + i * n + j] = s / ljj;
      }
    }
  }
  return { factor: out, failure };
}

/**
 * Partial pivoting at column j of the n×n matrix at `base`: swaps whole row j with the row at or
 * below it of largest |entry| in column j (the first such on ties), and the same two in `perm`.
 */
export function pivotRows(m: Storage, base: number, n: number, j: number, perm: Int32Array): void {
  let r = j;
  for (let i = j + 1; i < n; i++) if (Math.abs(m[base + i * n + j]) > Math.abs(m[base + r * n + j])) r = i;
  if (r === j) return;
  for (let q = 0; q < n; q++) {
    const t = m[base + j * n + q];
    m[base + j * n + q] = m[base + r * n + q];
    m[base + r * n + q] = t;
  }
  const t = perm[j];
  perm[j] = perm[r];
  perm[r] = t;
}

/**
 * LU of each matrix with partial pivoting (the largest |entry| of the column at or below the
 * diagonal), packed. A zero pivot (after pivoting: a zero
 * column below the diagonal) is reported and skipped, as getrf does, so U is still returned.
 */
export function lu(a: View): LuResult {
  const n = rows(a);
  const count = batchOf(a);
  const m = copy(a);
  const permutation = new Int32Array(count * n);
  let failure: LinalgFailure | null = null;
  for (let p = 0; p < count; p++) {
    const base = p * n * n;
    const perm = permutation.subarray(p * n, (p + 1) * n);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let j = 0; j < n; j++) {
      pivotRows(m, base, n, j, perm);
      const pivot = m[base + j * n + j];
      if (pivot === 0 || Number.isNaN(pivot)) {
        failure ??= { batch: p, index: j };
        continue;
      }
      for (let i = j + 1; i < n; i++) {
        const l = m[base + i * n + j] / pivot;
        m[base + i * n + j] = l;
        if (l !== 0) for (let q = j + 1; q < n; q++) m[base + i * n + q] -= l * m[base + j * n + q];
      }
    }
  }
  return { factor: m, permutation, failure };
}

/**
 * X with op(A)·X = B for each triangular A (op: identity or transpose), by substitution down or up
 * the rows. A zero (or NaN) on a read diagonal is reported (the first one, by row) and divided by
 * all the same, as LAPACK's trsm does: that matrix's solution holds ±∞ or NaN.
 */
export function triangularSolve(a: View, b: View, { lower, transpose, unitDiagonal }: TriangularSolveOptions): SolveResult {
  const n = rows(a);
  const k = cols(b);
  const count = batchOf(a);
  const m = copy(a);
  const x = copy(b);
  let failure: LinalgFailure | null = null;
  // op(A) is lower triangular when A is lower and not transposed, or upper and transposed: then forward substitution.
  const forward = lower !== transpose;
  // op(A)[i][q], read from A's storage without forming the transpose.
  const [si, sq] = transpose ? [1, n] : [n, 1];
  for (let p = 0; p < count; p++) {
    const baseA = p * n * n;
    const baseX = p * n * k;
    if (!unitDiagonal && failure === null) {
      for (let i = 0; i < n && failure === null; i++) if (m[baseA + i * n + i] === 0 || Number.isNaN(m[baseA + i * n + i])) failure = { batch: p, index: i };
    }
    for (let step = 0; step < n; step++) {
      const i = forward ? step : n - 1 - step;
      const qs = forward ? 0 : i + 1;
      const qe = forward ? i : n;
      for (let q = qs; q < qe; q++) {
        const aiq = m[baseA + i * si + q * sq];
        if (aiq !== 0) for (let c = 0; c < k; c++) x[baseX + i * k + c] -= aiq * x[baseX + q * k + c];
      }
      if (unitDiagonal) continue;
      const d = m[baseA + i * n + i];
      for (let c = 0; c < k; c++) x[baseX + i * k + c] /= d;
    }
  }
  return { solution: x, failure };
}
