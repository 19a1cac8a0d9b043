/**
 * L-BFGS (Nocedal & Wright, Algorithm 7.5): the two-loop recursion (memory.ts) applies an
 * inverse-Hessian estimate built from the last `history` pairs s = Δx, y = Δ∇f; each step is taken by
 * the strong Wolfe line search, which keeps sᵀy > 0 and so the estimate positive definite. With
 * `lower`/`upper` bounds it runs as L-BFGS-B instead (lbfgsb.ts).
 */
import { expectInteger } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import { boxOf } from "./bounds.js";
import { lbfgsb } from "./lbfgsb.js";
import { Evaluator, strongWolfe } from "./lineSearch.js";
import { Memory } from "./memory.js";
import { objectiveOf, type ArrayObjective } from "./objective.js";
import {
  CONVERGED,
  dot,
  functionStalled,
  maxAbs,
  STOPPING_KEYS,
  stepStalled,
  stoppingOptions,
  type MinimizeResult,
  type Run,
  type Stopping,
  type StoppingOptions,
} from "./stopping.js";

export interface LbfgsOptions extends StoppingOptions {
  /** How many (s, y) pairs the inverse-Hessian estimate keeps (default 10, SciPy's `maxcor`). */
  readonly history?: number;
  /** Lower bounds: one number for every variable, or one per variable (x0's elements in row-major order); −Infinity for none. */
  readonly lower?: number | ArrayLike<number>;
  /** Upper bounds, as `lower`; +Infinity for none. */
  readonly upper?: number | ArrayLike<number>;
}

/**
 * Minimises f from x0 by L-BFGS. With a float64 tensor x0, f maps a tensor of x0's shape to one
 * element and `x`/`grad` come back as tensors; with an array x0, f is a `differentiate`d function of
 * one array or a `Scalar`-generic `(xs, S) => …` for the tape, and they come back as `Float64Array`s.
 * With bounds, x0 is first projected into the box and `reason: "gradient"` means the projected
 * gradient ‖P(x − ∇f) − x‖∞ is within `gradientTolerance`.
 */
export function lbfgs(f: (x: Tensor) => Tensor, x0: Tensor, options?: LbfgsOptions): MinimizeResult<Tensor>;
export function lbfgs(f: ArrayObjective, x0: ArrayLike<number>, options?: LbfgsOptions): MinimizeResult<Float64Array>;
export function lbfgs(f: unknown, x0: unknown, options?: LbfgsOptions): MinimizeResult<Tensor | Float64Array> {
  const op = "lbfgs";
  const [o, stop] = stoppingOptions<LbfgsOptions>(op, options, [...STOPPING_KEYS, "history", "lower", "upper"]);
  const history = o.history === undefined ? 10 : expectInteger(op, "history", o.history, 1, 1000);
  const objective = objectiveOf(op, f, x0);
  const box = boxOf(op, o.lower, o.upper, objective.n);
  const ev = new Evaluator(op, objective, stop.maxEvaluations);
  const run = box === undefined ? unconstrained(ev, objective.start, stop, history) : lbfgsb(ev, box, objective.start, stop, history);
  return {
    x: objective.output(run.x),
    fun: run.f,
    grad: objective.output(run.g),
    iterations: run.iterations,
    evaluations: ev.count,
    converged: CONVERGED.has(run.reason),
    reason: run.reason,
  };
}

function unconstrained(ev: Evaluator, start: Float64Array, stop: Stopping, history: number): Run {
  const n = start.length;
  let x: Float64Array = start;
  let g: Float64Array = new Float64Array(n);
  let f = ev.start(x, g);
  let xNew: Float64Array = new Float64Array(n);
  let gNew: Float64Array = new Float64Array(n);
  const memory = new Memory(history);
  const d = new Float64Array(n);
  let iterations = 0;
  if (maxAbs(g) <= stop.gradientTolerance) return { x, f, g, iterations, reason: "gradient" };
  for (;;) {
    if (iterations >= stop.maxIterations) return { x, f, g, iterations, reason: "maxIterations" };
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
    const step = strongWolfe(ev, x, f, slope, d, alpha0, xNew, gNew);
    if (!step.ok) return { x, f, g, iterations, reason: step.reason };
    iterations++;
    memory.push(x, xNew, g, gNew);
    const moved = Float64Array.from(xNew, (v, i) => v - x[i]);
    const before = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = step.f;
    if (maxAbs(g) <= stop.gradientTolerance) return { x, f, g, iterations, reason: "gradient" };
    if (functionStalled(before, f, stop.functionTolerance)) return { x, f, g, iterations, reason: "function" };
    if (stepStalled(moved, x, stop.stepTolerance)) return { x, f, g, iterations, reason: "step" };
    if (ev.exhausted) return { x, f, g, iterations, reason: "maxEvaluations" };
  }
}
