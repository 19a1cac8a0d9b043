/**
 * The thin SVD of large matrices on the wasm backend (n ≥ 128, m ≥ n): Golub–Kahan
 * bidiagonalisation A = U₁·B·V₁ᵀ by alternating Householder reflectors (LAPACK's gebrd, unblocked),
 * U₁ and V₁ formed from them (orgbr), then implicit-shift QR on the bidiagonal B (Golub & Van Loan,
 * Algorithm 8.6.2: the Golub–Kahan SVD step with a Wilkinson shift, zero diagonal entries chased
 * out), its rotations applied to U₁ and V₁ afterwards (tridiagonalQl.ts's batches, wasm SIMD).
 * O(m·n²) in all where one-sided Jacobi is O(m·n²) per sweep. Its errors are normwise (ε·‖A‖, as
 * LAPACK's gesvd and so PyTorch's svd): small singular values lose the relative accuracy that
 * Jacobi keeps, which is why below n = 128 svd.ts runs Jacobi.
 */
import { allocate, type Storage } from "../dtype.js";
import type { View } from "../view.js";
import { copy } from "../cpu/kernels/strided.js";
import { Rotations } from "./tridiagonalQl.js";

const EPS = 2 ** -52;

/** A superdiagonal entry this small beside its two diagonal neighbours (relative) is dropped. */
const TOLERANCE = 4 * EPS;

/** QR sweeps allowed per singular value on average before giving up (LAPACK's dbdsqr allows 6). */
const MAX_SWEEPS = 30;

/** The Householder reflector of x = (alpha, rest…): [β, τ, scale] with (I − τ·v·vᵀ)·x = β·e₁, v = (1, rest·scale). */
function householder(alpha: number, restNorm: number): [number, number, number] {
  if (restNorm === 0) return [alpha, 0, 0];
  const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, restNorm);
  return [beta, (beta - alpha) / beta, 1 / (alpha - beta)];
}

/** [c, s, r] with c·f + s·g = r, −s·f + c·g = 0. */
function givens(f: number, g: number): [number, number, number] {
  if (g === 0) return [1, 0, f];
  if (f === 0) return [0, 1, g];
  const r = Math.hypot(f, g);
  return [f / r, g / r, r];
}

/** (x, y) ↦ (c·x + s·y, c·y − s·x) on rows a and b of z (width `cols`), now (the rotations held before it flushed first). */
function rotateNow(z: Float64Array, cols: number, a: number, b: number, c: number, s: number): void {
  for (let k = 0, i = a * cols, j = b * cols; k < cols; k++, i++, j++) {
    const x = z[i];
    const y = z[j];
    z[i] = c * x + s * y;
    z[j] = c * y - s * x;
  }
}

/**
 * Reduces a (m × n row-major, m ≥ n, overwritten) to upper bidiagonal form: diagonal d, superdiagonal
 * e (e[j] = B[j, j + 1]). Left reflector j (rows j…) is left in column j below the diagonal with τ in
 * tauq[j]; right reflector j (columns j + 1…) in row j right of the superdiagonal, τ in taup[j].
 */
function bidiagonalise(a: Float64Array, m: number, n: number, d: Float64Array, e: Float64Array, tauq: Float64Array, taup: Float64Array): void {
  const w = new Float64Array(Math.max(m, n));
  for (let j = 0; j < n; j++) {
    // Left: zero column j below the diagonal.
    let rest = 0;
    for (let i = j + 1; i < m; i++) rest = Math.hypot(rest, a[i * n + j]);
    const [beta, tau, scale] = householder(a[j * n + j], rest);
    d[j] = beta;
    tauq[j] = tau;
    if (tau !== 0) {
      a[j * n + j] = 1;
      for (let i = j + 1; i < m; i++) a[i * n + j] *= scale;
      // Columns j + 1… of rows j…: w = vᵀ·A, A −= τ·v·w.
      w.fill(0, j + 1, n);
      for (let i = j; i < m; i++) {
        const vi = a[i * n + j];
        for (let c = j + 1; c < n; c++) w[c] += vi * a[i * n + c];
      }
      for (let i = j; i < m; i++) {
        const f = tau * a[i * n + j];
        for (let c = j + 1; c < n; c++) a[i * n + c] -= f * w[c];
      }
    }
    if (j >= n - 1) continue;
    // Right: zero row j right of the superdiagonal.
    rest = 0;
    for (let c = j + 2; c < n; c++) rest = Math.hypot(rest, a[j * n + c]);
    const [betaR, tauR, scaleR] = householder(a[j * n + j + 1], rest);
    e[j] = betaR;
    taup[j] = tauR;
    if (tauR === 0) continue;
    a[j * n + j + 1] = 1;
    for (let c = j + 2; c < n; c++) a[j * n + c] *= scaleR;
    // Rows j + 1… of columns j + 1…: each row x −= τ·(x·u)·u.
    for (let i = j + 1; i < m; i++) {
      let t = 0;
      for (let c = j + 1; c < n; c++) t += a[i * n + c] * a[j * n + c];
      t *= tauR;
      for (let c = j + 1; c < n; c++) a[i * n + c] -= t * a[j * n + c];
    }
  }
}

/** U₁ᵀ (n × m: row j is U₁'s column j), U₁ = H₀·…·H_{n−1}·E, accumulated from the last reflector. */
function formU(a: Float64Array, m: number, n: number, tauq: Float64Array): Float64Array {
  const u = new Float64Array(m * n);
  for (let i = 0; i < n; i++) u[i * n + i] = 1;
  const w = new Float64Array(n);
  for (let j = n - 1; j >= 0; j--) {
    const tau = tauq[j];
    if (tau === 0) continue;
    // Columns j… of rows j…: w = vᵀ·U, U −= τ·v·w, with v's first entry 1.
    w.fill(0, j, n);
    for (let i = j; i < m; i++) {
      const vi = i === j ? 1 : a[i * n + j];
      for (let c = j; c < n; c++) w[c] += vi * u[i * n + c];
    }
    for (let i = j; i < m; i++) {
      const f = tau * (i === j ? 1 : a[i * n + j]);
      for (let c = j; c < n; c++) u[i * n + c] -= f * w[c];
    }
  }
  const ut = new Float64Array(n * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) ut[j * m + i] = u[i * n + j];
  return ut;
}

/** V₁ᵀ (n × n: row j is V₁'s column j), V₁ = G₀·…·G_{n−3}, G_j acting on indices j + 1…. */
function formV(a: Float64Array, n: number, taup: Float64Array): Float64Array {
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  const w = new Float64Array(n);
  for (let j = n - 2; j >= 0; j--) {
    const tau = taup[j];
    if (tau === 0) continue;
    const u = (i: number) => (i === j + 1 ? 1 : a[j * n + i]);
    w.fill(0, j + 1, n);
    for (let i = j + 1; i < n; i++) {
      const ui = u(i);
      for (let c = j + 1; c < n; c++) w[c] += ui * v[i * n + c];
    }
    for (let i = j + 1; i < n; i++) {
      const f = tau * u(i);
      for (let c = j + 1; c < n; c++) v[i * n + c] -= f * w[c];
    }
  }
  const vt = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) vt[j * n + i] = v[i * n + j];
  return vt;
}

/**
 * The SVD of the upper bidiagonal (d, e) in place: d ends as the singular values (signed, unsorted),
 * the left rotations applied to the rows of ut, the right ones to the rows of vt. False if it did
 * not converge (a NaN, or too many sweeps).
 */
function bidiagonalQr(d: Float64Array, e: Float64Array, n: number, ut: Float64Array, m: number, vt: Float64Array): boolean {
  for (let i = 0; i < n; i++) if (!Number.isFinite(d[i]) || (i < n - 1 && !Number.isFinite(e[i]))) return false;
  const left = new Rotations(ut, n, m);
  const right = new Rotations(vt, n, n);
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]) + (i < n - 1 ? Math.abs(e[i]) : 0));
  const small = EPS * norm;
  let sweeps = 0;
  let hi = n - 1;
  while (hi > 0) {
    for (let i = 0; i < hi; i++) if (Math.abs(e[i]) <= TOLERANCE * (Math.abs(d[i]) + Math.abs(d[i + 1]))) e[i] = 0;
    // B's trailing diagonal part is converged: shrink to the last nonzero superdiagonal.
    while (hi > 0 && e[hi - 1] === 0) hi--;
    if (hi === 0) break;
    let lo = hi - 1;
    while (lo > 0 && e[lo - 1] !== 0) lo--;
    if (++sweeps > MAX_SWEEPS * n) return false;
    for (let i = lo; i <= hi; i++) if (Math.abs(d[i]) <= small) d[i] = 0;
    let zero = -1;
    for (let i = lo; i < hi; i++) {
      if (d[i] === 0) {
        zero = i;
        break;
      }
    }
    if (zero >= 0) {
      // Row `zero` of B is (0, e): left rotations with the rows below move e out to the right and off.
      left.flush();
      let f = e[zero];
      e[zero] = 0;
      for (let j = zero + 1; j <= hi && f !== 0; j++) {
        const [c, s, r] = givens(d[j], f);
        d[j] = r;
        if (j < hi) {
          f = -s * e[j];
          e[j] = c * e[j];
        }
        rotateNow(ut, m, j, zero, c, s);
      }
      continue;
    }
    if (d[hi] === 0) {
      // Column hi of B is (…, e, 0): right rotations with the columns to its left move e up and off.
      right.flush();
      let f = e[hi - 1];
      e[hi - 1] = 0;
      for (let j = hi - 1; j >= lo && f !== 0; j--) {
        const [c, s, r] = givens(d[j], f);
        d[j] = r;
        if (j > lo) {
          f = -s * e[j - 1];
          e[j - 1] = c * e[j - 1];
        }
        rotateNow(vt, n, j, hi, c, s);
      }
      continue;
    }
    // The Golub–Kahan step: the shift μ is the eigenvalue of BᵀB's trailing 2×2 nearer its last entry.
    const t11 = d[hi - 1] * d[hi - 1] + (hi - 1 > lo ? e[hi - 2] * e[hi - 2] : 0);
    const t12 = d[hi - 1] * e[hi - 1];
    const t22 = d[hi] * d[hi] + e[hi - 1] * e[hi - 1];
    const delta = (t11 - t22) / 2;
    const mu = t22 - (t12 * t12) / (delta + (delta >= 0 ? 1 : -1) * Math.hypot(delta, t12));
    let y = d[lo] * d[lo] - mu;
    let z = d[lo] * e[lo];
    for (let k = lo; k < hi; k++) {
      // Right rotation of columns k, k + 1: zeroes z against y (the shift at k = lo, the bulge after).
      let [c, s, r] = givens(y, z);
      if (k > lo) e[k - 1] = r;
      y = c * d[k] + s * e[k];
      e[k] = c * e[k] - s * d[k];
      z = s * d[k + 1];
      d[k + 1] *= c;
      right.push(k, c, s);
      // Left rotation of rows k, k + 1: zeroes the bulge at (k + 1, k).
      [c, s, r] = givens(y, z);
      d[k] = r;
      y = c * e[k] + s * d[k + 1];
      d[k + 1] = c * d[k + 1] - s * e[k];
      if (k < hi - 1) {
        z = s * e[k + 1];
        e[k + 1] *= c;
      }
      left.push(k, c, s);
    }
    e[hi - 1] = y;
  }
  left.flush();
  right.flush();
  return true;
}

/** svd's packed result for m ≥ n (svd.ts calls it for n ≥ 128), by bidiagonalisation; undefined where QR did not converge (the caller falls back). */
export function bidiagonalSvd(a: View): Storage | undefined {
  const m = a.shape[a.shape.length - 2];
  const n = a.shape[a.shape.length - 1];
  const count = a.shape.slice(0, -2).reduce((p, k) => p * k, 1);
  const src = copy(a);
  const rowsOut = 1 + m + n;
  const out = allocate(a.dtype, count * rowsOut * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const tauq = new Float64Array(n);
  const taup = new Float64Array(n);
  for (let p = 0; p < count; p++) {
    const work = Float64Array.from(src.subarray(p * m * n, (p + 1) * m * n) as ArrayLike<number>);
    bidiagonalise(work, m, n, d, e, tauq, taup);
    const ut = formU(work, m, n, tauq);
    const vt = formV(work, n, taup);
    if (!bidiagonalQr(d, e, n, ut, m, vt)) return undefined;
    const order = Array.from({ length: n }, (_, j) => j);
    order.sort((x, y) => Math.abs(d[y]) - Math.abs(d[x]));
    const base = p * rowsOut * n;
    for (let j = 0; j < n; j++) {
      const col = order[j];
      // A negative d_j: its right singular vector takes the sign.
      const sign = d[col] < 0 ? -1 : 1;
      out[base + j] = Math.abs(d[col]);
      for (let i = 0; i < m; i++) out[base + (1 + i) * n + j] = ut[col * m + i];
      for (let i = 0; i < n; i++) out[base + (1 + m + i) * n + j] = sign * vt[col * n + i];
    }
  }
  return out;
}
