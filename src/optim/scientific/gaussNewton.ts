/**
 * Gauss–Newton on ½‖r(x)‖²: the step h solves the linearised problem min ‖J·h + r‖ (by `lstsq`,
 * QR for a Jacobian of full rank and the truncated SVD otherwise, so a rank-deficient J still gives
 * the least-norm step), then a backtracking (Armijo) line search on the residuals alone keeps each
 * iteration a descent (damped Gauss–Newton).
 */
import { lstsq } from "../../linalg/leastSquares.js";
import { tensor } from "../../tensor/creation.js";
import type { Tensor } from "../../tensor/tensor.js";
import type { VectorFn } from "../../scalar/scalar.js";
import { CountedResiduals, gradientOf, halfSquaredNorm, type LeastSquaresResult } from "./leastSquares.js";
import { CONVERGED, dot, functionStalled, maxAbs, STOPPING_KEYS, stepStalled, stoppingOptions, type StopReason, type StoppingOptions } from "./stopping.js";

export type GaussNewtonOptions = StoppingOptions;

const ARMIJO = 1e-4;
const SMALLEST_STEP = 1e-10;

/**
 * Minimises ½‖f(x)‖² from x0 by damped Gauss–Newton. With a float64 tensor x0, f maps a tensor of its
 * shape to a float64 tensor of residuals (any shape); with an array x0, f is a `Scalar`-generic
 * `(xs, S) => [r₁, …, r_m]`. The result's `x` and `grad` take x0's form.
 */
export function gaussNewton(f: (x: Tensor) => Tensor, x0: Tensor, options?: GaussNewtonOptions): LeastSquaresResult<Tensor>;
export function gaussNewton(f: VectorFn, x0: ArrayLike<number>, options?: GaussNewtonOptions): LeastSquaresResult<Float64Array>;
export function gaussNewton(f: unknown, x0: unknown, options?: GaussNewtonOptions): LeastSquaresResult<Tensor | Float64Array> {
  const op = "gaussNewton";
  const [, stop] = stoppingOptions<GaussNewtonOptions>(op, options, STOPPING_KEYS);
  const fn = new CountedResiduals(op, f, x0, stop.maxEvaluations);
  const { m, n } = fn;
  let x = fn.fn.start;
  let { r, J } = fn.jacobian(x);
  let cost = halfSquaredNorm(r);
  let g = gradientOf(J, r, n);
  let iterations = 0;
  let reason: StopReason | undefined = maxAbs(g) <= stop.gradientTolerance ? "gradient" : undefined;
  while (reason === undefined) {
    if (iterations >= stop.maxIterations) {
      reason = "maxIterations";
      break;
    }
    const minusR = Float64Array.from(r, (v) => -v);
    const h = Float64Array.from(lstsq(tensor(J, { dtype: "float64", shape: [m, n] }), tensor(minusR, { dtype: "float64" })).data());
    const slope = dot(g, h);
    let alpha = 1;
    let trial = new Float64Array(n);
    let trialCost = NaN;
    while (reason === undefined) {
      if (!(slope < 0) || alpha < SMALLEST_STEP) reason = "lineSearch";
      else if (fn.exhausted) reason = "maxEvaluations";
      else {
        trial = Float64Array.from(x, (xi, i) => xi + alpha * h[i]);
        trialCost = halfSquaredNorm(fn.residuals(trial));
        if (trialCost <= cost + ARMIJO * alpha * slope) break;
        alpha /= 2;
      }
    }
    if (reason !== undefined) break;
    iterations++;
    const s = Float64Array.from(h, (v) => alpha * v);
    const before = cost;
    x = trial;
    ({ r, J } = fn.jacobian(x));
    cost = halfSquaredNorm(r);
    g = gradientOf(J, r, n);
    if (maxAbs(g) <= stop.gradientTolerance) reason = "gradient";
    else if (functionStalled(before, trialCost, stop.functionTolerance)) reason = "function";
    else if (stepStalled(s, x, stop.stepTolerance)) reason = "step";
    else if (fn.exhausted) reason = "maxEvaluations";
  }
  return fn.result(x, r, J, iterations, reason, CONVERGED.has(reason));
}
