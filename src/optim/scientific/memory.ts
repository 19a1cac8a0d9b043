/**
 * The L-BFGS memory: the last `history` pairs s = Δx, y = Δ∇f, and the two-loop recursion
 * (Nocedal & Wright, Algorithm 7.4) that applies the inverse-Hessian estimate they define, with
 * H₀ = γI, γ = sᵀy / yᵀy of the newest pair.
 *
 * With a mask of free variables (the bounded case) the recursion runs on the free coordinates only,
 * as Kim, Sra & Dhillon's projected quasi-Newton does: the pairs restricted to them, skipping any
 * whose restricted sᵀy is not positive, so the reduced estimate stays positive definite.
 */
import { dot } from "./stopping.js";

/** A pair is kept only with sᵀy > this·yᵀy: curvature the line search guarantees, up to rounding. */
const CURVATURE = 1e-12;

export class Memory {
  private readonly s: Float64Array[] = [];
  private readonly y: Float64Array[] = [];
  private readonly alphas: Float64Array;

  constructor(private readonly history: number) {
    this.alphas = new Float64Array(history);
  }

  get size(): number {
    return this.s.length;
  }

  clear(): void {
    this.s.length = this.y.length = 0;
  }

  /** Stores the step x → xNew with its gradients, if it shows positive curvature (and drops the oldest past `history`). */
  push(x: Float64Array, xNew: Float64Array, g: Float64Array, gNew: Float64Array): void {
    const s = Float64Array.from(xNew, (v, i) => v - x[i]);
    const y = Float64Array.from(gNew, (v, i) => v - g[i]);
    if (!(dot(s, y) > CURVATURE * dot(y, y))) return;
    if (this.s.length === this.history) {
      this.s.shift();
      this.y.shift();
    }
    this.s.push(s);
    this.y.push(y);
  }

  /** d = −H·g over the free coordinates (all when `free` is undefined); d is 0 elsewhere. */
  apply(g: Float64Array, d: Float64Array, free?: Uint8Array): void {
    const n = g.length;
    const on = (i: number) => free === undefined || free[i] === 1;
    const masked = (a: Float64Array, b: Float64Array) => {
      if (free === undefined) return dot(a, b);
      let sum = 0;
      for (let i = 0; i < n; i++) if (free[i] === 1) sum += a[i] * b[i];
      return sum;
    };
    for (let i = 0; i < n; i++) d[i] = on(i) ? -g[i] : 0;
    const rho = this.s.map((s, k) => masked(s, this.y[k]));
    const used = rho.map((sy, k) => sy > CURVATURE * masked(this.y[k], this.y[k]));
    let newest = -1;
    for (let k = this.s.length - 1; k >= 0; k--) {
      if (!used[k]) continue;
      if (newest < 0) newest = k;
      const a = masked(this.s[k], d) / rho[k];
      this.alphas[k] = a;
      const y = this.y[k];
      for (let i = 0; i < n; i++) if (on(i)) d[i] -= a * y[i];
    }
    if (newest >= 0) {
      const gamma = rho[newest] / masked(this.y[newest], this.y[newest]);
      for (let i = 0; i < n; i++) d[i] *= gamma;
    }
    for (let k = 0; k < this.s.length; k++) {
      if (!used[k]) continue;
      const b = masked(this.y[k], d) / rho[k];
      const s = this.s[k];
      const a = this.alphas[k] - b;
      for (let i = 0; i < n; i++) if (on(i)) d[i] += a * s[i];
    }
  }
}
