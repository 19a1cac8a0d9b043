/**
 * Adapters that hand adjoint's derivatives to JavaScript optimisers written around callbacks. Each
 * takes a plain-array objective under the convention of objective.ts (a `differentiate`d function of
 * one array, or a `Scalar`-generic one for the tape; for Jacobians a `Scalar`-generic vector
 * function) and returns the callback in the other library's shape.
 */
import { describe, expectFunction, expectFiniteVector, invalidArgument } from "../../errors.js";
import type { Numeric, Scalar, VectorFn } from "../../scalar/scalar.js";
import { objectiveOf, type ArrayObjective } from "./objective.js";
import { residualsOf } from "./residuals.js";

/** f(x) with ∇f(x) as a fresh `Float64Array`, checked under `op`. */
function evaluate(op: string, f: ArrayObjective, x: unknown): [number, Float64Array] {
  const objective = objectiveOf(op, f, x);
  const g = new Float64Array(objective.n);
  return [objective.valueAndGradient(objective.start, g), g];
}

/**
 * fmin's convention (`conjugateGradient`, `gradientDescent`, …): `(x, fxprime) => fx`, writing ∇f(x)
 * into `fxprime` (an array of x's length, filled in place) when it is given.
 */
export function toFmin(f: ArrayObjective): (x: ArrayLike<number>, fxprime?: number[] | Float64Array) => number {
  const op = "toFmin";
  expectFunction(op, "f", f);
  return (x, fxprime) => {
    const [value, g] = evaluate(op, f, x);
    if (fxprime !== undefined) {
      if ((!Array.isArray(fxprime) && !(fxprime instanceof Float64Array)) || fxprime.length !== g.length) {
        throw invalidArgument(op, `fxprime must be an array of x's length (${g.length}), got ${describe(fxprime)}`, { argument: "fxprime", got: describe(fxprime) });
      }
      for (let i = 0; i < g.length; i++) fxprime[i] = g[i];
    }
    return value;
  };
}

/** SciPy's `jac=True` form: `x => [f(x), ∇f(x)]`, the gradient a `number[]`. */
export function toValueAndGradient(f: ArrayObjective): (x: ArrayLike<number>) => [number, number[]] {
  const op = "toValueAndGradient";
  expectFunction(op, "f", f);
  return (x) => {
    const [value, g] = evaluate(op, f, x);
    return [value, Array.from(g)];
  };
}

/** The Jacobian of a vector function, J[i][j] = ∂fᵢ/∂xⱼ, by forward mode for m ≥ n and reverse mode otherwise. */
export function toJacobian(f: VectorFn): (x: ArrayLike<number>) => number[][] {
  const op = "toJacobian";
  expectFunction(op, "f", f);
  return (x) => {
    const fn = residualsOf(op, f, x);
    const n = fn.start.length;
    const { J } = fn.jacobian(fn.start);
    return Array.from({ length: J.length / n }, (_, i) => Array.from(J.subarray(i * n, (i + 1) * n)));
  };
}

/** A model in ml-levenberg-marquardt's parameterised form, written over `Scalar`: `(params, S) => (t) => y`. */
export type ParameterizedModel = <T extends Numeric<T>>(params: readonly T[], S: Scalar<T>) => (t: number) => T | number;

/**
 * For fitters that take a model `params => t => y` and data points t: the Jacobian of the model's
 * values at `ts` with respect to the parameters, `(params) => J` with J[i][j] = ∂y(tᵢ)/∂pⱼ.
 */
export function toModelJacobian(model: ParameterizedModel, ts: ArrayLike<number>): (params: ArrayLike<number>) => number[][] {
  const op = "toModelJacobian";
  expectFunction(op, "model", model);
  const points = expectFiniteVector(op, "ts", ts, 1);
  const values: VectorFn = (ps, S) => {
    const y: unknown = model(ps, S);
    if (typeof y !== "function") throw invalidArgument(op, `model(params) must return a function of t, got ${describe(y)}`, { argument: "model", returned: describe(y) });
    return points.map((t) => (y as (t: number) => never)(t));
  };
  return toJacobian(values);
}
