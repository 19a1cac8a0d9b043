/**
 * L-BFGS within box constraints as a projected quasi-Newton method (Bertsekas 1982, "Projected
 * Newton methods for optimization problems with simple constraints"; with an L-BFGS estimate on the
 * free variables as in Kim, Sra & Dhillon 2010). Each iteration:
 *
 * 1. The ε-active set: variables within ε of a bound whose gradient pushes them into it, with
 *    ε = min(10⁻³, ‖P(x − ∇f) − x‖∞), so it shrinks to the true active set near a solution.
 * 2. The direction: −∇f on the active variables, the L-BFGS direction (restricted to the free ones)
 *    on the rest.
 * 3. Armijo backtracking along the projection arc x(α) = P(x + α·d), with Bertsekas's sufficient
 *    decrease f(x) − f(x(α)) ≥ σ·(α·(−∇f_F·d_F) + ∇f_A·(x − x(α))_A), which is what makes every
 *    limit point stationary for the constrained problem.
 *
 * This is not L-BFGS-B's generalised Cauchy point and subspace minimisation; it converges to the
 * same stationary points, often with more evaluations when many bounds switch on and off.
 */
import type { Box } from "./bounds.js";
import { project, projectedGradientNorm } from "./bounds.js";
import type { Evaluator } from "./lineSearch.js";
import { Memory } from "./memory.js";
import { functionStalled, stepStalled, type Run, type Stopping } from "./stopping.js";

const SIGMA = 1e-4;
const MAX_HALVINGS = 50;
const EPSILON = 1e-3;
const ROUNDING = 4 * Number.EPSILON;

export function projectedLbfgs(ev: Evaluator, box: Box, start: Float64Array, stop: Stopping, history: number): Run {
  const n = start.length;
  let x: Float64Array = project(box, Float64Array.from(start));
  let g: Float64Array = new Float64Array(n);
  let f = ev.start(x, g);
  let xNew: Float64Array = new Float64Array(n);
  let gNew: Float64Array = new Float64Array(n);
  const memory = new Memory(history);
  const free = new Uint8Array(n);
  const d = new Float64Array(n);
  let iterations = 0;
  for (;;) {
    const pg = projectedGradientNorm(box, x, g);
    if (pg <= stop.gradientTolerance) return { x, f, g, iterations, reason: "gradient" };
    if (iterations >= stop.maxIterations) return { x, f, g, iterations, reason: "maxIterations" };
    const epsilon = Math.min(EPSILON, pg);
    for (let i = 0; i < n; i++) free[i] = (x[i] <= box.lower[i] + epsilon && g[i] > 0) || (x[i] >= box.upper[i] - epsilon && g[i] < 0) ? 0 : 1;
    memory.apply(g, d, free);
    let freeSlope = 0;
    for (let i = 0; i < n; i++) if (free[i] === 1) freeSlope += g[i] * d[i];
    if (!(freeSlope <= 0)) {
      memory.clear();
      memory.apply(g, d, free);
      freeSlope = 0;
      for (let i = 0; i < n; i++) if (free[i] === 1) freeSlope += g[i] * d[i];
    }
    for (let i = 0; i < n; i++) if (free[i] === 0) d[i] = -g[i];
    // The first step has no curvature to scale it: a unit move in x, at most.
    let dNorm = 0;
    for (let i = 0; i < n; i++) dNorm = Math.max(dNorm, Math.abs(d[i]));
    let alpha = memory.size === 0 ? Math.min(1, 1 / dNorm) : 1;
    let fNew = NaN;
    let accepted = false;
    for (let k = 0; k < MAX_HALVINGS; k++) {
      if (ev.exhausted) return { x, f, g, iterations, reason: "maxEvaluations" };
      for (let i = 0; i < n; i++) xNew[i] = x[i] + alpha * d[i];
      project(box, xNew);
      fNew = ev.valueAndGradient(xNew, gNew);
      let predicted = -alpha * freeSlope;
      for (let i = 0; i < n; i++) if (free[i] === 0) predicted += g[i] * (x[i] - xNew[i]);
      // A decrease below f's rounding cannot be measured: then not rising is enough.
      accepted = f - fNew >= SIGMA * predicted || (fNew <= f && predicted <= ROUNDING * Math.abs(f));
      if (accepted) break;
      alpha /= 2;
    }
    if (!accepted) return { x, f, g, iterations, reason: "lineSearch" };
    iterations++;
    memory.push(x, xNew, g, gNew);
    const moved = Float64Array.from(xNew, (v, i) => v - x[i]);
    const before = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = fNew;
    if (projectedGradientNorm(box, x, g) <= stop.gradientTolerance) return { x, f, g, iterations, reason: "gradient" };
    if (functionStalled(before, f, stop.functionTolerance)) return { x, f, g, iterations, reason: "function" };
    if (stepStalled(moved, x, stop.stepTolerance)) return { x, f, g, iterations, reason: "step" };
  }
}
