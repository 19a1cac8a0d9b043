/**
 * The one input convention of the scientific optimisers: an objective and a starting point, where the
 * starting point says how the objective is differentiated.
 *
 * - `x0` a float64 `Tensor`: f is `(x: Tensor) => Tensor` (one element), differentiated by the tensor
 *   engine (`valueAndGrad`; Hessian-vector products are `jvp` of `grad`, forward over reverse).
 * - `x0` an array of numbers (`number[]` or `Float64Array`): f is either a function `differentiate`
 *   made of one array argument (it returns `{ value, gradient }` itself), or a `MultivariateFn`
 *   `(xs, S) => …` written over `Scalar`, differentiated by the scalar tape.
 *
 * Inside, every optimiser sees the same thing: a `Float64Array` x, f(x), ∇f(x) written into a
 * buffer, and H(x)·v where the objective can give it.
 */
import { AdError, describe, expectFiniteVector, expectFunction, invalidArgument } from "../../errors.js";
import { hessianVectorProduct, valueAndGradient } from "../../scalar/functionals.js";
import type { MultivariateFn } from "../../scalar/scalar.js";
import { Var } from "../../scalar/tape/variable.js";
import { grad, jvp, valueAndGrad } from "../../tensor/autograd/transforms.js";
import { tensor } from "../../tensor/creation.js";
import { isFloat } from "../../tensor/dtype.js";
import { Tensor } from "../../tensor/tensor.js";

/** What `differentiate` makes of a function of one array: f(x) with its gradient (one entry per argument). */
export interface DifferentiatedFn {
  (x: Float64Array): { readonly value: number; readonly gradient: readonly unknown[] };
  readonly source: string;
}

/** A plain-array objective: a `differentiate`d function of one array, or a `Scalar`-generic one for the tape. */
export type ArrayObjective = DifferentiatedFn | MultivariateFn;

export interface Objective<X> {
  /** x0, as a fresh `Float64Array`. */
  readonly start: Float64Array;
  readonly n: number;
  /** f(x), with ∇f(x) written into `g`. */
  valueAndGradient(x: Float64Array, g: Float64Array): number;
  /** H(x)·v, or `undefined` where the objective has no second derivatives. */
  readonly hessianVector: ((x: Float64Array, v: Float64Array) => Float64Array) | undefined;
  /** x (or a gradient) in the caller's form: a tensor of x0's shape, or a `Float64Array`. */
  output(x: Float64Array): X;
}

/** The float64 starting tensor, checked (the optimisers work in float64 throughout). */
export function startTensor(op: string, x0: Tensor): Tensor {
  if (x0.dtype !== "float64") throw new AdError("DTypeMismatch", `${op} works in float64; x0 is ${x0.dtype} (cast it first)`, { op, dtype: x0.dtype });
  if (x0.size === 0) throw new AdError("ShapeMismatch", `${op} needs at least one variable, got an empty x0`, { op, shape: [...x0.shape] });
  return x0;
}

/** x0 as a fresh `Float64Array`: the tensor's elements, or the checked numbers. */
export function startPoint(op: string, x0: unknown): Float64Array {
  if (x0 instanceof Tensor) return Float64Array.from(startTensor(op, x0).data());
  return Float64Array.from(expectFiniteVector(op, "x0", x0, 1));
}

/** A tensor of `like`'s shape and device holding x. */
export function asTensor(x: Float64Array, like: Tensor): Tensor {
  return tensor(x, { dtype: "float64", shape: like.shape, device: like.device });
}

/** Whether f is `differentiate`'s output (it carries its generated source) rather than a tape function. */
function isDifferentiated(f: unknown): f is DifferentiatedFn {
  return typeof (f as { source?: unknown }).source === "string";
}

/** The objective for (f, x0), under `op`'s name. */
export function objectiveOf(op: string, f: unknown, x0: unknown): Objective<Tensor | Float64Array> {
  expectFunction(op, "f", f);
  const start = startPoint(op, x0);
  if (x0 instanceof Tensor) return tensorObjective(op, f as (x: Tensor) => Tensor, x0, start);
  if (isDifferentiated(f)) return differentiatedObjective(op, f, start);
  return tapeObjective(op, f as MultivariateFn, start);
}

function tensorObjective(op: string, f: (x: Tensor) => Tensor, like: Tensor, start: Float64Array): Objective<Tensor> {
  const checked = (x: Tensor): Tensor => {
    const y: unknown = f(x);
    if (!(y instanceof Tensor) || y.size !== 1 || !isFloat(y.dtype)) {
      throw invalidArgument(op, `f must return a one-element float tensor, got ${y instanceof Tensor ? `a ${y.dtype} tensor of ${y.size} elements` : describe(y)}`, {
        argument: "f",
        returned: describe(y),
      });
    }
    return y;
  };
  const vg = valueAndGrad(checked);
  const gradient = grad(checked) as (x: Tensor) => Tensor;
  return {
    start,
    n: start.length,
    valueAndGradient(x, g) {
      const [y, dx] = vg(asTensor(x, like));
      g.set((dx as Tensor).data());
      return y.item();
    },
    hessianVector: (x, v) => Float64Array.from(jvp(gradient, [asTensor(x, like)], [asTensor(v, like)])[1].data()),
    output: (x) => asTensor(x, like),
  };
}

function differentiatedObjective(op: string, f: DifferentiatedFn, start: Float64Array): Objective<Float64Array> {
  return {
    start,
    n: start.length,
    valueAndGradient(x, g) {
      const out: unknown = f(x);
      const value = (out as { value?: unknown } | null)?.value;
      const gradient = (out as { gradient?: unknown } | null)?.gradient;
      const gx: unknown = Array.isArray(gradient) ? gradient[0] : undefined;
      if (typeof value !== "number" || !(gx instanceof Float64Array) || gx.length !== start.length) {
        throw invalidArgument(
          op,
          `a differentiated f must be of one array argument of length ${start.length} and return { value, gradient: [Float64Array] }, got ${describe(out)}`,
          {
            argument: "f",
            returned: describe(out),
          },
        );
      }
      g.set(gx);
      return value;
    },
    hessianVector: undefined,
    output: (x) => Float64Array.from(x),
  };
}

function tapeObjective(op: string, f: MultivariateFn, start: Float64Array): Objective<Float64Array> {
  const checked: MultivariateFn = (xs, S) => {
    const y: unknown = f(xs, S);
    if (typeof y !== "number" && !(y instanceof Var)) {
      throw invalidArgument(op, `f must return the value it computed from its arguments (or a number), got ${describe(y)}`, { argument: "f", returned: describe(y) });
    }
    return y as never;
  };
  return {
    start,
    n: start.length,
    valueAndGradient(x, g) {
      const { value, gradient } = valueAndGradient(checked, Array.from(x));
      g.set(gradient);
      return value;
    },
    hessianVector: (x, v) => Float64Array.from(hessianVectorProduct(checked, Array.from(x), Array.from(v))),
    output: (x) => Float64Array.from(x),
  };
}
