/**
 * Float functions of two operands, broadcasting, that are primitives rather than composites for
 * stability: atan2 (the quadrant, which a / b loses), hypot (no overflow of a² + b²) and logaddexp
 * (no overflow of eᵃ + eᵇ). Int32 and bool operands are promoted to float32, as in PyTorch. The
 * scalar table's atan2 and hypot branch on values at the origin; here the same convention (derivative
 * 0 there) comes from divSafe, which is 0 where its numerator is.
 */
import type { BinaryOp } from "../../backends/expressions.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import type { Tensor } from "../tensor.js";
import { add, addTangents, divSafe, mul, neg, sub } from "./arithmetic.js";
import { binaryExpression } from "./expression.js";
import { expectFloat, liftFloatPair, type TensorLike } from "./lift.js";
import { broadcastRule } from "./rules.js";
import { sigmoid } from "./unary.js";

type Partials = (a: Tensor, b: Tensor, y: Tensor) => readonly [Tensor, Tensor];

/** A float binary primitive from its op and its partial derivatives (∂y/∂a, ∂y/∂b), written with primitives. */
function floatBinary(name: BinaryOp, partials: Partials): Primitive<undefined> {
  const shape = broadcastRule(name);
  return definePrimitive(name, {
    abstract: ([a, b]) => shape([expectFloat(name, a), b]),
    impl: ([a, b], _, k) => binaryExpression(k, name, a, b),
    broadcasts: true,
    vjp: ({ cotangent: g, inputs: [a, b], output }) => {
      const [da, db] = partials(a, b, output);
      return [a.requiresGrad ? mul(g, da) : null, b.requiresGrad ? mul(g, db) : null];
    },
    jvp: ({ tangents: [ta, tb], inputs: [a, b], output }) => {
      const [da, db] = partials(a, b, output);
      return addTangents(ta === null ? null : mul(ta, da), tb === null ? null : mul(tb, db));
    },
  });
}

// atan2(a, b) is the angle of the point (b, a): d = (b da − a db) / (a² + b²), 0 at the origin.
export const atan2P = floatBinary("atan2", (a, b) => {
  const r2 = add(mul(a, a), mul(b, b));
  return [divSafe(b, r2), neg(divSafe(a, r2))];
});

// d √(a² + b²) = (a da + b db) / y, 0 at the origin.
export const hypotP = floatBinary("hypot", (a, b, y) => [divSafe(a, y), divSafe(b, y)]);

// d log(eᵃ + eᵇ) = σ(a − b) da + σ(b − a) db.
export const logaddexpP = floatBinary("logaddexp", (a, b) => [sigmoid(sub(a, b)), sigmoid(sub(b, a))]);

const floatPair = (prim: Primitive<undefined>, a: TensorLike, b: TensorLike): Tensor => bind(prim, liftFloatPair(prim.name, a, b), undefined);

/** The angle of the point (b, a) in (−π, π], elementwise with broadcasting (PyTorch's atan2). */
export const atan2 = (a: TensorLike, b: TensorLike): Tensor => floatPair(atan2P, a, b);
/** √(a² + b²) elementwise, without overflow or underflow in between. */
export const hypot = (a: TensorLike, b: TensorLike): Tensor => floatPair(hypotP, a, b);
/** log(eᵃ + eᵇ) elementwise, without overflow. */
export const logaddexp = (a: TensorLike, b: TensorLike): Tensor => floatPair(logaddexpP, a, b);
