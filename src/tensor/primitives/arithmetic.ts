/**
 * add, sub, mul, div, neg: elementwise with NumPy broadcasting. VJP rules return cotangents in the
 * output's shape; the engine sums them back to each input's shape.
 */
import { binaryOp, unaryOp } from "../../backends/dispatch.js";
import { bind, definePrimitive } from "../primitive.js";
import type { Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { BinaryResult, BroadcastCheck } from "../types.js";
import { liftPair, type TensorLike, zerosLike } from "./lift.js";

type Pair = readonly [Tensor, Tensor];

/** Adds two optional tangents (null is zero). */
function plus(a: Tensor | null, b: Tensor | null): Tensor | null {
  if (a === null) return b;
  if (b === null) return a;
  return add(a, b);
}

const zeroIfNull = (t: Tensor | null, like: Tensor): Tensor => t ?? zerosLike(like);

const addKernel = binaryOp("add", (x, y) => x + y);
const subKernel = binaryOp("sub", (x, y) => x - y);
const mulKernel = binaryOp("mul", (x, y) => x * y);
const divKernel = binaryOp("div", (x, y) => x / y);
const negKernel = unaryOp("neg", (x) => -x);

export const addP = definePrimitive("add", {
  impl: ([a, b]) => addKernel(a, b),
  vjp: ({ cotangent: g }) => [g, g],
  jvp: ({ tangents: [ta, tb], output }) => zeroIfNull(plus(ta, tb), output),
});

export const subP = definePrimitive("sub", {
  impl: ([a, b]) => subKernel(a, b),
  vjp: ({ cotangent: g }) => [g, neg(g)],
  jvp: ({ tangents: [ta, tb], output }) => zeroIfNull(plus(ta, tb === null ? null : neg(tb)), output),
});

export const mulP = definePrimitive("mul", {
  impl: ([a, b]) => mulKernel(a, b),
  // d(ab) = b da + a db
  vjp: ({ cotangent: g, inputs: [a, b] }) => [mul(g, b), mul(g, a)],
  jvp: ({ tangents: [ta, tb], inputs: [a, b], output }) => zeroIfNull(plus(ta === null ? null : mul(ta, b), tb === null ? null : mul(a, tb)), output),
});

export const divP = definePrimitive("div", {
  impl: ([a, b]) => divKernel(a, b),
  // d(a/b) = da/b − (a/b)·db/b
  vjp: ({ cotangent: g, inputs: [, b], output }) => [div(g, b), neg(mul(g, div(output, b)))],
  jvp: ({ tangents: [ta, tb], inputs: [, b], output }) =>
    zeroIfNull(plus(ta === null ? null : div(ta, b), tb === null ? null : neg(mul(tb, div(output, b)))), output),
});

export const negP = definePrimitive("neg", {
  impl: ([a]) => negKernel(a),
  vjp: ({ cotangent: g }) => [neg(g)],
  jvp: ({ tangents: [t], output }) => (t === null ? zerosLike(output) : neg(t)),
});

function binary(prim: typeof addP, a: unknown, b: unknown): Tensor {
  const pair: Pair = liftPair(prim.name, a, b);
  return bind(prim, pair, undefined);
}

/** a + b, broadcasting; numbers are constants of the tensor's dtype. Literal shapes are checked by the compiler. */
export function add<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return binary(addP, a, b) as Tensor<BinaryResult<X, Y>>;
}
export function sub<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return binary(subP, a, b) as Tensor<BinaryResult<X, Y>>;
}
export function mul<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return binary(mulP, a, b) as Tensor<BinaryResult<X, Y>>;
}
export function div<X extends TensorLike, Y extends TensorLike>(a: X, b: Y & BroadcastCheck<X, Y>): Tensor<BinaryResult<X, Y>> {
  return binary(divP, a, b) as Tensor<BinaryResult<X, Y>>;
}
export function neg<S extends Shape>(a: Tensor<S>): Tensor<S> {
  const [x] = liftPair("neg", a, 0);
  return bind(negP, [x], undefined) as Tensor<S>;
}
