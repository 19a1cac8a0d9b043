/**
 * Elementwise functions of float tensors, each with its derivative next to it: the unary family, and
 * pow (binary, broadcasting). sigmoid, softplus and gelu are primitives rather than composites for
 * stability (no overflow of eˣ for large |x|) and speed (one pass); their rules are written with
 * primitives, so they nest. Rules at kinks use masks from comparisons (abs, relu: derivative 0 at 0).
 */
import { binaryOp, unaryOp } from "../../backends/dispatch.js";
import type { UnaryOp } from "../../backends/ops.js";
import { describe, expectOptions, invalidArgument } from "../../errors.js";
import { softplus as softplusNumber } from "../../scalar/elementary.js";
import { erf as erfNumber } from "../../scalar/special.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import type { Tensor } from "../tensor.js";
import type { ShapeOf } from "../types.js";
import { localDerivative } from "../autograd/anomaly.js";
import { add, addTangents, div, mul, mulSafe, neg, sub } from "./arithmetic.js";
import { eq } from "./compare.js";
import { expectFloat, expectNumeric, lift, liftPair, type TensorLike } from "./lift.js";
import { where } from "./select.js";

/**
 * A unary primitive from its kernel and its local derivative dy/dx (written with primitives).
 * `unbounded`: dy/dx can be ±∞ inside the domain's closure (log, sqrt, rsqrt at 0), so it is applied
 * with mulSafe — a zero (co)tangent stays zero there; the other rules pay nothing for it.
 */
function unaryPrimitive(name: UnaryOp, f: (x: number) => number, dydx: (x: Tensor, y: Tensor) => Tensor, unbounded = false): Primitive<undefined> {
  const kernel = unaryOp(name, f);
  const times = unbounded
    ? (g: Tensor, x: Tensor, y: Tensor) => mulSafe(g, localDerivative(() => dydx(x, y)))
    : (g: Tensor, x: Tensor, y: Tensor) => mul(g, dydx(x, y));
  return definePrimitive(name, {
    impl: ([x]) => kernel(expectFloat(name, x)),
    vjp: ({ cotangent: g, inputs: [x], output }) => [times(g, x, output)],
    jvp: ({ tangents: [t], inputs: [x], output }) => (t === null ? null : times(t, x, output)),
  });
}

export const expP = unaryPrimitive("exp", Math.exp, (_x, y) => y);
export const logP = unaryPrimitive("log", Math.log, (x) => div(1, x), true);
export const sinP = unaryPrimitive("sin", Math.sin, (x) => cos(x));
export const cosP = unaryPrimitive("cos", Math.cos, (x) => neg(sin(x)));
// d tanh x = (1 − tanh²x) dx
export const tanhP = unaryPrimitive("tanh", Math.tanh, (_x, y) => sub(1, mul(y, y)));
// d √x = dx / (2√x)
export const sqrtP = unaryPrimitive("sqrt", Math.sqrt, (_x, y) => div(0.5, y), true);
// d x^(−½) = −½ x^(−3/2) dx = −½ y³ dx
export const rsqrtP = unaryPrimitive("rsqrt", (x) => 1 / Math.sqrt(x), (_x, y) => mul(mul(y, mul(y, y)), -0.5), true);
// d|x| = sign(x) dx, 0 at 0 (the subgradient PyTorch and JAX use); sign itself is a mask of constants.
// Defined in full rather than by unaryPrimitive because it takes int32 too (|−2³¹| wraps to −2³¹, as in PyTorch).
const absKernel = unaryOp("abs", Math.abs);
export const absP = definePrimitive("abs", {
  impl: ([x]) => absKernel(expectNumeric("abs", x)),
  vjp: ({ cotangent: g, inputs: [x] }) => [mul(g, sign(x))],
  jvp: ({ tangents: [t], inputs: [x] }) => (t === null ? null : mul(t, sign(x))),
});
const reluKernel = unaryOp("relu", (x) => (x > 0 ? x : x <= 0 ? 0 : x));
// d relu(x) = [x > 0] dx: 0 at the kink. Both rules are one reluGrad pass rather than a mask and a product.
export const reluP = definePrimitive("relu", {
  impl: ([x]) => reluKernel(expectNumeric("relu", x)),
  vjp: ({ cotangent: g, inputs: [x] }) => [reluGrad(g, x)],
  jvp: ({ tangents: [t], inputs: [x] }) => (t === null ? null : reluGrad(t, x)),
});

const reluGradKernel = binaryOp("reluGrad", (g, x) => (x > 0 ? g : 0));
/**
 * reluGrad(g, x) = g where x > 0, else 0 (also where g is ±∞ or NaN, as PyTorch's threshold
 * backward): linear in g, piecewise constant in x.
 */
export const reluGradP = definePrimitive("reluGrad", {
  impl: ([g, x]) => reluGradKernel(g, x),
  broadcasts: true,
  vjp: ({ cotangent: c, inputs: [, x] }) => [reluGrad(c, x), null],
  jvp: ({ tangents: [tg], inputs: [, x] }) => (tg === null ? null : reluGrad(tg, x)),
});

/** g where x > 0, else 0 (relu's backward; internal: not exported by adjoint/tensor). */
export function reluGrad(g: Tensor, x: Tensor): Tensor {
  return bind(reluGradP, [g, x], undefined);
}
// d σ(x) = σ(x)(1 − σ(x)) dx
export const sigmoidP = unaryPrimitive("sigmoid", sigmoidNumber, (_x, y) => mul(y, sub(1, y)));
// d log(1 + eˣ) = σ(x) dx
export const softplusP = unaryPrimitive("softplus", softplusNumber, (x) => sigmoid(x));
// d erf x = (2/√π) e^(−x²) dx
export const erfP = unaryPrimitive("erf", erfNumber, (x) => mul(exp(neg(mul(x, x))), 2 / Math.sqrt(Math.PI)));

/** sign(x) ∈ {−1, 0, 1} in x's dtype, any dtype (NaN stays NaN): piecewise constant, so its derivative is 0 everywhere. */
const signKernel = unaryOp("sign", Math.sign);
export const signP = definePrimitive("sign", {
  impl: ([x]) => signKernel(x),
  vjp: () => [null],
  jvp: () => null,
});

/** 1/(1 + e⁻ˣ) without overflow: e⁻ˣ is only formed for x ≥ 0, eˣ for x < 0. */
function sigmoidNumber(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// gelu(x) = x Φ(x), Φ the standard normal CDF: d gelu = (Φ(x) + x φ(x)) dx, φ(x) = e^(−x²/2)/√(2π)
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
export const geluP = unaryPrimitive(
  "gelu",
  (x) => 0.5 * x * (1 + erfNumber(x * Math.SQRT1_2)),
  (x) => add(mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5), mul(x, mul(exp(mul(mul(x, x), -0.5)), INV_SQRT_2PI))),
);

// The tanh approximation ½x(1 + tanh u), u = k(x + c x³): d = ½(1 + t) + ½x(1 − t²)·k(1 + 3c x²), t = tanh u
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;
export const geluTanhP = unaryPrimitive(
  "geluTanh",
  (x) => 0.5 * x * (1 + Math.tanh(GELU_K * (x + GELU_C * x * x * x))),
  (x) => {
    const t = tanh(mul(add(x, mul(mul(x, mul(x, x)), GELU_C)), GELU_K));
    const du = mul(add(mul(mul(x, x), 3 * GELU_C), 1), GELU_K);
    return add(mul(add(t, 1), 0.5), mul(mul(x, 0.5), mul(sub(1, mul(t, t)), du)));
  },
);

/** The user-facing function of a unary primitive: a number is a scalar; the shape type is kept. */
const unaryFunction =
  (prim: Primitive<undefined>) =>
  <X extends Tensor | number>(x: X): Tensor<ShapeOf<X>> =>
    bind(prim, [lift(prim.name, x, undefined, "x")], undefined) as Tensor<ShapeOf<X>>;

export const exp = unaryFunction(expP);
export const log = unaryFunction(logP);
export const sin = unaryFunction(sinP);
export const cos = unaryFunction(cosP);
export const tanh = unaryFunction(tanhP);
export const sqrt = unaryFunction(sqrtP);
/** 1/√x. */
export const rsqrt = unaryFunction(rsqrtP);
/** |x|; the derivative at 0 is 0. */
export const abs = unaryFunction(absP);
/** −1, 0 or 1 by the sign of x (NaN for NaN); derivative 0. */
export const sign = unaryFunction(signP);
/** max(x, 0); the derivative at 0 is 0; NaN stays NaN. */
export const relu = unaryFunction(reluP);
/** The logistic function 1/(1 + e⁻ˣ), computed without overflow. */
export const sigmoid = unaryFunction(sigmoidP);
/** log(1 + eˣ), computed without overflow as max(x, 0) + log1p(e^(−|x|)). */
export const softplus = unaryFunction(softplusP);
/** The error function. */
export const erf = unaryFunction(erfP);

export interface GeluOptions {
  /** "none" (default): the exact x·Φ(x) with erf, as PyTorch's default. "tanh": the tanh approximation. */
  readonly approximate?: "none" | "tanh";
}

/** GELU: x·Φ(x) (exact, with erf) by default; `{ approximate: "tanh" }` for ½x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export function gelu(x: Tensor | number, options: GeluOptions = {}): Tensor {
  const approximate: unknown = expectOptions<GeluOptions>("gelu", options, ["approximate"]).approximate ?? "none";
  if (approximate !== "none" && approximate !== "tanh") {
    throw invalidArgument("gelu", `approximate must be "none" or "tanh", got ${describe(approximate)}`, { argument: "approximate", got: describe(approximate) });
  }
  return unaryFunction(approximate === "tanh" ? geluTanhP : geluP)(x);
}

const powKernel = binaryOp("pow", Math.pow);
export const powP = definePrimitive("pow", {
  impl: ([a, b]) => powKernel(expectFloat("pow", a), b),
  broadcasts: true,
  // ∂/∂a = b·a^(b−1), and 0 where b = 0 (even at a = 0). Where b = 0 it is written b·y/a, the same
  // function for a ≠ 0, so its own derivative in b (1/a) is not lost. ∂/∂b = y·log a, 0 where a = 0
  // (NaN where a < 0: aᵇ has no derivative in b there). As in scalar/elementary.ts. The branches not
  // taken are kept finite (a or b replaced by 1 there) so that second derivatives through `where`
  // do not meet 0·∞.
  // Both can be infinite or NaN (a^(b−1) at a = 0, log a for a < 0): applied with mulSafe.
  vjp: ({ cotangent: g, inputs: [a, b], output }) => [
    a.requiresGrad ? mulSafe(g, localDerivative(() => powDa(a, b, output))) : null,
    b.requiresGrad ? mulSafe(g, localDerivative(() => powDb(a, output))) : null,
  ],
  jvp: ({ tangents: [ta, tb], inputs: [a, b], output }) =>
    addTangents(ta === null ? null : mulSafe(ta, localDerivative(() => powDa(a, b, output))), tb === null ? null : mulSafe(tb, localDerivative(() => powDb(a, output)))),
});

function powDa(a: Tensor, b: Tensor, y: Tensor): Tensor {
  const bZero = eq(b, 0);
  const aZero = eq(a, 0);
  const safeA = where(aZero, 1, a);
  const safeB = where(bZero, 1, b);
  const atZeroExponent = where(aZero, 0, div(mul(b, y), safeA));
  return where(bZero, atZeroExponent, mul(safeB, pow(a, sub(safeB, 1))));
}

function powDb(a: Tensor, y: Tensor): Tensor {
  const aZero = eq(a, 0);
  return where(aZero, 0, mul(y, log(where(aZero, 1, a))));
}

/** aᵇ elementwise with broadcasting; either may be a number (a constant of the other's dtype). */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  return bind(powP, liftPair("pow", a, b), undefined);
}
