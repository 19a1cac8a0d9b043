/**
 * The symmetric eigendecomposition on the wasm backend for n ≥ 32: Householder tridiagonalisation
 * (LAPACK's sytrd with UPLO = 'L', unblocked, on the lower triangle), Q formed from the reflectors in
 * compact-WY blocks on the SIMD matmul (orgtr), then implicit QL with Wilkinson shifts on the
 * tridiagonal matrix (EISPACK's tql2, as JAMA writes it), its rotations recorded and applied to Q
 * afterwards in cache-sized column chunks. O(n³) in all (about 9n³ flops) where cyclic Jacobi is
 * O(n³) per sweep.
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
import { applyBlock, type BlockReflector } from "./qr.js";

/** Below this order Jacobi (the reference) is fast enough and keeps relative accuracy. */
const SMALLEST = 32;

/** Reflectors per compact-WY block when forming Q (as qr.ts's panels). */
const NB = 64;

/** Columns of the eigenvector matrix rotated together: 2·CHUNK·n float64 of it stay in cache. */
const CHUNK = 64;

/** QL iterations allowed per eigenvalue before giving up on convergence (LAPACK allows 30). */
const MAX_ITERATIONS = 60;

/**
 * Reduces the symmetric n×n matrix given by the lower triangle of `m` (row-major) to tridiagonal
 * form T = Qᵀ·A·Q, writing T's diagonal to d and its subdiagonal to e (e[i] = T[i + 1, i]).
 * Reflector j, I − τⱼ·vⱼ·vⱼᵀ acting on indices j + 1…, is left in column j of m below the diagonal
 * (vⱼ[j + 1] = 1) and τⱼ in taus[j]. Only the lower triangle is read and written, row by row
 * (contiguous), half the memory traffic of the full square.
 */
function tridiagonalise(m: Float64Array, n: number, d: Float64Array, e: Float64Array, taus: Float64Array, v: Float64Array, p: Float64Array): void {
  for (let j = 0; j < n - 2; j++) {
    d[j] = m[j * n + j];
    const alpha = m[(j + 1) * n + j];
    let xnorm = 0;
    for (let i = j + 2; i < n; i++) xnorm = Math.hypot(xnorm, m[i * n + j]);
    if (xnorm === 0) {
      taus[j] = 0;
      e[j] = alpha;
      continue;
    }
    const beta = -(alpha >= 0 ? 1 : -1) * Math.hypot(alpha, xnorm);
    const tau = (beta - alpha) / beta;
    const scale = 1 / (alpha - beta);
    v[j + 1] = m[(j + 1) * n + j] = 1;
    for (let i = j + 2; i < n; i++) v[i] = m[i * n + j] *= scale;
    taus[j] = tau;
    e[j] = beta;
    // B ← H·B·H on the trailing block B = m[j+1…, j+1…]: p = τ·B·v (B's lower triangle: row i gives
    // p_i its entries left of and on the diagonal, and p_k, k < i, its transpose), w = p − (τ/2)(pᵀv)·v,
    // B −= v·wᵀ + w·vᵀ on the lower triangle.
    p.fill(0, j + 1, n);
    for (let i = j + 1; i < n; i++) {
      const bi = i * n;
      const vi = v[i];
      let s = 0;
      for (let k = j + 1; k < i; k++) {
        const b = m[bi + k];
        s += b * v[k];
        p[k] += b * vi;
      }
      p[i] += s + m[bi + i] * vi;
    }
    let pv = 0;
    for (let i = j + 1; i < n; i++) pv += (p[i] *= tau) * v[i];
    const half = 0.5 * tau * pv;
    for (let i = j + 1; i < n; i++) p[i] -= half * v[i];
    for (let i = j + 1; i < n; i++) {
      const bi = i * n;
      const vi = v[i];
      const wi = p[i];
      for (let k = j + 1; k <= i; k++) m[bi + k] -= vi * p[k] + wi * v[k];
    }
  }
  d[n - 2] = m[(n - 2) * n + n - 2];
  d[n - 1] = m[(n - 1) * n + n - 1];
  e[n - 2] = m[(n - 1) * n + n - 2];
  e[n - 1] = 0;
}

/**
 * Q = H₀·H₁·…·H_{n−3} = diag(1, Q′), written transposed into y (row i of y is column i of Q). Q′ acts
 * on indices 1…: its reflectors are gathered NB at a time into compact-WY blocks I − V·T·Vᵀ (dlarft's
 * recurrence for T) and applied from the last block by the SIMD matmul (qr.ts's applyBlock), where the
 * O(n³) work is, as LAPACK's orgtr/orgqr.
 */
function formQ(m: Float64Array, n: number, taus: Float64Array, y: Float64Array): void {
  const size = n - 1;
  const reflectors = n - 2;
  const q = new Float64Array(size * size);
  for (let i = 0; i < size; i++) q[i * size + i] = 1;
  const blocks: BlockReflector[] = [];
  for (let start = 0; start < reflectors; start += NB) {
    const kb = Math.min(NB, reflectors - start);
    const rows = size - start;
    const v = new Float64Array(rows * kb);
    const t = new Float64Array(kb * kb);
    const w = new Float64Array(kb);
    for (let jj = 0; jj < kb; jj++) {
      const j = start + jj;
      const tau = taus[j];
      // τ = 0 (H = I) leaves V's column and T's column zero.
      if (tau === 0) continue;
      // Reflector j's vector, index i of Q′ being index i + 1 of A (column j of m, from row j + 1).
      for (let i = j; i < size; i++) v[(i - start) * kb + jj] = m[(i + 1) * n + j];
      // T[0:jj, jj] = −τ·T[0:jj, 0:jj]·(V[:, 0:jj]ᵀ·v_jj), T[jj, jj] = τ.
      w.fill(0);
      for (let i = jj; i < rows; i++) {
        const vi = v[i * kb + jj];
        if (vi !== 0) for (let c = 0; c < jj; c++) w[c] += v[i * kb + c] * vi;
      }
      for (let c = 0; c < jj; c++) {
        let s = 0;
        for (let l = c; l < jj; l++) s += t[c * kb + l] * w[l];
        t[c * kb + jj] = -tau * s;
      }
      t[jj * kb + jj] = tau;
    }
    blocks.push({ start, kb, v, t });
  }
  // Columns before a block's start are still e_c in the rows it acts on: only columns start… change.
  for (let b = blocks.length - 1; b >= 0; b--) applyBlock(blocks[b], q, size - blocks[b].start, size, blocks[b].start, size - blocks[b].start, false);
  y.fill(0);
  y[0] = 1;
  for (let i = 0; i < size; i++) for (let k = 0; k < size; k++) y[(k + 1) * n + i + 1] = q[i * size + k];
}

/** The Givens rotations of a QL run, in order: rotation r mixes rows at[r] and at[r] + 1 of y by (c[r], s[r]). */
class Rotations {
  count = 0;
  at = new Int32Array(1024);
  c = new Float64Array(1024);
  s = new Float64Array(1024);

  push(at: number, c: number, s: number): void {
    if (this.count === this.at.length) {
      const grow = <T extends Int32Array | Float64Array>(x: T, make: (k: number) => T): T => {
        const bigger = make(2 * x.length);
        bigger.set(x);
        return bigger;
      };
      this.at = grow(this.at, (k) => new Int32Array(k));
      this.c = grow(this.c, (k) => new Float64Array(k));
      this.s = grow(this.s, (k) => new Float64Array(k));
    }
    this.at[this.count] = at;
    this.c[this.count] = c;
    this.s[this.count] = s;
    this.count++;
  }

  /**
   * Applies every rotation, in order, to y's rows, CHUNK columns at a time: the rows' chunks of one
   * column range stay in cache through all the rotations, where applying each QL sweep at once
   * would stream all of y from memory once per sweep.
   */
  apply(y: Float64Array, n: number): void {
    const { at, c, s, count } = this;
    for (let k0 = 0; k0 < n; k0 += CHUNK) {
      const k1 = Math.min(n, k0 + CHUNK);
      for (let r = 0; r < count; r++) {
        const a = at[r] * n;
        const b = a + n;
        const cr = c[r];
        const sr = s[r];
        for (let k = k0; k < k1; k++) {
          const yb = y[b + k];
          const ya = y[a + k];
          y[b + k] = sr * ya + cr * yb;
          y[a + k] = cr * ya - sr * yb;
        }
      }
    }
  }
}

/**
 * Implicit QL with Wilkinson shifts on the tridiagonal (d, e), recording its rotations (to be applied
 * to the eigenvectors afterwards); d ends as the eigenvalues, unsorted. False if an eigenvalue did
 * not converge.
 */
function tql2(d: Float64Array, e: Float64Array, n: number, rotations: Rotations): boolean {
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
          rotations.push(i, c, s);
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
  const y = new Float64Array(n * n);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const taus = new Float64Array(n);
  const v = new Float64Array(n);
  const work = new Float64Array(n);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let p = 0; p < count; p++) {
    const base = p * n * n;
    // The lower triangle defines the matrix (the upper one is not read).
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) m[i * n + j] = src[base + i * n + j];
    tridiagonalise(m, n, d, e, taus, v, work);
    formQ(m, n, taus, y);
    const rotations = new Rotations();
    if (!tql2(d, e, n, rotations)) return undefined;
    rotations.apply(y, n);
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
