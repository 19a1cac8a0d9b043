/**
 * Levenberg–Marquardt on ½‖r(x)‖² with Nielsen's damping update (Madsen, Nielsen & Tingleff,
 * "Methods for non-linear least squares problems", 2004, Algorithm 3.16): the step solves
 * (JᵀJ + μI)·h = −Jᵀr; the gain ratio ρ = actual / predicted decrease, the prediction being
 * ½·hᵀ(μh − Jᵀr), decides. A gain accepts the step and scales μ by max(⅓, 1 − (2ρ − 1)³), so μ falls
 * smoothly where the model is good; a loss rejects it and multiplies μ by ν, doubling ν each time
 * in a row. μ starts at τ·max diag(JᵀJ).
 */
import { isAdError } from "../../errors.js";
import { solve } from "../../linalg/solve.js";
import { tensor } from "../../tensor/creation.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { VectorFn } from "../../scalar/scalar.js";
import { CountedResiduals, gradientOf, halfSquaredNorm, normalMatrix, type LeastSquaresResult } from "./leastSquares.js";
import { CONVERGED, dot, expectTolerance, functionStalled, maxAbs, STOPPING_KEYS, stepStalled, stoppingOptions, type StopReason, type StoppingOptions } from "./stopping.js";

export interface LevenbergMarquardtOptions extends StoppingOptions {
  /** τ: the first damping is τ·max diag(JᵀJ) (default 1e-3; larger when x0 is far from the minimum). */
  readonly initialDamping?: number;
}

/**
 * Minimises ½‖f(x)‖² from x0 by Levenberg–Marquardt; the same input convention as `gaussNewton`.
 * `iterations` counts every damped solve, accepted or rejected.
 */
export function levenbergMarquardt(f: (x: Tensor) => Tensor, x0: Tensor, options?: LevenbergMarquardtOptions): LeastSquaresResult<Tensor>;
export function levenbergMarquardt(f: VectorFn, x0: ArrayLike<number>, options?: LevenbergMarquardtOptions): LeastSquaresResult<Float64Array>;
export function levenbergMarquardt(f: unknown, x0: unknown, options?: LevenbergMarquardtOptions): LeastSquaresResult<Tensor | Float64Array> {
  const op = "levenbergMarquardt";
  const [o, stop] = stoppingOptions<LevenbergMarquardtOptions>(op, options, [...STOPPING_KEYS, "initialDamping"]);
  const tau = expectTolerance(op, "initialDamping", o.initialDamping, 1e-3);
  const fn = new CountedResiduals(op, f, x0, stop.maxEvaluations);
  const { m, n } = fn;
  let x = fn.fn.start;
  let { r, J } = fn.jacobian(x);
  let cost = halfSquaredNorm(r);
  let A = normalMatrix(J, m, n);
  let g = gradientOf(J, r, n);
  let mu = tau * Math.max(...Array.from({ length: n }, (_, i) => A[i * n + i]));
  let nu = 2;
  let iterations = 0;
  let reason: StopReason | undefined = maxAbs(g) <= stop.gradientTolerance ? "gradient" : undefined;
  while (reason === undefined) {
    if (iterations >= stop.maxIterations) reason = "maxIterations";
    else if (fn.exhausted) reason = "maxEvaluations";
    if (reason !== undefined) break;
    iterations++;
    const h = dampedStep(A, g, mu, n);
    if (h !== undefined && stepStalled(h, x, stop.stepTolerance)) {
      reason = "step";
      break;
    }
    const trial = h === undefined ? undefined : Float64Array.from(x, (xi, i) => xi + h[i]);
    const trialCost = trial === undefined ? NaN : halfSquaredNorm(fn.residuals(trial));
    const predicted = h === undefined ? NaN : 0.5 * (mu * dot(h, h) - dot(h, g));
    const rho = (cost - trialCost) / predicted;
    if (!(rho > 0) || trial === undefined) {
      // A loss (or no step: JᵀJ + μI numerically singular): more damping, faster each time in a row.
      mu *= nu;
      nu *= 2;
      if (!Number.isFinite(mu)) reason = "lineSearch";
      continue;
    }
    const before = cost;
    x = trial;
    ({ r, J } = fn.jacobian(x));
    cost = halfSquaredNorm(r);
    A = normalMatrix(J, m, n);
    g = gradientOf(J, r, n);
    mu *= Math.max(1 / 3, 1 - (2 * rho - 1) ** 3);
    nu = 2;
    if (maxAbs(g) <= stop.gradientTolerance) reason = "gradient";
    else if (functionStalled(before, cost, stop.functionTolerance)) reason = "function";
  }
  return fn.result(x, r, J, iterations, reason, CONVERGED.has(reason));
}

/** h with (A + μI)·h = −g, or undefined where that matrix is numerically singular. */
function dampedStep(A: Float64Array, g: Float64Array, mu: number, n: number): Float64Array | undefined {
  const damped = Float64Array.from(A);
  for (let i = 0; i < n; i++) damped[i * n + i] += mu;
  try {
    return Float64Array.from(
      solve(
        tensor(damped, { dtype: "float64", shape: [n, n] }),
        tensor(
          Float64Array.from(g, (v) => -v),
          { dtype: "float64" },
        ),
      ).data(),
    );
  } catch (error) {
    if (isAdError(error, "SingularMatrix")) return undefined;
    throw error;
  }
}
