/**
 * eq, ne, lt, le, gt, ge: elementwise comparisons with NumPy broadcasting and a `bool` result. A
 * comparison is piecewise constant, so it carries no derivative: its VJP gives no cotangent (null) to
 * either operand and its JVP is zero (null), and anything computed from a mask (cast, where) differentiates
 * without error. Masks for derivative rules at kinks (relu, abs, maximum) are built from these.
 */
import type { BinaryOp } from "../../backends/expressions.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import type { Tensor } from "../tensor.js";
import { binaryExpression } from "./expression.js";
import { broadcastRule } from "./rules.js";
import { liftPair, type TensorLike } from "./lift.js";

/** A comparison primitive from its op in the expression table; NaN compares false except under `ne`, as in IEEE 754. */
function comparePrimitive(name: BinaryOp): Primitive<undefined> {
  return definePrimitive(name, {
    abstract: broadcastRule(name, "bool"),
    impl: ([a, b], _, k) => binaryExpression(k, name, a, b, "bool"),
    broadcasts: true,
    vjp: () => [null, null],
    jvp: () => null,
  });
}

export const eqP = comparePrimitive("eq");
export const neP = comparePrimitive("ne");
export const ltP = comparePrimitive("lt");
export const leP = comparePrimitive("le");
export const gtP = comparePrimitive("gt");
export const geP = comparePrimitive("ge");

function compare(prim: Primitive<undefined>, a: TensorLike, b: TensorLike): Tensor {
  return bind(prim, liftPair(prim.name, a, b), undefined);
}

/** a = b elementwise (bool), broadcasting; a number is a constant of the tensor's dtype. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare(eqP, a, b);
/** a ≠ b elementwise (bool); true where either is NaN. */
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare(neP, a, b);
/** a < b elementwise (bool). */
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare(ltP, a, b);
/** a ≤ b elementwise (bool). */
export const le = (a: TensorLike, b: TensorLike): Tensor => compare(leP, a, b);
/** a > b elementwise (bool). */
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare(gtP, a, b);
/** a ≥ b elementwise (bool). */
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare(geP, a, b);
