/**
 * Truncated Newton (Nocedal & Wright, Algorithm 7.1, line-search Newton–CG): conjugate gradients on
 * H·p = −∇f, with H·v from the AD engine (forward over reverse: never H itself), stopped early once
 * the residual falls below η‖∇f‖ with η = min(½, √‖∇f‖) (superlinear convergence near the minimum,
 * cheap steps far from it), or at negative curvature, where the last positive-curvature iterate
 * (steepest descent on the first) is the direction. The step is then taken by the strong Wolfe line
 * search. Norms are 1-norms, as SciPy's `newton-cg`.
 */
import { AdError, expectFiniteVector, expectFunction, expectInteger, invalidArgument } from "../../errors.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Evaluator, strongWolfe } from "./lineSearch.js";
import { objectiveOf, type ArrayObjective, type Objective } from "./objective.js";
import { CONVERGED, dot, functionStalled, maxAbs, STOPPING_KEYS, stepStalled, stoppingOptions, type MinimizeResult, type StopReason, type StoppingOptions } from "./stopping.js";

type HessianVector = NonNullable<Objective<unknown>["hessianVector"]>;

export interface NewtonCGOptions extends StoppingOptions {
  /** At most this many CG iterations (Hessian-vector products) per Newton step (default 20·n, SciPy's). */
  readonly maxCGIterations?: number;
  /**
   * H(x)·v for a `differentiate`d f, which gives gradients only: e.g. with
   * `hv = differentiate(df, { mode: "forward" })`, `(x, v) => hv([x], [v]).tangent[0] as Float64Array`. Refused for
   * tensor and tape functions, whose H·v the engine computes.
   */
  readonly hessianVectorProduct?: (x: Float64Array, v: Float64Array) => ArrayLike<number>;
}

export interface NewtonCGResult<X> extends MinimizeResult<X> {
  /** Hessian-vector products computed, over all CG iterations. */
  readonly hessianProducts: number;
}

/**
 * Minimises f from x0 by Newton–CG. The same input convention as `lbfgs`; a `differentiate`d f
 * needs `hessianVectorProduct` beside it, since it gives gradients only.
 */
export function newtonCG(f: (x: Tensor) => Tensor, x0: Tensor, options?: NewtonCGOptions): NewtonCGResult<Tensor>;
export function newtonCG(f: ArrayObjective, x0: ArrayLike<number>, options?: NewtonCGOptions): NewtonCGResult<Float64Array>;
export function newtonCG(f: unknown, x0: unknown, options?: NewtonCGOptions): NewtonCGResult<Tensor | Float64Array> {
  const op = "newtonCG";
  const [o, stop] = stoppingOptions<NewtonCGOptions>(op, options, [...STOPPING_KEYS, "maxCGIterations", "hessianVectorProduct"]);
  const objective = objectiveOf(op, f, x0);
  const n = objective.n;
  const maxCG = o.maxCGIterations === undefined ? 20 * n : expectInteger(op, "maxCGIterations", o.maxCGIterations, 1);
  const hessianVector = hessianVectorOf(op, objective.hessianVector, o.hessianVectorProduct, n);
  const ev = new Evaluator(op, objective, stop.maxEvaluations);
  let x: Float64Array = objective.start;
  let g: Float64Array = new Float64Array(n);
  let fx = ev.start(x, g);
  let xNew: Float64Array = new Float64Array(n);
  let gNew: Float64Array = new Float64Array(n);
  const cg = new ConjugateGradient(n, (v) => hessianVector(x, v), maxCG);
  let iterations = 0;
  let reason: StopReason | undefined = maxAbs(g) <= stop.gradientTolerance ? "gradient" : undefined;
  while (reason === undefined) {
    if (iterations >= stop.maxIterations) {
      reason = "maxIterations";
      break;
    }
    const p = cg.solve(g);
    const step = strongWolfe(ev, x, fx, dot(g, p), p, 1, xNew, gNew);
    if (!step.ok) {
      reason = step.reason;
      break;
    }
    iterations++;
    const s = new Float64Array(n);
    for (let i = 0; i < n; i++) s[i] = xNew[i] - x[i];
    const fBefore = fx;
    [x, xNew] = [xNew, x];
    [g, gNew] = [gNew, g];
    fx = step.f;
    if (maxAbs(g) <= stop.gradientTolerance) reason = "gradient";
    else if (functionStalled(fBefore, fx, stop.functionTolerance)) reason = "function";
    else if (stepStalled(s, x, stop.stepTolerance)) reason = "step";
    else if (ev.exhausted) reason = "maxEvaluations";
  }
  return {
    x: objective.output(x),
    fun: fx,
    grad: objective.output(g),
    iterations,
    evaluations: ev.count,
    converged: CONVERGED.has(reason),
    reason,
    hessianProducts: cg.products,
  };
}

/** H·v from the engine, or from the option for a `differentiate`d f (checked), exactly one of them. */
function hessianVectorOf(op: string, engine: HessianVector | undefined, given: unknown, n: number): HessianVector {
  if (given === undefined) {
    if (engine !== undefined) return engine;
    throw new AdError(
      "UnsupportedOp",
      "newtonCG needs Hessian-vector products, which a differentiate'd f does not give: pass hessianVectorProduct (forward mode over it), f over tensors, or a Scalar-generic (xs, S) => … for the tape",
      { op, argument: "f" },
    );
  }
  const product = expectFunction(op, "hessianVectorProduct", given) as (x: Float64Array, v: Float64Array) => unknown;
  if (engine !== undefined) {
    throw invalidArgument(op, "hessianVectorProduct is for a differentiate'd f only: for tensor and tape functions the engine computes H·v", { argument: "hessianVectorProduct" });
  }
  return (x, v) => {
    const hv = Float64Array.from(expectFiniteVector(op, "hessianVectorProduct's result", product(Float64Array.from(x), Float64Array.from(v))));
    if (hv.length !== n) throw new AdError("ShapeMismatch", `hessianVectorProduct returned ${hv.length} numbers for ${n} variables`, { op, length: hv.length, variables: n });
    return hv;
  };
}

/** CG on H·p = −g with H given by its products, truncated as the module comment says. */
class ConjugateGradient {
  products = 0;
  private readonly r: Float64Array;
  private readonly d: Float64Array;

  constructor(
    private readonly n: number,
    private readonly multiply: (v: Float64Array) => Float64Array,
    private readonly maxIterations: number,
  ) {
    this.r = new Float64Array(n);
    this.d = new Float64Array(n);
  }

  /** A descent direction p (fresh), H·p ≈ −g. */
  solve(g: Float64Array): Float64Array {
    const { n, r, d } = this;
    const p = new Float64Array(n);
    const gNorm = l1(g);
    const tolerance = Math.min(0.5, Math.sqrt(gNorm)) * gNorm;
    r.set(g);
    for (let i = 0; i < n; i++) d[i] = -g[i];
    let rr = dot(r, r);
    for (let k = 0; k < this.maxIterations && l1(r) > tolerance; k++) {
      const hd = this.multiply(d);
      this.products++;
      const curvature = dot(d, hd);
      if (!(curvature > 0)) {
        if (k === 0) for (let i = 0; i < n; i++) p[i] = -g[i];
        break;
      }
      const alpha = rr / curvature;
      for (let i = 0; i < n; i++) {
        p[i] += alpha * d[i];
        r[i] += alpha * hd[i];
      }
      const rrNext = dot(r, r);
      const beta = rrNext / rr;
      for (let i = 0; i < n; i++) d[i] = -r[i] + beta * d[i];
      rr = rrNext;
    }
    return p;
  }
}

function l1(v: Float64Array): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += Math.abs(v[i]);
  return s;
}
