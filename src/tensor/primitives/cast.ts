/**
 * cast: the same values in another dtype (float32 rounding, int32 truncation toward zero, bool as
 * "≠ 0", so NaN is true as in NumPy). The derivative of a float → float cast is the identity (the
 * cotangent is cast back to the input's dtype); a cast to or from int32/bool has none: the VJP gives
 * no cotangent and the JVP is zero, so a mask cast to float is a constant.
 */
import { describe, invalidArgument } from "../../errors.js";
import { type DType, expectDType, isFloat } from "../dtype.js";
import { bind, definePrimitive } from "../primitive.js";
import { Tensor } from "../tensor.js";
import { unaryExpression } from "./expression.js";

export const castP = definePrimitive<{ readonly dtype: DType }>("cast", {
  // Typed-array stores round to float32 and truncate to int32 (ToInt32) by themselves.
  abstract: ([x], { dtype }) => ({ shape: x.shape, dtype }),
  impl: ([x], { dtype }, k) => (x.dtype === dtype ? x : unaryExpression(k, dtype === "bool" ? "toBool" : "convert", x, dtype)),
  vjp: ({ cotangent: g, inputs: [x], params: { dtype } }) => [isFloat(x.dtype) && isFloat(dtype) ? cast(g, x.dtype) : null],
  jvp: ({ tangents: [t], inputs: [x], params: { dtype } }) => (t !== null && isFloat(x.dtype) && isFloat(dtype) ? cast(t, dtype) : null),
});

/** x's values as `dtype`; differentiable between float dtypes, a constant otherwise. */
export function cast(x: Tensor, dtype: DType): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument("cast", `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  return bind(castP, [x], { dtype: expectDType("cast", dtype) });
}
