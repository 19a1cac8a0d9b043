/**
 * The piecewise-constant elementwise functions: floor, ceil, round (ties to even, as PyTorch) and
 * trunc, of one operand; fmod and remainder, of two. The rounding ones have derivative zero (the
 * symbolic zero: no rule output), as in PyTorch, and are the identity on int32, where every value is
 * already an integer. fmod and remainder are a − q·b for a locally constant q, so d = da − q·db.
 */
import type { UnaryOp } from "../../backends/expressions.js";
import { AdError } from "../../errors.js";
import { isInteger } from "../dtype.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import type { Tensor } from "../tensor.js";
import type { ShapeOf } from "../types.js";
import { addTangents, floorDiv, div, mul, neg } from "./arithmetic.js";
import { binaryExpression, unaryExpression } from "./expression.js";
import { expectFloat, expectNumeric, lift, liftPair, type TensorLike } from "./lift.js";
import { broadcastRule } from "./rules.js";

function roundingPrimitive(name: UnaryOp & ("floor" | "ceil" | "round" | "trunc")): Primitive<undefined> {
  return definePrimitive(name, {
    abstract: ([x]) => expectFloat(name, x),
    impl: ([x], _, k) => unaryExpression(k, name, x),
    vjp: () => [null],
    jvp: () => null,
  });
}

export const floorP = roundingPrimitive("floor");
export const ceilP = roundingPrimitive("ceil");
export const roundP = roundingPrimitive("round");
export const truncP = roundingPrimitive("trunc");

/** The user-facing rounding function: an integer tensor is returned as it is, bool is a DTypeMismatch (as in PyTorch). */
const roundingFunction =
  (prim: Primitive<undefined>) =>
  <X extends Tensor | number>(x: X): Tensor<ShapeOf<X>> => {
    const t = expectNumeric(prim.name, lift(prim.name, x, undefined, "x"));
    return (isInteger(t.dtype) ? t : bind(prim, [t], undefined)) as Tensor<ShapeOf<X>>;
  };

/** The largest integer ≤ x. */
export const floor = roundingFunction(floorP);
/** The smallest integer ≥ x. */
export const ceil = roundingFunction(ceilP);
/** The nearest integer, ties to even (2.5 → 2, 3.5 → 4, −0.5 → −0), as PyTorch's round. */
export const round = roundingFunction(roundP);
/** x rounded toward zero. */
export const trunc = roundingFunction(truncP);

/** trunc(a / b) and floor(a / b): the quotients that fmod and remainder take away. */
const truncDiv = (a: Tensor, b: Tensor): Tensor => trunc(div(a, b));

function modPrimitive(name: "fmod" | "remainder", quotient: (a: Tensor, b: Tensor) => Tensor): Primitive<undefined> {
  return definePrimitive(name, {
    abstract: broadcastRule(name),
    impl: ([a, b], _, k) => binaryExpression(k, name, a, b),
    broadcasts: true,
    // d (a − q·b) = da − q·db, q = trunc(a / b) (fmod) or floor(a / b) (remainder), locally constant.
    vjp: ({ cotangent: g, inputs: [a, b] }) => [g, b.requiresGrad ? neg(mul(g, quotient(a, b))) : null],
    jvp: ({ tangents: [ta, tb], inputs: [a, b] }) => addTangents(ta, tb === null ? null : neg(mul(tb, quotient(a, b)))),
  });
}

export const fmodP = modPrimitive("fmod", truncDiv);
export const remainderP = modPrimitive("remainder", (a, b) => floorDiv(a, b));

function mod(prim: Primitive<undefined>, a: TensorLike, b: TensorLike): Tensor {
  const pair = liftPair(prim.name, a, b);
  if (pair[0].dtype === "bool")
    throw new AdError("DTypeMismatch", `${prim.name} needs int32 or float operands, got bool and bool; cast one first`, { op: prim.name, dtypes: ["bool", "bool"] });
  return bind(prim, pair, undefined);
}

/**
 * a − trunc(a / b)·b elementwise, broadcasting (C's fmod, PyTorch's fmod): the sign of a. NaN where
 * b is 0 for floats; 0 for int32 (where PyTorch raises).
 */
export const fmod = (a: TensorLike, b: TensorLike): Tensor => mod(fmodP, a, b);
/**
 * a − floor(a / b)·b elementwise, broadcasting (Python's %, PyTorch's remainder): the sign of b. NaN
 * where b is 0 for floats; 0 for int32 (where PyTorch raises).
 */
export const remainder = (a: TensorLike, b: TensorLike): Tensor => mod(remainderP, a, b);
