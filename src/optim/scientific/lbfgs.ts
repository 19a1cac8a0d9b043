/**
 * L-BFGS (Nocedal & Wright, Algorithm 7.5): the two-loop recursion applies an inverse-Hessian
 * estimate built from the last `history` pairs s = Δx, y = Δ∇f, scaled by γ = sᵀy / yᵀy; each step is
 * taken by the strong Wolfe line search, which keeps sᵀy > 0 and so the estimate positive definite.
 *
 * Bound constraints are not offered: a projected gradient with a line search along the projected
 * path is not L-BFGS-B (which needs a generalised Cauchy point and subspace minimisation to keep its
 * convergence), and a half-done version would stop at points that are not constrained minima.
 */
import { expectInteger } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Evaluator, strongWolfe } from "./lineSearch.js";
import { Memory } from "./memory.js";
import { objectiveOf, type ArrayObjective } from "./objective.js";
import { CONVERGED, dot, functionStalled, maxAbs, STOPPING_KEYS, stepStalled, stoppingOptions, type MinimizeResult, type StopReason, type StoppingOptions } from "./stopping.js";

export interface LbfgsOptions extends StoppingOptions {
  /** How many (s, y) pairs the inverse-Hessian estimate keeps (default 10, SciPy's `maxcor`). */
  readonly history?: number;
}

/**
 * Minimises f from x0 by L-BFGS. With a float64 tensor x0, f maps a tensor of x0's shape to one
 * element and `x`/`grad` come back as tensors; with an array x0, f is a `differentiate`d function of
 * one array or a `Scalar`-generic `(xs, S) => …` for the tape, and they come back as `Float64Array`s.
 */
export function lbfgs(f: (x: Tensor) => Tensor, x0: Tensor, options?: LbfgsOptions): MinimizeResult<Tensor>;
export function lbfgs(f: ArrayObjective, x0: ArrayLike<number>, options?: LbfgsOptions): MinimizeResult<Float64Array>;
export function lbfgs(f: unknown, x0: unknown, options?: LbfgsOptions): MinimizeResult<Tensor | Float64Array> {
  const op = "lbfgs";
  const [o, stop] = stoppingOptions<LbfgsOptions>(op, options, [...STOPPING_KEYS, "history"]);
  const history = o.history === undefined ? 10 : expectInteger(op, "history", o.history, 1, 1000);
  const objective = objectiveOf(op, f, x0);
  const n = objective.n;
  const ev = new Evaluator(op, objective, stop.maxEvaluations);
  let x: Float64Array = objective.start;
  let g: Float64Array = new Float64Array(n);
  let fx = ev.start(x, g);
  let xNew: Float64Array = new Float64Array(n);
  let gNew: Float64Array = new Float64Array(n);
  const memory = new Memory(history);
  const d = new Float64Array(n);
  let iterations = 0;
  let reason: StopReason | undefined = maxAbs(g) <= stop.gradientTolerance ? "gradient" : undefined;
  while (reason === undefined) {
    if (iterations >= stop.maxIterations) {
      reason = "maxIterations";
      break;
    }
    memory.apply(g, d);
    let slope = dot(g, d);
    if (!(slope < 0)) {
      // Rounding left the estimate without descent: forget it and go downhill.
      memory.clear();
      for (let i = 0; i < n; i++) d[i] = -g[i];
      slope = dot(g, d);
    }
    // The first step has no curvature to scale it: a unit step in x, at most.
    const alpha0 = memory.size === 0 ? Math.min(1, 1 / Math.sqrt(-slope)) : 1;
    const step = strongWolfe(ev, x, fx, slope, d, alpha0, xNew, gNew);
    if (!step.ok) {
      reason = step.reason;
      break;
    }
    iterations++;
    memory.push(x, xNew, g, gNew);
    const moved = Float64Array.from(xNew, (v, i) => v - x[i]);
    const fBefore = fx;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    fx = step.f;
    if (maxAbs(g) <= stop.gradientTolerance) reason = "gradient";
    else if (functionStalled(fBefore, fx, stop.functionTolerance)) reason = "function";
    else if (stepStalled(moved, x, stop.stepTolerance)) reason = "step";
    else if (ev.exhausted) reason = "maxEvaluations";
  }
  return { x: objective.output(x), fun: fx, grad: objective.output(g), iterations, evaluations: ev.count, converged: CONVERGED.has(reason), reason };
}
