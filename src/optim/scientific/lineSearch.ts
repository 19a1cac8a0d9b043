/**
 * A line search for the strong Wolfe conditions (Nocedal & Wright, Numerical Optimization, 2nd ed.,
 * Algorithms 3.5 and 3.6): bracket a step by doubling, then zoom into the bracket by safeguarded cubic
 * interpolation. L-BFGS needs the curvature condition so that sᵀy > 0 keeps its inverse Hessian
 * positive definite; Newton-CG uses it as well.
 */
import { AdError } from "../../errors.js";
import type { Objective } from "./objective.js";
import { dot } from "./stopping.js";

/** Counts evaluations of an objective against a budget. */
export class Evaluator {
  count = 0;

  constructor(
    readonly op: string,
    readonly objective: Objective<unknown>,
    readonly limit: number,
  ) {}

  get exhausted(): boolean {
    return this.count >= this.limit;
  }

  valueAndGradient(x: Float64Array, g: Float64Array): number {
    this.count++;
    return this.objective.valueAndGradient(x, g);
  }

  /** The first evaluation: f(x0) must be finite, or there is nothing to minimise. */
  start(x: Float64Array, g: Float64Array): number {
    const f = this.valueAndGradient(x, g);
    if (!Number.isFinite(f) || !g.every(Number.isFinite)) {
      throw new AdError("NonFinite", `f or its gradient is not finite at x0 (f(x0) = ${f})`, { op: this.op, value: f });
    }
    return f;
  }
}

export type LineSearchResult = { readonly ok: true; readonly alpha: number; readonly f: number } | { readonly ok: false; readonly reason: "maxEvaluations" | "lineSearch" };

/** Sufficient decrease (Armijo) and curvature constants: the usual c₁ = 10⁻⁴, c₂ = 0.9 for quasi-Newton. */
const C1 = 1e-4;
const C2 = 0.9;
const MAX_BRACKET = 50;
const MAX_ZOOM = 40;

/**
 * A step α along d from x (f0 = f(x), slope0 = ∇f(x)·d < 0) meeting the strong Wolfe conditions,
 * starting from `alpha0`. On success `xOut` and `gOut` hold x + α·d and its gradient (the last point
 * evaluated is always the accepted one). No step beyond `alphaMax` is tried; one that reaches it
 * with sufficient decrease while f still falls is taken (L-BFGS-B's step to the nearest bound, as
 * its dcsrch stops at stpmax).
 */
export function strongWolfe(
  ev: Evaluator,
  x: Float64Array,
  f0: number,
  slope0: number,
  d: Float64Array,
  alpha0: number,
  xOut: Float64Array,
  gOut: Float64Array,
  alphaMax = Infinity,
): LineSearchResult {
  const phi = (alpha: number): [number, number] => {
    for (let i = 0; i < x.length; i++) xOut[i] = x[i] + alpha * d[i];
    const f = ev.valueAndGradient(xOut, gOut);
    return [f, dot(gOut, d)];
  };
  const armijo = (alpha: number, f: number) => f <= f0 + C1 * alpha * slope0;
  const curvature = (slope: number) => Math.abs(slope) <= -C2 * slope0;

  const zoom = (lo: number, fLo: number, dLo: number, hi: number, fHi: number, dHi: number): LineSearchResult => {
    for (let j = 0; j < MAX_ZOOM; j++) {
      if (ev.exhausted) return { ok: false, reason: "maxEvaluations" };
      const alpha = interpolate(lo, fLo, dLo, hi, fHi, dHi);
      // The bracket has shrunk to rounding: no step in it can be told apart from `lo`.
      if (alpha === lo || alpha === hi) return { ok: false, reason: "lineSearch" };
      const [f, slope] = phi(alpha);
      if (!armijo(alpha, f) || !(f < fLo)) {
        [hi, fHi, dHi] = [alpha, f, slope];
      } else {
        if (curvature(slope)) return { ok: true, alpha, f };
        if (slope * (hi - lo) >= 0) [hi, fHi, dHi] = [lo, fLo, dLo];
        [lo, fLo, dLo] = [alpha, f, slope];
      }
    }
    return { ok: false, reason: "lineSearch" };
  };

  let [previous, fPrevious, dPrevious] = [0, f0, slope0];
  let alpha = Math.min(alpha0, alphaMax);
  for (let i = 0; i < MAX_BRACKET; i++) {
    if (ev.exhausted) return { ok: false, reason: "maxEvaluations" };
    const [f, slope] = phi(alpha);
    // A non-finite f fails the Armijo test, so the bracket closes on the finite side.
    if (!armijo(alpha, f) || (i > 0 && !(f < fPrevious))) return zoom(previous, fPrevious, dPrevious, alpha, f, slope);
    if (curvature(slope)) return { ok: true, alpha, f };
    if (slope >= 0) return zoom(alpha, f, slope, previous, fPrevious, dPrevious);
    if (alpha >= alphaMax) return { ok: true, alpha, f };
    [previous, fPrevious, dPrevious] = [alpha, f, slope];
    alpha = Math.min(2 * alpha, alphaMax);
  }
  return { ok: false, reason: "lineSearch" };
}

/**
 * The minimiser of the cubic through (a, fa, da) and (b, fb, db) (Nocedal & Wright eq. 3.59), kept
 * at least a tenth of the bracket away from its ends; the midpoint where the cubic is no help.
 */
function interpolate(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - (3 * (fa - fb)) / (a - b);
  const d2 = Math.sign(b - a) * Math.sqrt(d1 * d1 - da * db);
  const t = b - ((b - a) * (db + d2 - d1)) / (db - da + 2 * d2);
  const [low, high] = a < b ? [a, b] : [b, a];
  const margin = 0.1 * (high - low);
  return Number.isFinite(t) && t >= low + margin && t <= high - margin ? t : a + 0.5 * (b - a);
}
