/**
 * The compact limited-memory BFGS matrix of L-BFGS-B (Byrd, Nocedal & Schnabel 1994, Theorem 2.3;
 * Byrd, Lu, Nocedal & Zhu 1995, §3): from the last k pairs s = Δx, y = Δ∇f,
 *
 *   B = θ·I − W·M·Wᵀ,  W = [Y, θ·S] (n × 2k),  M = [[−D, Lᵀ], [L, θ·SᵀS]]⁻¹,
 *
 * D = diag(sᵢᵀyᵢ), L the strictly lower triangle of SᵀY (L_ij = sᵢᵀyⱼ, i > j), θ = yᵀy / sᵀy of the
 * newest pair (1 with none). The generalised Cauchy point and the subspace step need only rows of W
 * and products with the small 2k × 2k matrix M, so nothing n × n is ever formed.
 */
import { solveDense } from "./denseSolve.js";
import { dot } from "./stopping.js";

/** A pair is kept only with sᵀy > this·yᵀy, so B stays positive definite (SciPy's test, up to its scale). */
const CURVATURE = Number.EPSILON;

export class CompactMemory {
  private readonly s: Float64Array[] = [];
  private readonly y: Float64Array[] = [];
  /** M, 2k × 2k row-major. */
  private m = new Float64Array(0);
  theta = 1;

  constructor(private readonly history: number) {}

  /** k, the pairs held. */
  get size(): number {
    return this.s.length;
  }

  clear(): void {
    this.s.length = this.y.length = 0;
    this.m = new Float64Array(0);
    this.theta = 1;
  }

  /** Stores the pair if it shows positive curvature (dropping the oldest past `history`); whether it was kept. */
  push(s: Float64Array, y: Float64Array): boolean {
    const sy = dot(s, y);
    const yy = dot(y, y);
    if (!(sy > CURVATURE * yy)) return false;
    if (this.s.length === this.history) {
      this.s.shift();
      this.y.shift();
    }
    this.s.push(s);
    this.y.push(y);
    this.theta = yy / sy;
    if (!this.rebuild()) this.clear();
    return true;
  }

  /** Row i of W, [y₀ᵢ, …, y_{k−1}ᵢ, θ·s₀ᵢ, …, θ·s_{k−1}ᵢ], into `out` (length 2k). */
  row(i: number, out: Float64Array): Float64Array {
    const k = this.s.length;
    for (let j = 0; j < k; j++) {
      out[j] = this.y[j][i];
      out[k + j] = this.theta * this.s[j][i];
    }
    return out;
  }

  /** out = M·v (length 2k). */
  timesM(v: Float64Array, out: Float64Array): Float64Array {
    const k2 = 2 * this.s.length;
    for (let i = 0; i < k2; i++) {
      let t = 0;
      for (let j = 0; j < k2; j++) t += this.m[i * k2 + j] * v[j];
      out[i] = t;
    }
    return out;
  }

  /** M from the pairs held; false if the middle matrix is singular to rounding. */
  private rebuild(): boolean {
    const k = this.s.length;
    const k2 = 2 * k;
    const a = new Float64Array(k2 * k2);
    for (let i = 0; i < k; i++) {
      for (let j = 0; j < k; j++) {
        const sy = dot(this.s[i], this.y[j]);
        if (i === j) a[i * k2 + j] = -sy;
        // L in the lower-left block, Lᵀ in the upper-right.
        if (i > j) a[(k + i) * k2 + j] = a[j * k2 + k + i] = sy;
        a[(k + i) * k2 + k + j] = this.theta * dot(this.s[i], this.s[j]);
      }
    }
    const inverse = new Float64Array(k2 * k2);
    for (let i = 0; i < k2; i++) inverse[i * k2 + i] = 1;
    if (!solveDense(a, inverse, k2, k2)) return false;
    this.m = inverse;
    return true;
  }
}
