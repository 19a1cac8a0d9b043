/**
 * Reference orthogonal decompositions over batches of matrices: Householder QR and the symmetric
 * eigendecomposition by cyclic Jacobi rotations. Each copies one matrix at a time into a float64
 * scratch buffer (whatever the storage dtype, as LAPACK's d-routines would for float32 input) and
 * writes a fresh buffer of the operand's dtype. Jacobi is chosen over tridiagonal QR for its
 * accuracy (small eigenvalues to high relative accuracy) and its short, branch-free inner loop.
 */
import { allocate, type Storage } from "../../dtype.js";
import type { View } from "../../view.js";
import { copy } from "./strided.js";

const batchOf = (v: View): number => v.shape.slice(0, -2).reduce((p, d) => p * d, 1);

/**
 * Q of A = Q·R by Householder reflections with LAPACK's (geqrf's) signs: each reflector sends its
 * column to β·e₁ with β = −sign(α)·‖x‖, so R's diagonal (and Q) match LAPACK-based libraries'. One
 * departure: LAPACK skips the reflector of a column already zero below the diagonal, which makes Q
 * jump (a sign) when such an entry moves off zero; here it still reflects, so Q is continuous there
 * and its derivative right. Only a last row with nothing below it (and an all-zero column) is left
 * alone, as LAPACK does. Q is [..., m, m] when `complete`, else [..., m, min(m, n)].
 */
export function qr(a: View, complete: boolean): Storage {
  const m = a.shape[a.shape.length - 2];
  const n = a.shape[a.shape.length - 1];
  const k = Math.min(m, n);
  const cols = complete ? m : k;
  const count = batchOf(a);
  const src = copy(a);
  const out = allocate(a.dtype, count * m * cols);
  const r = new Float64Array(m * n);
  // Reflector j is I − τⱼ·vⱼ·vⱼᵀ with vⱼ[j] = 1, zeros above, stored in column j of `vs`.
  const vs = new Float64Array(m * k);
  const taus = new Float64Array(k);
  const q = new Float64Array(m * cols);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < m * n; i++) r[i] = src[p * m * n + i];
    vs.fill(0);
    for (let j = 0; j < k; j++) {
      const alpha = r[j * n + j];
      let xnorm = 0;
      for (let i = j + 1; i < m; i++) xnorm = Math.hypot(xnorm, r[i * n + j]);
      if (j === m - 1 || (xnorm === 0 && alpha === 0)) {
        taus[j] = 0;
        continue;
      }
      const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
      const tau = (beta - alpha) / beta;
      const scale = 1 / (alpha - beta);
      vs[j * k + j] = 1;
      for (let i = j + 1; i < m; i++) vs[i * k + j] = r[i * n + j] * scale;
      taus[j] = tau;
      // R ← H·R on columns j… (column j becomes β·e_j).
      for (let c = j; c < n; c++) {
        let d = 0;
        for (let i = j; i < m; i++) d += vs[i * k + j] * r[i * n + c];
        d *= tau;
        for (let i = j; i < m; i++) r[i * n + c] -= d * vs[i * k + j];
      }
    }
    // Q = H₀·H₁·…·E (E the first `cols` columns of the identity), applied from the last reflector.
    q.fill(0);
    for (let i = 0; i < cols; i++) q[i * cols + i] = 1;
    for (let j = k - 1; j >= 0; j--) {
      const tau = taus[j];
      if (tau === 0) continue;
      for (let c = 0; c < cols; c++) {
        let d = 0;
        for (let i = j; i < m; i++) d += vs[i * k + j] * q[i * cols + c];
        d *= tau;
        for (let i = j; i < m; i++) q[i * cols + c] -= d * vs[i * k + j];
      }
    }
    out.set(q, p * m * cols);
  }
  return out;
}

/** Sweeps after which Jacobi stops whatever the off-diagonal mass (quadratic convergence needs < 10 for n ≤ 1000). */
export const MAX_SWEEPS = 64;

/**
 * The eigendecomposition of each symmetric matrix given by its lower triangle (the upper one is not
 * read, as LAPACK's syevd with UPLO = 'L'),
 * packed as [..., n + 1, n]: row 0 the eigenvalues in ascending order, rows 1… the matrix V whose
 * column j is the unit eigenvector of eigenvalue j. Each eigenvector's sign makes its entry of
 * largest magnitude (the first such) positive, so the result does not depend on rotation order.
 */
export function eigh(a: View): Storage {
  const n = a.shape[a.shape.length - 1];
  const count = batchOf(a);
  const src = copy(a);
  const out = allocate(a.dtype, count * (n + 1) * n);
  const m = new Float64Array(n * n);
  const v = new Float64Array(n * n);
  const order: number[] = [];
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = m[j * n + i] = src[p * n * n + i * n + j];
    v.fill(0);
    for (let i = 0; i < n; i++) v[i * n + i] = 1;
    let total = 0;
    for (let i = 0; i < n * n; i++) total += m[i] * m[i];
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      let off = 0;
      for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) off += m[i * n + j] * m[i * n + j];
      // Off-diagonal mass at rounding level of the whole matrix: the diagonal is the spectrum to working precision.
      if (!(off > total * 1e-34)) break;
      for (let pp = 0; pp < n; pp++) {
        for (let qq = pp + 1; qq < n; qq++) {
          const apq = m[pp * n + qq];
          if (apq === 0) continue;
          // The rotation J = [[c, s], [−s, c]] on (p, q) with Jᵀ·M·J zero at (p, q); t = tan of its angle, the smaller root.
          const theta = (m[qq * n + qq] - m[pp * n + pp]) / (2 * apq);
          const t = (theta >= 0 ? 1 : -1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
          const c = 1 / Math.sqrt(t * t + 1);
          const s = t * c;
          rotate(m, n, n, pp, qq, c, s);
          rotate(m, n, 1, pp * n, qq * n, c, s);
          rotate(v, n, n, pp, qq, c, s);
        }
      }
    }
    order.length = 0;
    for (let i = 0; i < n; i++) order.push(i);
    order.sort((x, y) => m[x * n + x] - m[y * n + y]);
    const base = p * (n + 1) * n;
    for (let j = 0; j < n; j++) {
      const col = order[j];
      out[base + j] = m[col * n + col];
      let big = 0;
      for (let i = 1; i < n; i++) if (Math.abs(v[i * n + col]) > Math.abs(v[big * n + col])) big = i;
      const flip = v[big * n + col] < 0 ? -1 : 1;
      for (let i = 0; i < n; i++) out[base + (i + 1) * n + j] = flip * v[i * n + col];
    }
  }
  return out;
}

/**
 * The thin SVD of each matrix [..., m, n] with m ≥ n by one-sided (Hestenes) Jacobi: rotations of
 * column pairs of A until all are orthogonal, which finds small singular values to high relative
 * accuracy without forming AᵀA (whose eigenvalues lose half the digits). Packed as
 * [..., 1 + m + n, n]: row 0 the singular values in descending order, rows 1…m U, rows m+1… V
 * (A = U·diag(s)·Vᵀ). Columns of U for singular values at rounding level (≤ n·ε·s_max) are completed
 * to an orthonormal set (Gram–Schmidt against the others), so U always has orthonormal columns.
 */
export function svd(a: View): Storage {
  const m = a.shape[a.shape.length - 2];
  const n = a.shape[a.shape.length - 1];
  const count = batchOf(a);
  const src = copy(a);
  const rowsOut = 1 + m + n;
  const out = allocate(a.dtype, count * rowsOut * n);
  const u = new Float64Array(m * n);
  const v = new Float64Array(n * n);
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < m * n; i++) u[i] = src[p * m * n + i];
    v.fill(0);
    for (let i = 0; i < n; i++) v[i * n + i] = 1;
    for (let sweep = 0; sweep < MAX_SWEEPS; sweep++) {
      let rotated = false;
      for (let pp = 0; pp < n; pp++) {
        for (let qq = pp + 1; qq < n; qq++) {
          let alpha = 0;
          let beta = 0;
          let gamma = 0;
          for (let i = 0; i < m; i++) {
            const x = u[i * n + pp];
            const y = u[i * n + qq];
            alpha += x * x;
            beta += y * y;
            gamma += x * y;
          }
          const rotation = columnRotation(alpha, beta, gamma);
          if (rotation === undefined) continue;
          rotated = true;
          const [c, s] = rotation;
          rotate(u, m, n, pp, qq, c, s);
          rotate(v, n, n, pp, qq, c, s);
        }
      }
      if (!rotated) break;
    }
    packSvd(
      out,
      p * rowsOut * n,
      m,
      n,
      (j, i) => u[i * n + j],
      (j, i) => v[i * n + j],
    );
  }
  return out;
}

/**
 * One-sided Jacobi's rotation [c, s] of two columns x, y with α = xᵀx, β = yᵀy, γ = xᵀy, making
 * them orthogonal: (x, y) ↦ (c·x − s·y, s·x + c·y); undefined when they already are to working
 * precision (the convergence test).
 */
export function columnRotation(alpha: number, beta: number, gamma: number): [number, number] | undefined {
  if (!(Math.abs(gamma) > 1e-16 * Math.sqrt(alpha * beta))) return undefined;
  const zeta = (beta - alpha) / (2 * gamma);
  const t = (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
  const c = 1 / Math.sqrt(1 + t * t);
  return [c, c * t];
}

/**
 * Writes one SVD, packed as `svd` packs it, at `base` of `out` from one-sided Jacobi's converged
 * columns: column j of the rotated A (entry i: `column(j, i)`, its norm the singular value) and of
 * the accumulated rotations V (`vColumn(j, i)`). Sorted descending; U's columns are A's over their
 * norms, and those of singular values at rounding level (≤ n·ε·s_max) are completed to an
 * orthonormal set by Gram–Schmidt on unit vectors.
 */
export function packSvd(out: Storage, base: number, m: number, n: number, column: (j: number, i: number) => number, vColumn: (j: number, i: number) => number): void {
  const sigma = new Float64Array(n);
  let largest = 0;
  for (let j = 0; j < n; j++) {
    let norm = 0;
    for (let i = 0; i < m; i++) norm = Math.hypot(norm, column(j, i));
    sigma[j] = norm;
    largest = Math.max(largest, norm);
  }
  const order = Array.from({ length: n }, (_, j) => j);
  order.sort((x, y) => sigma[y] - sigma[x]);
  const tiny = n * 2 ** -52 * largest;
  for (let j = 0; j < n; j++) {
    const col = order[j];
    out[base + j] = sigma[col];
    for (let i = 0; i < n; i++) out[base + (1 + m + i) * n + j] = vColumn(col, i);
    if (sigma[col] > tiny) for (let i = 0; i < m; i++) out[base + (1 + i) * n + j] = column(col, i) / sigma[col];
  }
  // U's columns of (numerically) zero singular values: the first unit vectors that Gram–Schmidt keeps independent of the rest.
  for (let j = 0, trial = 0; j < n; j++) {
    if (sigma[order[j]] > tiny) continue;
    const w = new Float64Array(m);
    for (; trial < m; trial++) {
      w.fill(0);
      w[trial] = 1;
      for (let twice = 0; twice < 2; twice++) {
        for (let c = 0; c < n; c++) {
          if (c === j || (c > j && sigma[order[c]] <= tiny)) continue;
          let d = 0;
          for (let i = 0; i < m; i++) d += w[i] * out[base + (1 + i) * n + c];
          for (let i = 0; i < m; i++) w[i] -= d * out[base + (1 + i) * n + c];
        }
      }
      let norm = 0;
      for (let i = 0; i < m; i++) norm = Math.hypot(norm, w[i]);
      if (norm > 0.5) {
        for (let i = 0; i < m; i++) out[base + (1 + i) * n + j] = w[i] / norm;
        trial++;
        break;
      }
    }
  }
}

/**
 * A plane rotation of two lines of `a` (rows or columns of a row-major matrix): element k of line p
 * is a[p + k·step], and (x, y) ↦ (c·x − s·y, s·x + c·y) for each of `count` pairs.
 */
function rotate(a: Float64Array, count: number, step: number, p: number, q: number, c: number, s: number): void {
  for (let k = 0, i = p, j = q; k < count; k++, i += step, j += step) {
    const x = a[i];
    const y = a[j];
    a[i] = c * x - s * y;
    a[j] = s * x + c * y;
  }
}
