/**
 * Eigenvalues of a symmetric tridiagonal matrix by implicit QL or QR with Wilkinson shifts, as
 * LAPACK's dsteqr: the matrix splits where an off-diagonal entry is negligible *relative to its two
 * diagonal neighbours* (|e_m| ≤ ε·√(|d_m|·|d_{m+1}|)), and each unreduced block is chased from its
 * larger end (QL when the block's bottom is larger, QR when its top is), so a graded matrix keeps its
 * small eigenvalues to high relative accuracy. The Givens rotations are recorded (`Rotations`), to
 * be applied to the eigenvectors afterwards in cache-sized column chunks.
 */
import { rotateRows } from "./rotations.js";

/**
 * The rotations of a run, applied to the rows of y (rows × cols, row-major: each row an eigenvector
 * or a singular vector) in order: rotation r mixes rows at[r] and at[r] + 1. They are held until
 * `flush` (or until BATCH are waiting, which bounds the memory: a run makes about n² of them).
 */
export class Rotations {
  private count = 0;
  private at = new Int32Array(1024);
  private c = new Float64Array(1024);
  private s = new Float64Array(1024);

  constructor(
    private readonly y: Float64Array,
    private readonly rows: number,
    private readonly cols: number,
  ) {}

  /** Records y[i] ← c·y[i] + s·y[i + 1], y[i + 1] ← c·y[i + 1] − s·y[i] (LAPACK's dlasr, SIDE = 'R', PIVOT = 'V'). */
  push(i: number, c: number, s: number): void {
    if (this.count === BATCH) this.flush();
    if (this.count === this.at.length) {
      const at = new Int32Array(2 * this.count);
      const cs = new Float64Array(2 * this.count);
      const ss = new Float64Array(2 * this.count);
      at.set(this.at);
      cs.set(this.c);
      ss.set(this.s);
      [this.at, this.c, this.s] = [at, cs, ss];
    }
    this.at[this.count] = i;
    this.c[this.count] = c;
    this.s[this.count] = s;
    this.count++;
  }

  /**
   * Applies the rotations waiting, in order, in wasm SIMD (rotations.ts) or else in JS, CHUNK
   * columns at a time: the rows' chunks of one column range stay in cache through all of them,
   * where applying each sweep at once would stream all of y from memory per sweep.
   */
  flush(): void {
    const { y, rows, cols, at, c, s, count } = this;
    this.count = 0;
    if (rotateRows(y, rows, cols, at, c, s, count, CHUNK)) return;
    for (let k0 = 0; k0 < cols; k0 += CHUNK) {
      const k1 = Math.min(cols, k0 + CHUNK);
      for (let r = 0; r < count; r++) {
        const a = at[r] * cols;
        const b = a + cols;
        const cr = c[r];
        const sr = s[r];
        for (let k = k0; k < k1; k++) {
          const ya = y[a + k];
          const yb = y[b + k];
          y[a + k] = cr * ya + sr * yb;
          y[b + k] = cr * yb - sr * ya;
        }
      }
    }
  }
}

/** Rotations held before they are applied: 2²² of them, 80 MB here and 96 MB of wasm memory. */
const BATCH = 1 << 22;

/** Columns of the eigenvector matrix rotated together: 2·CHUNK·n float64 of it stay in cache. */
const CHUNK = 64;

const EPS = 2 ** -53;
const SAFE_MINIMUM = 2 ** -1022;

/** Sweeps allowed per eigenvalue on average before giving up (dsteqr's 30·n in all). */
const MAX_SWEEPS = 30;

/** [c, s, r] with c·f + s·g = r, −s·f + c·g = 0 (dlartg). */
function givens(f: number, g: number): [number, number, number] {
  if (g === 0) return [1, 0, f];
  if (f === 0) return [0, 1, g];
  const r = Math.hypot(f, g);
  return [f / r, g / r, r];
}

/**
 * The eigensystem of [[a, b], [b, c]] (dlaev2): [rt1, rt2, cs, sn] with rt1 the eigenvalue of larger
 * magnitude and (cs, sn) its unit eigenvector.
 */
function eigen2(a: number, b: number, c: number): [number, number, number, number] {
  const sm = a + c;
  const df = a - c;
  const adf = Math.abs(df);
  const tb = b + b;
  const ab = Math.abs(tb);
  const [acmx, acmn] = Math.abs(a) > Math.abs(c) ? [a, c] : [c, a];
  const rt = adf > ab ? adf * Math.sqrt(1 + (ab / adf) ** 2) : adf < ab ? ab * Math.sqrt(1 + (adf / ab) ** 2) : ab * Math.SQRT2;
  let rt1: number;
  let rt2: number;
  let sgn1: number;
  if (sm < 0) {
    rt1 = 0.5 * (sm - rt);
    sgn1 = -1;
    rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
  } else if (sm > 0) {
    rt1 = 0.5 * (sm + rt);
    sgn1 = 1;
    rt2 = (acmx / rt1) * acmn - (b / rt1) * b;
  } else {
    rt1 = 0.5 * rt;
    rt2 = -0.5 * rt;
    sgn1 = 1;
  }
  const [cs, sgn2] = df >= 0 ? [df + rt, 1] : [df - rt, -1];
  let cs1: number;
  let sn1: number;
  if (Math.abs(cs) > ab) {
    const ct = -tb / cs;
    sn1 = 1 / Math.sqrt(1 + ct * ct);
    cs1 = ct * sn1;
  } else if (ab === 0) {
    cs1 = 1;
    sn1 = 0;
  } else {
    const tn = -cs / tb;
    cs1 = 1 / Math.sqrt(1 + tn * tn);
    sn1 = tn * cs1;
  }
  if (sgn1 === sgn2) [cs1, sn1] = [-sn1, cs1];
  return [rt1, rt2, cs1, sn1];
}

/** Whether e (between diagonal entries a and b) is negligible beside them. */
const negligible = (e: number, a: number, b: number): boolean => e * e <= EPS * EPS * Math.abs(a) * Math.abs(b) + SAFE_MINIMUM;

/**
 * The eigenvalues of the tridiagonal matrix with diagonal d and subdiagonal e (e[i] between d[i] and
 * d[i + 1]; e[n − 1] unused) into d, unsorted; e is destroyed. The rotations go to `rotations`.
 * False for a NaN or ∞ entry, or if 30·n sweeps did not converge.
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array, n: number, rotations: Rotations): boolean {
  // A NaN or ∞ would never split off: the reference (Jacobi) gives its answer at once instead.
  for (let i = 0; i < n; i++) if (!Number.isFinite(d[i]) || !Number.isFinite(e[i])) return false;
  const maxSweeps = MAX_SWEEPS * n;
  let sweeps = 0;
  let l1 = 0;
  while (l1 < n) {
    if (l1 > 0) e[l1 - 1] = 0;
    // The next unreduced block l1…m.
    let m = l1;
    for (; m < n - 1; m++) {
      const t = Math.abs(e[m]);
      if (t === 0) break;
      if (t <= Math.sqrt(Math.abs(d[m])) * Math.sqrt(Math.abs(d[m + 1])) * EPS) {
        e[m] = 0;
        break;
      }
    }
    let l = l1;
    let end = m;
    l1 = m + 1;
    if (end === l) continue;
    // Chase from the larger end: QL when the block's bottom is the larger, QR when its top is.
    if (Math.abs(d[end]) < Math.abs(d[l])) [l, end] = [end, l];
    if (end > l) {
      // QL: deflate eigenvalues at the top, l, one by one.
      while (l <= end) {
        let mm = l;
        for (; mm < end; mm++) if (negligible(e[mm], d[mm], d[mm + 1])) break;
        if (mm < end) e[mm] = 0;
        const p = d[l];
        if (mm === l) {
          l++;
          continue;
        }
        if (mm === l + 1) {
          const [rt1, rt2, c, s] = eigen2(d[l], e[l], d[l + 1]);
          rotations.push(l, c, s);
          d[l] = rt1;
          d[l + 1] = rt2;
          e[l] = 0;
          l += 2;
          continue;
        }
        if (++sweeps > maxSweeps) return false;
        // The Wilkinson shift from the top 2×2 block, then the bulge chased up from mm.
        let g = (d[l + 1] - p) / (2 * e[l]);
        let r = Math.hypot(g, 1);
        g = d[mm] - p + e[l] / (g + (g >= 0 ? r : -r));
        let s = 1;
        let c = 1;
        let shift = 0;
        for (let i = mm - 1; i >= l; i--) {
          const f = s * e[i];
          const b = c * e[i];
          [c, s, r] = givens(g, f);
          if (i !== mm - 1) e[i + 1] = r;
          g = d[i + 1] - shift;
          r = (d[i] - g) * s + 2 * c * b;
          shift = s * r;
          d[i + 1] = g + shift;
          g = c * r - b;
          rotations.push(i, c, -s);
        }
        d[l] -= shift;
        e[l] = g;
      }
    } else {
      // QR: deflate eigenvalues at the bottom, l, one by one.
      while (l >= end) {
        let mm = l;
        for (; mm > end; mm--) if (negligible(e[mm - 1], d[mm], d[mm - 1])) break;
        if (mm > end) e[mm - 1] = 0;
        const p = d[l];
        if (mm === l) {
          l--;
          continue;
        }
        if (mm === l - 1) {
          const [rt1, rt2, c, s] = eigen2(d[l - 1], e[l - 1], d[l]);
          rotations.push(l - 1, c, s);
          d[l - 1] = rt1;
          d[l] = rt2;
          e[l - 1] = 0;
          l -= 2;
          continue;
        }
        if (++sweeps > maxSweeps) return false;
        let g = (d[l - 1] - p) / (2 * e[l - 1]);
        let r = Math.hypot(g, 1);
        g = d[mm] - p + e[l - 1] / (g + (g >= 0 ? r : -r));
        let s = 1;
        let c = 1;
        let shift = 0;
        for (let i = mm; i <= l - 1; i++) {
          const f = s * e[i];
          const b = c * e[i];
          [c, s, r] = givens(g, f);
          if (i !== mm) e[i - 1] = r;
          g = d[i] - shift;
          r = (d[i + 1] - g) * s + 2 * c * b;
          shift = s * r;
          d[i] = g + shift;
          g = c * r - b;
          rotations.push(i, c, s);
        }
        d[l] -= shift;
        e[l - 1] = g;
      }
    }
  }
  return true;
}
