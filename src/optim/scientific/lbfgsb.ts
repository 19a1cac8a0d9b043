/**
 * L-BFGS-B (Byrd, Lu, Nocedal & Zhu 1995, "A limited memory algorithm for bound constrained
 * optimization"; the subspace step as corrected by Morales & Nocedal 2011), what `lbfgs` runs when
 * given bounds. Each iteration, with B = θI − W·M·Wᵀ the compact L-BFGS matrix (compactMemory.ts)
 * and m(x + d) = f + gᵀd + ½dᵀBd its quadratic model:
 *
 * 1. The generalised Cauchy point x_c: the first local minimiser of m along the projected
 *    steepest-descent path P(x − t·g), t ≥ 0, found by visiting the path's breakpoints in order
 *    (each one fixes a variable at its bound) with m's first and second derivatives along the
 *    current segment updated in O(k) per breakpoint (the paper's Algorithm CP).
 * 2. Subspace minimisation over the variables still free at x_c: the unconstrained minimiser of m
 *    with the others fixed (the direct primal method, §5.1, through the Sherman–Morrison–Woodbury
 *    form of the reduced B), projected onto the box (Morales & Nocedal); if the projected point is
 *    not a descent direction from x, the step from x_c is cut back to the box instead (1995's rule).
 * 3. A strong-Wolfe line search from x towards that point x̄, never past the nearest bound
 *    (lineSearch.ts), then the new pair (s, y) into the memory.
 *
 * On a line search that fails with a memory, the memory is dropped and the iteration retried from
 * the steepest-descent model, as SciPy's driver does.
 */
import type { Box } from "./bounds.js";
import { project, projectedGradientNorm } from "./bounds.js";
import { CompactMemory } from "./compactMemory.js";
import { solveDense } from "./denseSolve.js";
import { strongWolfe, type Evaluator } from "./lineSearch.js";
import { dot, functionStalled, stepStalled, type Run, type Stopping } from "./stopping.js";

/**
 * The generalised Cauchy point from x into `xc`, marking in `fixed` the variables at a bound there
 * (at one already with the gradient pointing out, or reached along the path). Returns c = Wᵀ(x_c − x).
 */
function cauchyPoint(box: Box, x: Float64Array, g: Float64Array, memory: CompactMemory, xc: Float64Array, fixed: Uint8Array): Float64Array {
  const n = x.length;
  const k2 = 2 * memory.size;
  const theta = memory.theta;
  const breakpoint = new Float64Array(n);
  const d = new Float64Array(n);
  const p = new Float64Array(k2);
  const c = new Float64Array(k2);
  const w = new Float64Array(k2);
  const mp = new Float64Array(k2);
  const order: number[] = [];
  let slope = 0;
  for (let i = 0; i < n; i++) {
    const lower = box.lower[i];
    const upper = box.upper[i];
    const t = g[i] < 0 ? (x[i] - upper) / g[i] : g[i] > 0 ? (x[i] - lower) / g[i] : Infinity;
    breakpoint[i] = t;
    xc[i] = x[i];
    // A variable at a bound that the gradient pushes against (or leaves alone) stays there.
    const atBound = x[i] <= lower || x[i] >= upper;
    fixed[i] = t === 0 || (atBound && g[i] === 0) || lower === upper ? 1 : 0;
    if (fixed[i] === 1 || g[i] === 0) continue;
    d[i] = -g[i];
    slope -= g[i] * g[i];
    if (t < Infinity) order.push(i);
    if (k2 > 0) {
      memory.row(i, w);
      for (let j = 0; j < k2; j++) p[j] += w[j] * d[i];
    }
  }
  if (slope === 0) return c;
  // f′ and f″: m's slope and curvature along the current segment, at its start.
  let curvature = -theta * slope - (k2 > 0 ? dot(p, memory.timesM(p, mp)) : 0);
  const curvatureAtStart = curvature;
  let best = -slope / curvature;
  order.sort((a, b) => breakpoint[a] - breakpoint[b]);
  let tOld = 0;
  const mc = new Float64Array(k2);
  const mw = new Float64Array(k2);
  for (const b of order) {
    const segment = breakpoint[b] - tOld;
    if (best < segment) break;
    // Past the minimiser of this segment's model: variable b reaches its bound and is fixed there.
    xc[b] = d[b] > 0 ? box.upper[b] : box.lower[b];
    fixed[b] = 1;
    const z = xc[b] - x[b];
    const gb = g[b];
    for (let j = 0; j < k2; j++) c[j] += segment * p[j];
    let wMc = 0;
    let wMp = 0;
    let wMw = 0;
    if (k2 > 0) {
      memory.row(b, w);
      memory.timesM(c, mc);
      memory.timesM(p, mp);
      memory.timesM(w, mw);
      wMc = dot(w, mc);
      wMp = dot(w, mp);
      wMw = dot(w, mw);
    }
    slope += segment * curvature + gb * gb + theta * gb * z - gb * wMc;
    curvature -= theta * gb * gb + 2 * gb * wMp + gb * gb * wMw;
    // Rounding must not turn the model's curvature non-positive (SciPy's guard).
    curvature = Math.max(Number.EPSILON * curvatureAtStart, curvature);
    for (let j = 0; j < k2; j++) p[j] += gb * w[j];
    d[b] = 0;
    best = -slope / curvature;
    tOld = breakpoint[b];
  }
  best = Math.max(best, 0);
  const t = tOld + best;
  for (let i = 0; i < n; i++) if (d[i] !== 0) xc[i] = x[i] + t * d[i];
  for (let j = 0; j < k2; j++) c[j] += best * p[j];
  return c;
}

/**
 * The search direction d = x̄ − x from the subspace minimisation over the variables free at x_c:
 * d̂ = −(1/θ)·r̂ − (1/θ²)·ZᵀW·(I − (1/θ)·M·WᵀZZᵀW)⁻¹·M·WᵀZ·r̂ with r̂ = Zᵀ(g + θ(x_c − x) − W·M·c).
 */
function subspaceDirection(box: Box, x: Float64Array, g: Float64Array, memory: CompactMemory, xc: Float64Array, c: Float64Array, fixed: Uint8Array, d: Float64Array): void {
  const n = x.length;
  const k2 = 2 * memory.size;
  const theta = memory.theta;
  const free: number[] = [];
  for (let i = 0; i < n; i++) if (fixed[i] === 0) free.push(i);
  const xBar = Float64Array.from(xc);
  if (free.length > 0) {
    const mc = memory.timesM(c, new Float64Array(k2));
    const w = new Float64Array(k2);
    const r = new Float64Array(free.length);
    const v = new Float64Array(k2);
    const wzzw = new Float64Array(k2 * k2);
    free.forEach((i, f) => {
      memory.row(i, w);
      r[f] = g[i] + theta * (xc[i] - x[i]) - dot(w, mc);
      for (let j = 0; j < k2; j++) {
        v[j] += w[j] * r[f];
        for (let l = 0; l < k2; l++) wzzw[j * k2 + l] += w[j] * w[l];
      }
    });
    const u = new Float64Array(k2);
    if (k2 > 0) {
      memory.timesM(v, u);
      // N = I − (1/θ)·M·(WᵀZZᵀW), solved for N⁻¹·M·WᵀZ·r̂.
      const nMatrix = new Float64Array(k2 * k2);
      const column = new Float64Array(k2);
      const mColumn = new Float64Array(k2);
      for (let l = 0; l < k2; l++) {
        for (let j = 0; j < k2; j++) column[j] = wzzw[j * k2 + l];
        memory.timesM(column, mColumn);
        for (let j = 0; j < k2; j++) nMatrix[j * k2 + l] = (j === l ? 1 : 0) - mColumn[j] / theta;
      }
      if (!solveDense(nMatrix, u, k2, 1)) u.fill(0);
    }
    const step = new Float64Array(free.length);
    free.forEach((i, f) => {
      step[f] = -r[f] / theta - (k2 > 0 ? dot(memory.row(i, w), u) : 0) / (theta * theta);
      xBar[i] = Math.min(box.upper[i], Math.max(box.lower[i], xc[i] + step[f]));
    });
    let descent = 0;
    for (let i = 0; i < n; i++) descent += (xBar[i] - x[i]) * g[i];
    if (descent > 0) {
      // The projected point goes uphill: take the longest feasible part of the step from x_c instead.
      let alpha = 1;
      free.forEach((i, f) => {
        if (step[f] > 0) alpha = Math.min(alpha, (box.upper[i] - xc[i]) / step[f]);
        else if (step[f] < 0) alpha = Math.min(alpha, (box.lower[i] - xc[i]) / step[f]);
      });
      free.forEach((i, f) => (xBar[i] = xc[i] + alpha * step[f]));
    }
  }
  for (let i = 0; i < n; i++) d[i] = xBar[i] - x[i];
}

/** The longest step along d from x that stays in the box (∞ if d never meets a bound). */
function stepToBound(box: Box, x: Float64Array, d: Float64Array): number {
  let most = Infinity;
  for (let i = 0; i < x.length; i++) {
    if (d[i] > 0) most = Math.min(most, (box.upper[i] - x[i]) / d[i]);
    else if (d[i] < 0) most = Math.min(most, (box.lower[i] - x[i]) / d[i]);
  }
  return most;
}

export function lbfgsb(ev: Evaluator, box: Box, start: Float64Array, stop: Stopping, history: number): Run {
  const n = start.length;
  let x: Float64Array = project(box, Float64Array.from(start));
  let g: Float64Array = new Float64Array(n);
  let f = ev.start(x, g);
  let xNew: Float64Array = new Float64Array(n);
  let gNew: Float64Array = new Float64Array(n);
  const memory = new CompactMemory(history);
  const xc = new Float64Array(n);
  const fixed = new Uint8Array(n);
  const d = new Float64Array(n);
  const boxed = box.lower.every(Number.isFinite) && box.upper.every(Number.isFinite);
  let iterations = 0;
  for (;;) {
    if (projectedGradientNorm(box, x, g) <= stop.gradientTolerance) return { x, f, g, iterations, reason: "gradient" };
    if (iterations >= stop.maxIterations) return { x, f, g, iterations, reason: "maxIterations" };
    if (ev.exhausted) return { x, f, g, iterations, reason: "maxEvaluations" };
    const c = cauchyPoint(box, x, g, memory, xc, fixed);
    subspaceDirection(box, x, g, memory, xc, c, fixed, d);
    const slope = dot(g, d);
    if (!(slope < 0)) {
      // Rounding left the model without descent: start again from steepest descent.
      if (memory.size > 0) {
        memory.clear();
        continue;
      }
      return { x, f, g, iterations, reason: "lineSearch" };
    }
    // The first step has no curvature to scale it: not past x̄, and a unit move in x at most unless
    // every variable has both bounds (then x̄, the box's own scale) — SciPy's stpmx and stp.
    const alphaMax = iterations === 0 ? 1 : stepToBound(box, x, d);
    const alpha0 = iterations === 0 && !boxed ? Math.min(1, 1 / Math.sqrt(dot(d, d))) : 1;
    const step = strongWolfe(ev, x, f, slope, d, alpha0, xNew, gNew, alphaMax);
    if (!step.ok) {
      if (step.reason === "lineSearch" && memory.size > 0) {
        memory.clear();
        continue;
      }
      return { x, f, g, iterations, reason: step.reason };
    }
    iterations++;
    // x + α·d is in the box up to the rounding of α·d.
    project(box, xNew);
    const moved = Float64Array.from(xNew, (v, i) => v - x[i]);
    memory.push(
      moved,
      Float64Array.from(gNew, (v, i) => v - g[i]),
    );
    const before = f;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    f = step.f;
    if (projectedGradientNorm(box, x, g) <= stop.gradientTolerance) return { x, f, g, iterations, reason: "gradient" };
    if (functionStalled(before, f, stop.functionTolerance)) return { x, f, g, iterations, reason: "function" };
    if (stepStalled(moved, x, stop.stepTolerance)) return { x, f, g, iterations, reason: "step" };
  }
}
