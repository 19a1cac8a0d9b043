/**
 * Elementwise functions of float tensors: the unary family, and pow (binary, broadcasting). The
 * functions with a scalar counterpart take their local derivative from the one table,
 * `scalar/elementary.ts`, evaluated on tensors (`tensorScalar`): Dual, the tape, the source transform
 * and the tensor engine share one derivative per function. Because the table's `df` is written in
 * `Scalar` ops it builds the derivative from primitives here, so rules nest (grad of grad). The rest
 * (relu, rsqrt, gelu, and pow, whose table rule branches on values) are written next to their forward.
 * sigmoid, softplus and gelu are primitives rather than composites for stability (no overflow of eˣ
 * for large |x|) and speed (one pass).
 */
import type { UnaryOp } from "../../backends/expressions.js";
import type { Device } from "../../backends/device.js";
import { describe, expectOptions, invalidArgument } from "../../errors.js";
import { unaryRules } from "../../scalar/elementary.js";
import type { Scalar, UnaryOp as ScalarUnaryOp } from "../../scalar/scalar.js";
import { AdError } from "../../errors.js";
import { allocate, type DType } from "../dtype.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { fromStorage, type Tensor } from "../tensor.js";
import type { ShapeOf } from "../types.js";
import { localDerivative } from "../autograd/anomaly.js";
import { add, addTangents, div, mul, mulSafe, neg, sub } from "./arithmetic.js";
import { eq } from "./compare.js";
import { binaryExpression, unaryExpression } from "./expression.js";
import { asFloat, expectFloat, expectNumeric, lift, liftPair, type TensorLike } from "./lift.js";
import { broadcastRule, sameRule } from "./rules.js";
import { maximum, minimum, where } from "./select.js";

/**
 * A unary primitive from its op in the expression table and its local derivative dy/dx (written with primitives).
 * `unbounded`: dy/dx can be ±∞ inside the domain's closure (log, sqrt, rsqrt at 0), so it is applied
 * with mulSafe — a zero (co)tangent stays zero there; the other rules pay nothing for it.
 */
function unaryPrimitive(
  name: UnaryOp,
  dydx: (x: Tensor, y: Tensor) => Tensor,
  unbounded = false,
  accepts: (op: string, x: AbstractValue) => AbstractValue = expectFloat,
): Primitive<undefined> {
  const times = unbounded
    ? (g: Tensor, x: Tensor, y: Tensor) =>
        mulSafe(
          g,
          localDerivative(() => dydx(x, y)),
        )
    : (g: Tensor, x: Tensor, y: Tensor) => mul(g, dydx(x, y));
  return definePrimitive(name, {
    abstract: ([x]) => accepts(name, x),
    impl: ([x], _, k) => unaryExpression(k, name, x),
    vjp: ({ cotangent: g, inputs: [x], output }) => [times(g, x, output)],
    jvp: ({ tangents: [t], inputs: [x], output }) => (t === null ? null : times(t, x, output)),
  });
}

/** The primitives whose rule is the table's (the meta-test in test/tensor/derivativeTable.test.ts reads it). */
export const tableRuled = new Set<Primitive<undefined>>();

/** A unary primitive whose local derivative is the scalar table's entry for `name` (its kernel is the table's function too, see expressions.ts). */
function tablePrimitive(name: UnaryOp & ScalarUnaryOp, unbounded = false, accepts?: (op: string, x: AbstractValue) => AbstractValue): Primitive<undefined> {
  const rule = unaryRules[name];
  const prim = unaryPrimitive(name, (x, y) => rule.df(tensorScalar(x), x, y), unbounded, accepts);
  tableRuled.add(prim);
  return prim;
}

export const expP = tablePrimitive("exp");
export const logP = tablePrimitive("log", true);
export const sinP = tablePrimitive("sin");
export const cosP = tablePrimitive("cos");
export const tanhP = tablePrimitive("tanh");
export const sqrtP = tablePrimitive("sqrt", true);
// d x^(−½) = −½ x^(−3/2) dx = −½ y³ dx
export const rsqrtP = unaryPrimitive("rsqrt", (_x, y) => mul(mul(y, mul(y, y)), -0.5), true);
// Its rule is the table's too, but it takes int32 as well (|−2³¹| wraps to −2³¹, as in PyTorch).
export const absP = tablePrimitive("abs", false, expectNumeric);
// d relu(x) = [x > 0] dx: 0 at the kink. Both rules are one reluGrad pass rather than a mask and a product.
export const reluP = definePrimitive("relu", {
  abstract: ([x]) => expectNumeric("relu", x),
  impl: ([x], _, k) => unaryExpression(k, "relu", x),
  vjp: ({ cotangent: g, inputs: [x] }) => [reluGrad(g, x)],
  jvp: ({ tangents: [t], inputs: [x] }) => (t === null ? null : reluGrad(t, x)),
});

/**
 * reluGrad(g, x) = g where x > 0, else 0 (also where g is ±∞ or NaN, as PyTorch's threshold
 * backward): linear in g, piecewise constant in x.
 */
export const reluGradP = definePrimitive("reluGrad", {
  abstract: broadcastRule("reluGrad"),
  impl: ([g, x], _, k) => binaryExpression(k, "reluGrad", g, x),
  broadcasts: true,
  vjp: ({ cotangent: c, inputs: [, x] }) => [reluGrad(c, x), null],
  jvp: ({ tangents: [tg], inputs: [, x] }) => (tg === null ? null : reluGrad(tg, x)),
});

/** g where x > 0, else 0 (relu's backward; internal: not exported by adjoint/tensor). */
export function reluGrad(g: Tensor, x: Tensor): Tensor {
  return bind(reluGradP, [g, x], undefined);
}
export const sigmoidP = tablePrimitive("sigmoid");
export const softplusP = tablePrimitive("softplus");
export const erfP = tablePrimitive("erf");
// Their rules are the table's too; the ones marked unbounded have an infinite derivative at a domain edge.
export const cbrtP = tablePrimitive("cbrt", true);
export const expm1P = tablePrimitive("expm1");
export const log1pP = tablePrimitive("log1p", true);
export const log2P = tablePrimitive("log2", true);
export const tanP = tablePrimitive("tan");
export const asinP = tablePrimitive("asin", true);
export const acosP = tablePrimitive("acos", true);
export const atanP = tablePrimitive("atan");
export const sinhP = tablePrimitive("sinh");
export const coshP = tablePrimitive("cosh");
export const asinhP = tablePrimitive("asinh");
export const acoshP = tablePrimitive("acosh", true);
export const atanhP = tablePrimitive("atanh", true);
// d log₁₀ x = dx / (x ln 10). Not in the scalar table; a primitive rather than log(x)/ln 10 so that
// powers of ten give exact integers (log10(1000) is 3, not 2.9999999999999996), as in PyTorch.
export const log10P = unaryPrimitive("log10", (x) => div(Math.LOG10E, x), true);

/**
 * sign(x) ∈ {−1, 0, 1} in x's dtype, any dtype (NaN stays NaN). The table's derivative is the
 * constant 0; here it is the symbolic zero (no rule output), so no zeros tensor is built.
 */
export const signP = definePrimitive("sign", {
  abstract: sameRule,
  impl: ([x], _, k) => unaryExpression(k, "sign", x),
  vjp: () => [null],
  jvp: () => null,
});

// gelu(x) = x Φ(x), Φ the standard normal CDF: d gelu = (Φ(x) + x φ(x)) dx, φ(x) = e^(−x²/2)/√(2π)
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
export const geluP = unaryPrimitive("gelu", (x) => add(mul(add(erf(mul(x, Math.SQRT1_2)), 1), 0.5), mul(x, mul(exp(mul(mul(x, x), -0.5)), INV_SQRT_2PI))));

// The tanh approximation ½x(1 + tanh u), u = k(x + c x³): d = ½(1 + t) + ½x(1 − t²)·k(1 + 3c x²), t = tanh u
const GELU_K = Math.sqrt(2 / Math.PI);
const GELU_C = 0.044715;
export const geluTanhP = unaryPrimitive("geluTanh", (x) => {
  const t = tanh(mul(add(x, mul(mul(x, mul(x, x)), GELU_C)), GELU_K));
  const du = mul(add(mul(mul(x, x), 3 * GELU_C), 1), GELU_K);
  return add(mul(add(t, 1), 0.5), mul(mul(x, 0.5), mul(sub(1, mul(t, t)), du)));
});

/** The user-facing function of a unary primitive: a number is a scalar; the shape type is kept. */
const unaryFunction =
  (prim: Primitive<undefined>) =>
  <X extends Tensor | number>(x: X): Tensor<ShapeOf<X>> =>
    bind(prim, [lift(prim.name, x, undefined, "x")], undefined) as Tensor<ShapeOf<X>>;

/** The same for a float function that PyTorch promotes int32/bool inputs of to float32. */
const promotingFunction =
  (prim: Primitive<undefined>) =>
  <X extends Tensor | number>(x: X): Tensor<ShapeOf<X>> =>
    bind(prim, [asFloat(lift(prim.name, x, undefined, "x"))], undefined) as Tensor<ShapeOf<X>>;

export const exp = promotingFunction(expP);
export const log = promotingFunction(logP);
export const sin = promotingFunction(sinP);
export const cos = promotingFunction(cosP);
export const tanh = promotingFunction(tanhP);
export const sqrt = promotingFunction(sqrtP);
/** 1/√x. */
export const rsqrt = promotingFunction(rsqrtP);
/** |x|; the derivative at 0 is 0. */
export const abs = unaryFunction(absP);
/** −1, 0 or 1 by the sign of x (NaN for NaN); derivative 0. */
export const sign = unaryFunction(signP);
/** max(x, 0); the derivative at 0 is 0; NaN stays NaN. */
export const relu = unaryFunction(reluP);
/** The logistic function 1/(1 + e⁻ˣ), computed without overflow. */
export const sigmoid = promotingFunction(sigmoidP);
/** log(1 + eˣ), computed without overflow as max(x, 0) + log1p(e^(−|x|)). */
export const softplus = unaryFunction(softplusP);
/** The error function. */
export const erf = promotingFunction(erfP);
/** ∛x, real for negative x. */
export const cbrt = promotingFunction(cbrtP);
/** eˣ − 1, accurate near 0 where exp(x) − 1 cancels. */
export const expm1 = promotingFunction(expm1P);
/** log(1 + x), accurate near 0. */
export const log1p = promotingFunction(log1pP);
export const log2 = promotingFunction(log2P);
export const log10 = promotingFunction(log10P);
export const tan = promotingFunction(tanP);
export const asin = promotingFunction(asinP);
export const acos = promotingFunction(acosP);
export const atan = promotingFunction(atanP);
export const sinh = promotingFunction(sinhP);
export const cosh = promotingFunction(coshP);
export const asinh = promotingFunction(asinhP);
export const acosh = promotingFunction(acoshP);
export const atanh = promotingFunction(atanhP);

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

const powShape = broadcastRule("pow");
export const powP = definePrimitive("pow", {
  abstract: ([a, b]) => powShape([expectFloat("pow", a), b]),
  impl: ([a, b], _, k) => binaryExpression(k, "pow", a, b),
  broadcasts: true,
  // ∂/∂a = b·a^(b−1), and 0 where b = 0 (even at a = 0). Where b = 0 it is written b·y/a, the same
  // function for a ≠ 0, so its own derivative in b (1/a) is not lost. ∂/∂b = y·log a, 0 where a = 0
  // (NaN where a < 0: aᵇ has no derivative in b there). As in scalar/elementary.ts. The branches not
  // taken are kept finite (a or b replaced by 1 there) so that second derivatives through `where`
  // do not meet 0·∞.
  // Both can be infinite or NaN (a^(b−1) at a = 0, log a for a < 0): applied with mulSafe.
  vjp: ({ cotangent: g, inputs: [a, b], output }) => [
    a.requiresGrad
      ? mulSafe(
          g,
          localDerivative(() => powDa(a, b, output)),
        )
      : null,
    b.requiresGrad
      ? mulSafe(
          g,
          localDerivative(() => powDb(a, output)),
        )
      : null,
  ],
  jvp: ({ tangents: [ta, tb], inputs: [a, b], output }) =>
    addTangents(
      ta === null
        ? null
        : mulSafe(
            ta,
            localDerivative(() => powDa(a, b, output)),
          ),
      tb === null
        ? null
        : mulSafe(
            tb,
            localDerivative(() => powDb(a, output)),
          ),
    ),
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

/**
 * The scalar table's domain on tensors of one dtype: every `Scalar` op is the tensor primitive of the
 * same name, so `df(tensorScalar(dtype), x, y)` builds a local derivative that is differentiable
 * again. `value` is refused: a table rule that branches on a value has no elementwise form here.
 * Ops no table rule of a tensor primitive uses have no tensor primitive and are refused too.
 */
function tensorScalar(x: Tensor): Scalar<Tensor> {
  // Per device too: the table's constants (`S.from(1)`) must live where x does.
  let byDType = tensorScalars.get(x.device);
  if (byDType === undefined) tensorScalars.set(x.device, (byDType = new Map()));
  let S = byDType.get(x.dtype);
  if (S === undefined) {
    S = makeTensorScalar(x.dtype, x.device);
    byDType.set(x.dtype, S);
  }
  return S;
}
const tensorScalars = new Map<Device, Map<DType, Scalar<Tensor>>>();

function makeTensorScalar(dtype: DType, device: Device): Scalar<Tensor> {
  const like = fromStorage(allocate(dtype, 1), dtype, [], device);
  const from = (n: number): Tensor => lift("from", n, like, "n");
  const t = (a: Tensor | number): Tensor => (typeof a === "number" ? from(a) : a);
  const missing = (op: string) => (): never => {
    throw new AdError("UnsupportedOp", `the derivative table's ${op} has no tensor primitive`, { op });
  };
  return {
    name: "tensor",
    from,
    value: () => {
      throw new AdError("UnsupportedOp", "a derivative rule that branches on a value cannot run on tensors", { op: "value" });
    },
    add: (a, b) => add(t(a), t(b)),
    sub: (a, b) => sub(t(a), t(b)),
    mul: (a, b) => mul(t(a), t(b)),
    div: (a, b) => div(t(a), t(b)),
    pow: (a, b) => pow(t(a), t(b)),
    min: (a, b) => minimum(t(a), t(b)),
    max: (a, b) => maximum(t(a), t(b)),
    atan2: missing("atan2"),
    hypot: missing("hypot"),
    neg: (a) => neg(t(a)),
    sqrt: (a) => sqrt(t(a)),
    exp: (a) => exp(t(a)),
    log: (a) => log(t(a)),
    sin: (a) => sin(t(a)),
    cos: (a) => cos(t(a)),
    tanh: (a) => tanh(t(a)),
    sigmoid: (a) => sigmoid(t(a)),
    softplus: (a) => softplus(t(a)),
    abs: (a) => abs(t(a)),
    sign: (a) => sign(t(a)),
    erf: (a) => erf(t(a)),
    cbrt: (a) => cbrt(t(a)),
    expm1: (a) => expm1(t(a)),
    log1p: (a) => log1p(t(a)),
    log2: (a) => log2(t(a)),
    tan: (a) => tan(t(a)),
    asin: (a) => asin(t(a)),
    acos: (a) => acos(t(a)),
    atan: (a) => atan(t(a)),
    sinh: (a) => sinh(t(a)),
    cosh: (a) => cosh(t(a)),
    asinh: (a) => asinh(t(a)),
    acosh: (a) => acosh(t(a)),
    atanh: (a) => atanh(t(a)),
  };
}
