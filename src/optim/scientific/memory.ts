/**
 * The L-BFGS memory: the last `history` pairs s = Δx, y = Δ∇f, and the two-loop recursion
 * (Nocedal & Wright, Algorithm 7.4) that applies the inverse-Hessian estimate they define, with
 * H₀ = γI, γ = sᵀy / yᵀy of the newest pair. (The bounded case keeps its pairs in the compact form
 * instead: compactMemory.ts.)
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

  /** d = −H·g. */
  apply(g: Float64Array, d: Float64Array): void {
    const n = g.length;
    for (let i = 0; i < n; i++) d[i] = -g[i];
    const size = this.s.length;
    if (size === 0) return;
    for (let k = size - 1; k >= 0; k--) {
      const a = dot(this.s[k], d) / dot(this.s[k], this.y[k]);
      this.alphas[k] = a;
      const y = this.y[k];
      for (let i = 0; i < n; i++) d[i] -= a * y[i];
    }
    const newest = size - 1;
    const gamma = dot(this.s[newest], this.y[newest]) / dot(this.y[newest], this.y[newest]);
    for (let i = 0; i < n; i++) d[i] *= gamma;
    for (let k = 0; k < size; k++) {
      const b = dot(this.y[k], d) / dot(this.s[k], this.y[k]);
      const s = this.s[k];
      const a = this.alphas[k] - b;
      for (let i = 0; i < n; i++) d[i] += a * s[i];
    }
  }
}
