/**
 * add, sub, mul, div, neg, floorDiv: elementwise with NumPy broadcasting. VJP rules return cotangents in the
 * output's shape; the engine sums them back to each input's shape. JVP terms may keep an input's
 * shape (add's da); the engine expands them to the output's.
 */
import { AdError, asOp } from "../../errors.js";
import { bind, definePrimitive } from "../primitive.js";
import type { Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { BinaryResult, BroadcastCheck } from "../types.js";
import { binaryExpression, unaryExpression } from "./expression.js";
import { broadcastRule, sameRule } from "./rules.js";
import { expectNumeric, lift, liftFloatPair, liftPair, type TensorLike } from "./lift.js";

type Pair = readonly [Tensor, Tensor];

/**
 * The sum of two optional tangent terms (null is zero; both null stays null). A term may have its
 * input's shape rather than the output's: for a broadcasting primitive the engine expands it.
 */
export function addTangents(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  return add(a, b);
}

export const addP = definePrimitive("add", {
  abstract: broadcastRule("add"),
  impl: ([a, b], _, k) => binaryExpression(k, "add", a, b),
  broadcasts: true,
  vjp: ({ cotangent: g }) => [g, g],
  jvp: ({ tangents: [ta, tb] }) => addTangents(ta, tb),
});

export const subP = definePrimitive("sub", {
  abstract: broadcastRule("sub"),
  impl: ([a, b], _, k) => binaryExpression(k, "sub", a, b),
  broadcasts: true,
  vjp: ({ cotangent: g }) => [g, neg(g)],
  jvp: ({ tangents: [ta, tb] }) => addTangents(ta, tb === null ? null : neg(tb)),
});

export const mulP = definePrimitive("mul", {
  abstract: broadcastRule("mul"),
  impl: ([a, b], _, k) => binaryExpression(k, "mul", a, b),
  broadcasts: true,
  // d(ab) = b da + a db
  vjp: ({ cotangent: g, inputs: [a, b] }) => [mul(g, b), mul(g, a)],
  jvp: ({ tangents: [ta, tb], inputs: [a, b] }) => addTangents(ta === null ? null : mul(ta, b), tb === null ? null : mul(a, tb)),
});

export const divP = definePrimitive("div", {
  abstract: broadcastRule("div"),
  impl: ([a, b], _, k) => binaryExpression(k, "div", a, b),
  // d(a/b) = da/b − (a/b)·db/b; 1/b is infinite at b = 0, so a zero (co)tangent goes through the safe forms.
  broadcasts: true,
  vjp: ({ cotangent: g, inputs: [, b], output }) => [divSafe(g, b), neg(divSafe(mulSafe(g, output), b))],
  jvp: ({ tangents: [ta, tb], inputs: [, b], output }) => addTangents(ta === null ? null : divSafe(ta, b), tb === null ? null : neg(divSafe(mulSafe(tb, output), b))),
});

/*
 * The zero-(co)tangent convention (docs/errors-and-edges.md, "Derivatives at the edges"): a zero tangent or cotangent
 * contributes zero even against an infinite or NaN local derivative, as on the scalar tape and Dual.
 * Only rules whose local derivative can be infinite (log, sqrt, rsqrt, pow, div) pay for it, through
 * these two products (mulSafe and divSafe in backends/expressions.ts); their own rules use them
 * again, so higher orders keep the convention.
 */
// mulSafe(a, b) = a·b, 0 where a = 0: d = b da + a db, each term 0 where its (co)tangent or a is 0.
export const mulSafeP = definePrimitive("mulSafe", {
  abstract: broadcastRule("mulSafe"),
  impl: ([a, b], _, k) => binaryExpression(k, "mulSafe", a, b),
  broadcasts: true,
  vjp: ({ cotangent: c, inputs: [a, b] }) => [mulSafe(c, b), mulSafe(a, c)],
  jvp: ({ tangents: [ta, tb], inputs: [a, b] }) => addTangents(ta === null ? null : mulSafe(ta, b), tb === null ? null : mulSafe(a, tb)),
});

// divSafe(a, b) = a/b, 0 where a = 0: d = da/b − (a/b)·db/b, as div's rule.
export const divSafeP = definePrimitive("divSafe", {
  abstract: broadcastRule("divSafe"),
  impl: ([a, b], _, k) => binaryExpression(k, "divSafe", a, b),
  broadcasts: true,
  vjp: ({ cotangent: c, inputs: [, b], output }) => [divSafe(c, b), neg(divSafe(mulSafe(c, output), b))],
  jvp: ({ tangents: [ta, tb], inputs: [, b], output }) => addTangents(ta === null ? null : divSafe(ta, b), tb === null ? null : neg(divSafe(mulSafe(tb, output), b))),
});

/** g·d, but 0 where g is 0 even if d is ±∞ or NaN (internal: not exported by adjoint/tensor). */
export function mulSafe(g: Tensor, d: Tensor): Tensor {
  return bind(mulSafeP, liftPair("mulSafe", g, d), undefined);
}

/** g/d, but 0 where g is 0 even if d is 0 or NaN (internal). */
export function divSafe(g: Tensor, d: Tensor): Tensor {
  return bind(divSafeP, liftPair("divSafe", g, d), undefined);
}

// Piecewise constant, as floor is: no cotangent to either operand, a zero tangent.
export const floorDivP = definePrimitive("floorDiv", {
  abstract: broadcastRule("floorDiv"),
  impl: ([a, b], _, k) => binaryExpression(k, "floorDiv", a, b),
  broadcasts: true,
  vjp: () => [null, null],
  jvp: () => null,
});

export const negP = definePrimitive("neg", {
  abstract: sameRule,
  impl: ([a], _, k) => unaryExpression(k, "neg", a),
  vjp: ({ cotangent: g }) => [neg(g)],
  jvp: ({ tangents: [t] }) => (t === null ? null : neg(t)),
});

function binary(prim: typeof addP, a: unknown, b: unknown): Tensor {
  const pair: Pair = liftPair(prim.name, a, b);
  return bind(prim, pair, undefined);
}

/** a + b, broadcasting; operands promote (dtype.ts `resultType`), numbers are weakly typed. Literal shapes are checked by the compiler. */
export function add<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return binary(addP, a, b) as Tensor<BinaryResult<X, Y>>;
}
export function sub<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return binary(subP, a, b) as Tensor<BinaryResult<X, Y>>;
}
export function mul<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return binary(mulP, a, b) as Tensor<BinaryResult<X, Y>>;
}
/** a / b, true division: int32 and bool operands divide as float32 (floorDiv keeps ints). */
export function div<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return bind(divP, liftFloatPair("div", a, b), undefined) as Tensor<BinaryResult<X, Y>>;
}
/**
 * ⌊a / b⌋ elementwise, broadcasting, in the operands' promoted dtype (PyTorch's floor_divide): ints
 * stay int32 (a zero divisor gives 0 where PyTorch raises), floats round toward −∞. Its gradient is
 * zero. Two bool operands are a DTypeMismatch, as in PyTorch.
 */
export function floorDiv<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return floorDivAs("floorDiv", a, b) as Tensor<BinaryResult<X, Y>>;
}
/** PyTorch's name for floorDiv: the same function, its errors naming floorDivide. */
export function floorDivide<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return floorDivAs("floorDivide", a, b) as Tensor<BinaryResult<X, Y>>;
}

function floorDivAs(op: string, a: unknown, b: unknown): Tensor {
  const pair = liftPair(op, a, b);
  if (pair[0].dtype === "bool") throw new AdError("DTypeMismatch", `${op} needs int32 or float operands, got bool and bool; cast one first`, { op, dtypes: ["bool", "bool"] });
  return asOp(op, () => bind(floorDivP, pair, undefined));
}

/** −a in a's dtype; int32 wraps (−(−2³¹) is −2³¹), bool is a DTypeMismatch, as in PyTorch. */
export function neg<S extends Shape>(a: Tensor<S>): Tensor<S> {
  const x = expectNumeric("neg", lift("neg", a, undefined, "a"));
  return bind(negP, [x], undefined) as Tensor<S>;
}
