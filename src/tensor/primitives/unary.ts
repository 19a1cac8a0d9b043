/** Elementwise functions of one float tensor, each with its derivative next to it. */
import { mapUnary } from "../../backends/cpu/kernels/elementwise.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import type { Tensor } from "../tensor.js";
import { div, mul, neg, sub } from "./arithmetic.js";
import { expectFloat, lift, zerosLike } from "./lift.js";

/** A unary primitive from its kernel and its local derivative dy/dx (written with primitives). */
function unaryPrimitive(name: string, f: (x: number) => number, dydx: (x: Tensor, y: Tensor) => Tensor): Primitive<undefined> {
  return definePrimitive(name, {
    impl: ([x]) => mapUnary(expectFloat(name, x), f),
    vjp: ({ cotangent: g, inputs: [x], output }) => [mul(g, dydx(x, output))],
    jvp: ({ tangents: [t], inputs: [x], output }) => (t === null ? zerosLike(output) : mul(t, dydx(x, output))),
  });
}

export const expP = unaryPrimitive("exp", Math.exp, (_x, y) => y);
export const logP = unaryPrimitive("log", Math.log, (x) => div(1, x));
export const sinP = unaryPrimitive("sin", Math.sin, (x) => cos(x));
export const cosP = unaryPrimitive("cos", Math.cos, (x) => neg(sin(x)));
// d tanh x = (1 − tanh²x) dx
export const tanhP = unaryPrimitive("tanh", Math.tanh, (_x, y) => sub(1, mul(y, y)));
// d √x = dx / (2√x)
export const sqrtP = unaryPrimitive("sqrt", Math.sqrt, (_x, y) => div(0.5, y));

const apply = (prim: Primitive<undefined>, x: Tensor | number): Tensor => bind(prim, [lift(prim.name, x, undefined, "x")], undefined);

export const exp = (x: Tensor | number): Tensor => apply(expP, x);
export const log = (x: Tensor | number): Tensor => apply(logP, x);
export const sin = (x: Tensor | number): Tensor => apply(sinP, x);
export const cos = (x: Tensor | number): Tensor => apply(cosP, x);
export const tanh = (x: Tensor | number): Tensor => apply(tanhP, x);
export const sqrt = (x: Tensor | number): Tensor => apply(sqrtP, x);
