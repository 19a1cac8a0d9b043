/**
 * What Gauss–Newton and Levenberg–Marquardt share: minimising ½‖r(x)‖², their result, the counting
 * of residual and Jacobian evaluations against one budget, and the dense products JᵀJ and Jᵀr.
 */
import { AdError } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import { residualsOf, type JacobianMode, type ResidualFunction } from "./residuals.js";
import type { MinimizeResult } from "./stopping.js";

export interface LeastSquaresResult<X> extends MinimizeResult<X> {
  /** `fun` is ½‖r‖² (SciPy's `cost`); these are the residuals r at x. */
  readonly residuals: Float64Array;
  /** `evaluations` counts residual-only evaluations (SciPy's `nfev`); this counts Jacobians (`njev`). */
  readonly jacobianEvaluations: number;
  /** How the Jacobian was taken: forward mode for at least as many residuals as variables, else reverse. */
  readonly jacobianMode: JacobianMode;
}

/** A residual function with its evaluations counted and the residual count held to m. */
export class CountedResiduals {
  evaluations = 1;
  jacobians = 0;
  readonly fn: ResidualFunction<Tensor | Float64Array>;
  readonly m: number;
  readonly n: number;

  constructor(
    readonly op: string,
    f: unknown,
    x0: unknown,
    readonly limit: number,
  ) {
    this.fn = residualsOf(op, f, x0);
    this.m = this.fn.r0.length;
    this.n = this.fn.start.length;
  }

  /** Whether the budget cannot pay for a trial point and, should it be accepted, its Jacobian. */
  get exhausted(): boolean {
    return this.evaluations + this.jacobians + 2 > this.limit;
  }

  residuals(x: Float64Array): Float64Array {
    this.evaluations++;
    return this.sized(this.fn.residuals(x));
  }

  jacobian(x: Float64Array): { r: Float64Array; J: Float64Array } {
    this.jacobians++;
    const out = this.fn.jacobian(x);
    this.sized(out.r);
    return out;
  }

  private sized(r: Float64Array): Float64Array {
    if (r.length !== this.m) throw new AdError("ShapeMismatch", `f returned ${r.length} residuals, but ${this.m} at x0`, { op: this.op, residuals: r.length, atStart: this.m });
    return r;
  }

  result(
    x: Float64Array,
    r: Float64Array,
    J: Float64Array,
    iterations: number,
    reason: MinimizeResult<unknown>["reason"],
    converged: boolean,
  ): LeastSquaresResult<Tensor | Float64Array> {
    return {
      x: this.fn.output(x),
      fun: halfSquaredNorm(r),
      grad: this.fn.output(gradientOf(J, r, this.n)),
      iterations,
      evaluations: this.evaluations,
      converged,
      reason,
      residuals: r,
      jacobianEvaluations: this.jacobians,
      jacobianMode: this.fn.mode,
    };
  }
}

export function halfSquaredNorm(r: Float64Array): number {
  let s = 0;
  for (let i = 0; i < r.length; i++) s += r[i] * r[i];
  return 0.5 * s;
}

/** ∇½‖r‖² = Jᵀr. */
export function gradientOf(J: Float64Array, r: Float64Array, n: number): Float64Array {
  const g = new Float64Array(n);
  for (let i = 0; i < r.length; i++) for (let j = 0; j < n; j++) g[j] += J[i * n + j] * r[i];
  return g;
}

/** JᵀJ (n × n, row-major). */
export function normalMatrix(J: Float64Array, m: number, n: number): Float64Array {
  const A = new Float64Array(n * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      const a = J[i * n + j];
      if (a !== 0) for (let k = 0; k < n; k++) A[j * n + k] += a * J[i * n + k];
    }
  }
  return A;
}
