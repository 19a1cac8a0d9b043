/**
 * The symmetric eigendecomposition on the wasm backend for n ≥ 32: Householder tridiagonalisation
 * (LAPACK's sytrd with UPLO = 'L', unblocked), Q formed from the reflectors (orgtr), then implicit
 * QL with Wilkinson shifts on the tridiagonal matrix, its rotations accumulated into Q (EISPACK's
 * tql2, as JAMA writes it). O(n³) in all (about 9n³ flops) where cyclic Jacobi is O(n³) per sweep.
 * Scratch is float64 whatever the storage. The output is the reference's (cpu/kernels/decompositions.ts):
 * packed [..., n + 1, n], eigenvalues ascending, each eigenvector signed so its entry of largest
 * magnitude is positive.
 *
 * Its errors are normwise, ε·‖A‖, as LAPACK's (and PyTorch's) syevd: Jacobi's high relative accuracy
 * of tiny eigenvalues of graded matrices is not kept, so below 32 (cheap for Jacobi) the reference
 * runs (undefined), and the cpu backend is Jacobi at every n.
 */
import { allocate, type Storage } from "../dtype.js";
import type { View } from "../view.js";
import { copy } from "../cpu/kernels/strided.js";

/** Below this order Jacobi (the reference) is fast enough and keeps relative accuracy. */
const SMALLEST = 32;

/** QL iterations allowed per eigenvalue before giving up on convergence (LAPACK allows 30). */
const MAX_ITERATIONS = 60;

/**
 * Reduces the symmetric n×n matrix `m` (row-major, both triangles) to tridiagonal form T = Qᵀ·A·Q,
 * writing T's diagonal to d and its subdiagonal to e (e[i] = T[i + 1, i]). Reflector j, I − τⱼ·vⱼ·vⱼᵀ
 * acting on indices j + 1…, has vⱼ (with vⱼ[j + 1] = 1 implied) left in row j of m after column j + 2
 * and τⱼ in taus[j].
 */
function tridiagonalise(m: Float64Array, n: number, d: Float64Array, e: Float64Array, taus: Float64Array, p: Float64Array): void {
  for (let j = 0; j < n - 2; j++) {
    const row = j * n;
    const alpha = m[row + j + 1];
    let xnorm = 0;
    for (let i = j + 2; i < n; i++) xnorm = Math.hypot(xnorm, m[row + i]);
    d[j] = m[row + j];
    if (xnorm === 0) {
      taus[j] = 0;
      e[j] = alpha;
      continue;
    }
    const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
    const tau = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    m[row + j + 1] = 1;
    for (let i = j + 2; i < n; i++) m[row + i] *= scale;
    taus[j] = tau;
    e[j] = beta;
    // B ← H·B·H on the trailing block B = m[j+1…, j+1…]: p = τ·B·v, w = p − (τ/2)(pᵀv)·v, B −= v·wᵀ + w·vᵀ.
    let pv = 0;
    for (let i = j + 1; i < n; i++) {
      const bi = i * n;
      let s = 0;
      for (let k = j + 1; k < n; k++) s += m[bi + k] * m[row + k];
      p[i] = tau * s;
      pv += p[i] * m[row + i];
    }
    const half = 0.5 * tau * pv;
    for (let i = j + 1; i < n; i++) p[i] -= half * m[row + i];
    for (let i = j + 1; i < n; i++) {
      const bi = i * n;
      const vi = m[row + i];
      const wi = p[i];
      for (let k = j + 1; k < n; k++) m[bi + k] -= vi * p[k] + wi * m[row + k];
    }
  }
  d[n - 2] = m[(n - 2) * n + n - 2];
  d[n - 1] = m[(n - 1) * n + n - 1];
  e[n - 2] = m[(n - 1) * n + n - 2];
  e[n - 1] = 0;
}

/**
 * Qᵀ = H_{n−3}·…·H₀ into y (row-major n×n, so row i of y is column i of Q), applying each reflector to
 * the rows it touches: y ← H_j·y from the first reflector on would fill everything, so Q = H₀·(H₁·(…))
 * is accumulated from the last, into q, and transposed.
 */
function formQ(m: Float64Array, n: number, taus: Float64Array, q: Float64Array, acc: Float64Array, y: Float64Array): void {
  q.fill(0);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let j = n - 3; j >= 0; j--) {
    const tau = taus[j];
    if (tau === 0) continue;
    const row = j * n;
    // Q[j+1…, j+1…] ← (I − τ·v·vᵀ)·Q[j+1…, j+1…]: acc = vᵀ·Q (row sums weighted by v), then a rank-1 update.
    acc.fill(0, j + 1, n);
    for (let i = j + 1; i < n; i++) {
      const vi = m[row + i];
      const qi = i * n;
      for (let k = j + 1; k < n; k++) acc[k] += vi * q[qi + k];
    }
    for (let i = j + 1; i < n; i++) {
      const f = tau * m[row + i];
      const qi = i * n;
      for (let k = j + 1; k < n; k++) q[qi + k] -= f * acc[k];
    }
  }
  for (let i = 0; i < n; i++) for (let k = 0; k < n; k++) y[k * n + i] = q[i * n + k];
}

/**
 * Implicit QL with Wilkinson shifts on the tridiagonal (d, e), rotating the rows of y (the
 * eigenvectors as rows) with it; d ends as the eigenvalues, unsorted. False if an eigenvalue did
 * not converge (a NaN, or a pathological matrix).
 */
function tql2(d: Float64Array, e: Float64Array, y: Float64Array, n: number): boolean {
  const eps = 2 ** -52;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    let m = l;
    while (m < n - 1 && !(Math.abs(e[m]) <= eps * tst1)) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > MAX_ITERATIONS) return false;
        // The Wilkinson shift: the eigenvalue of the leading 2×2 block nearer d[l].
        const g0 = d[l];
        let p = (d[l + 1] - g0) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g0 - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        // The implicit QL sweep from m up to l, chasing the bulge with Givens rotations.
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          const g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
          const a = i * n;
          const b = a + n;
          for (let k = 0; k < n; k++) {
            const yb = y[b + k];
            const ya = y[a + k];
            y[b + k] = s * ya + c * yb;
            y[a + k] = c * ya - s * yb;
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > eps * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
  return true;
}

/** eigh's packed result for n ≥ 32; undefined (the reference runs) below, or where QL did not converge. */
export function eigh(a: View): Storage | undefined {
  const n = a.shape[a.shape.length - 1];
  if (n < SMALLEST) return undefined;
  const count = a.shape.slice(0, -2).reduce((p, k) => p * k, 1);
  const src = copy(a);
  const out = allocate(a.dtype, count * (n + 1) * n);
  const m = new Float64Array(n * n);
  const q = new Float64Array(n * n);
  const y = new Float64Array(n * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const taus = new Float64Array(n);
  const work = new Float64Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let p = 0; p < count; p++) {
    const base = p * n * n;
    // The lower triangle defines the matrix (the upper one is not read).
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = m[j * n + i] = src[base + i * n + j];
    tridiagonalise(m, n, d, e, taus, work);
    formQ(m, n, taus, q, work, y);
    if (!tql2(d, e, y, n)) return undefined;
    for (let i = 0; i < n; i++) order[i] = i;
    order.sort((x, z) => d[x] - d[z]);
    const at = p * (n + 1) * n;
    for (let j = 0; j < n; j++) {
      const row = order[j] * n;
      out[at + j] = d[order[j]];
      let big = 0;
      for (let i = 1; i < n; i++) if (Math.abs(y[row + i]) > Math.abs(y[row + big])) big = i;
      const flip = y[row + big] < 0 ? -1 : 1;
      for (let i = 0; i < n; i++) out[at + (i + 1) * n + j] = flip * y[row + i];
    }
  }
  return out;
}
