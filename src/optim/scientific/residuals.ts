/**
 * Residual functions for Gauss–Newton and Levenberg–Marquardt, under the convention of
 * objective.ts: a float64 tensor x0 and f: Tensor → Tensor (any shape, flattened), or an array x0
 * and a `Scalar`-generic `(xs, S) => [r₁, …, r_m]` for the scalar functionals. The Jacobian
 * (m × n, row-major) comes from forward mode when m ≥ n (n passes) and reverse mode otherwise (m
 * sweeps), whichever is fewer.
 */
import { describe, expectFunction, invalidArgument } from "../../errors.js";
import { jacobian as reverseJacobian } from "../../scalar/functionals.js";
import { jacobianForward } from "../../scalar/forward.js";
import type { VectorFn } from "../../scalar/scalar.js";
import { Tape } from "../../scalar/tape/tape.js";
import { Var } from "../../scalar/tape/variable.js";
import { jacfwd, jacrev } from "../../tensor/autograd/transforms.js";
import { Tensor } from "../../tensor/tensor.js";
import { asTensor, startPoint } from "./objective.js";

export type JacobianMode = "forward" | "reverse";

export interface ResidualFunction<X> {
  readonly start: Float64Array;
  /** Residuals at x0 (computed once, to learn m). */
  readonly r0: Float64Array;
  readonly mode: JacobianMode;
  residuals(x: Float64Array): Float64Array;
  /** The residuals and their Jacobian J[i·n + j] = ∂rᵢ/∂xⱼ. */
  jacobian(x: Float64Array): { r: Float64Array; J: Float64Array };
  output(x: Float64Array): X;
}

/** Forward mode when there are at least as many residuals as variables. */
function modeFor(m: number, n: number): JacobianMode {
  return m >= n ? "forward" : "reverse";
}

export function residualsOf(op: string, f: unknown, x0: unknown): ResidualFunction<Tensor | Float64Array> {
  expectFunction(op, "f", f);
  const start = startPoint(op, x0);
  return x0 instanceof Tensor ? tensorResiduals(op, f as (x: Tensor) => Tensor, x0, start) : tapeResiduals(op, f as VectorFn, start);
}

function tensorResiduals(op: string, f: (x: Tensor) => Tensor, like: Tensor, start: Float64Array): ResidualFunction<Tensor> {
  const checked = (x: Tensor): Tensor => {
    const y: unknown = f(x);
    if (!(y instanceof Tensor) || y.dtype !== "float64" || y.size === 0) {
      throw invalidArgument(op, `f must return a non-empty float64 tensor of residuals, got ${y instanceof Tensor ? `a ${y.dtype} tensor of ${y.size} elements` : describe(y)}`, {
        argument: "f",
        returned: describe(y),
      });
    }
    return y;
  };
  const residuals = (x: Float64Array) => Float64Array.from(checked(asTensor(x, like)).data());
  const r0 = residuals(start);
  const mode = modeFor(r0.length, start.length);
  const jac = (mode === "forward" ? jacfwd : jacrev)(checked) as (x: Tensor) => Tensor;
  return {
    start,
    r0,
    mode,
    residuals,
    jacobian(x) {
      const t = asTensor(x, like);
      return { r: residuals(x), J: Float64Array.from(jac(t).data()) };
    },
    output: (x) => asTensor(x, like),
  };
}

function tapeResiduals(op: string, f: VectorFn, start: Float64Array): ResidualFunction<Float64Array> {
  const checked: VectorFn = (xs, S) => {
    const ys: unknown = f(xs, S);
    if (!Array.isArray(ys) || ys.length === 0)
      throw invalidArgument(op, `f must return a non-empty array of residuals, got ${describe(ys)}`, { argument: "f", returned: describe(ys) });
    return ys as never;
  };
  const tape = new Tape();
  // Residuals alone: one recording, no sweep.
  const residuals = (x: Float64Array): Float64Array => {
    tape.reset();
    const ys = checked(tape.variables(x), tape.scalar);
    return Float64Array.from(ys, (y, i) => {
      if (typeof y !== "number" && !(y instanceof Var))
        throw invalidArgument(op, `f's residual ${i} must be a value computed from its arguments or a number, got ${describe(y)}`, { argument: "f", index: i });
      return tape.value(y as Var | number);
    });
  };
  const r0 = residuals(start);
  const mode = modeFor(r0.length, start.length);
  const jac = mode === "forward" ? jacobianForward : reverseJacobian;
  return {
    start,
    r0,
    mode,
    residuals,
    jacobian(x) {
      const { value, jacobian } = jac(checked, Array.from(x));
      const m = value.length;
      const n = x.length;
      const J = new Float64Array(m * n);
      for (let i = 0; i < m; i++) J.set(jacobian[i], i * n);
      return { r: Float64Array.from(value), J };
    },
    output: (x) => Float64Array.from(x),
  };
}
