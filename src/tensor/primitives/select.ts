/**
 * Selection: where (a primitive), maximum and minimum (primitives whose rules are masks built from
 * comparisons and casts), clip (composed of maximum and minimum). All broadcast NumPy-style.
 */
import { AdError, asOp, describe, invalidArgument } from "../../errors.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import { broadcastShapes } from "../shape.js";
import { Tensor } from "../tensor.js";
import { add, addTangents, mul } from "./arithmetic.js";
import { cast } from "./cast.js";
import { eq, gt, lt } from "./compare.js";
import { binaryExpression, whereExpression } from "./expression.js";
import { liftPair, type TensorLike } from "./lift.js";
import { broadcastRule } from "./rules.js";

export const whereP = definePrimitive("where", {
  abstract: ([cond, a, b]) => ({ shape: broadcastShapes("where", broadcastShapes("where", cond.shape, a.shape), b.shape), dtype: a.dtype }),
  impl: ([cond, a, b], _, k) => whereExpression(k, cond, a, b),
  broadcasts: true,
  // The condition is piecewise constant: no cotangent to it. Each branch gets g where it was chosen.
  vjp: ({ cotangent: g, inputs: [cond] }) => [null, where(cond, g, 0), where(cond, 0, g)],
  jvp: ({ tangents: [, ta, tb], inputs: [cond] }) => (ta === null && tb === null ? null : where(cond, ta ?? 0, tb ?? 0)),
});

/**
 * cond ? a : b elementwise, broadcasting all three. `cond` is a bool tensor (a comparison's result);
 * a number branch is a constant of the other branch's dtype (float32 when both are numbers). No
 * gradient flows to `cond`.
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  const op = "where";
  if (!(cond instanceof Tensor)) throw invalidArgument(op, `cond must be a bool Tensor, got ${describe(cond)}`, { argument: "cond", got: describe(cond) });
  if (cond.dtype !== "bool") throw new AdError("DTypeMismatch", `cond must be a bool tensor, got ${cond.dtype}; compare first (e.g. gt(x, 0))`, { op, dtype: cond.dtype });
  const [ta, tb] = liftPair(op, a, b);
  return bind(whereP, [cond, ta, tb], undefined);
}

/**
 * The derivative of an extremum with respect to a: 1 where a wins, ½ at a tie (so max(x, x) has
 * derivative 1), 0 where b wins or either is NaN. Built from comparisons, so it is a constant.
 */
function winnerMask(a: Tensor, b: Tensor, larger: boolean): Tensor {
  const wins = larger ? gt(a, b) : lt(a, b);
  return add(cast(wins, a.dtype), mul(cast(eq(a, b), a.dtype), 0.5));
}

function extremumPrimitive(name: "maximum" | "minimum", larger: boolean): Primitive<undefined> {
  return definePrimitive(name, {
    abstract: broadcastRule(name),
    impl: ([a, b], _, k) => binaryExpression(k, name, a, b),
    broadcasts: true,
    vjp: ({ cotangent: g, inputs: [a, b] }) => [mul(g, winnerMask(a, b, larger)), mul(g, winnerMask(b, a, larger))],
    jvp: ({ tangents: [ta, tb], inputs: [a, b] }) => addTangents(ta === null ? null : mul(ta, winnerMask(a, b, larger)), tb === null ? null : mul(tb, winnerMask(b, a, larger))),
  });
}

// NaN propagates, as in NumPy's maximum/minimum.
export const maximumP = extremumPrimitive("maximum", true);
export const minimumP = extremumPrimitive("minimum", false);

/** The elementwise larger of a and b, broadcasting; NaN if either is NaN; ties split the gradient ½/½. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return bind(maximumP, liftPair("maximum", a, b), undefined);
}

/** The elementwise smaller of a and b, broadcasting; NaN if either is NaN; ties split the gradient ½/½. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return bind(minimumP, liftPair("minimum", a, b), undefined);
}

/**
 * x limited to [min, max] elementwise: minimum(maximum(x, min), max), so bounds may be tensors that
 * broadcast (and get gradients), and at a bound the gradient is split ½/½ between x and the bound.
 * One bound may be omitted (undefined or null); number bounds must satisfy min ≤ max (where tensor
 * bounds cross, the result is max, as in NumPy).
 */
export function clip(x: Tensor, min?: TensorLike | null, max?: TensorLike | null): Tensor {
  const op = "clip";
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { argument: "x", got: describe(x) });
  for (const [name, bound] of [
    ["min", min],
    ["max", max],
  ] as const) {
    if (bound !== undefined && bound !== null && typeof bound !== "number" && !(bound instanceof Tensor)) {
      throw invalidArgument(op, `${name} must be a Tensor, a number or undefined, got ${describe(bound)}`, { argument: name, got: describe(bound) });
    }
  }
  if (typeof min === "number" && typeof max === "number" && !(min <= max)) {
    throw invalidArgument(op, `min must be ≤ max, got min ${min} and max ${max}`, { min, max });
  }
  if ((min === undefined || min === null) && (max === undefined || max === null)) throw invalidArgument(op, "give at least one of min and max");
  return asOp(op, () => {
    let y = x;
    if (min !== undefined && min !== null) y = maximum(y, min);
    if (max !== undefined && max !== null) y = minimum(y, max);
    return y;
  });
}
