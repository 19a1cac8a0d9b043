/**
 * The activation functions a PyTorch user reaches for, composed from primitives: each is a few
 * elementwise ops the jit fuses into one pass, and each takes its derivative from its parts. The
 * piecewise ones use `where` on the input, with PyTorch's derivative at the kinks (hardtanh's and
 * hardsigmoid's are 0 at the bounds, hardswish's are those of its middle piece); the branch not
 * taken is kept finite (expm1 of 0 where x > 0), so that its zero cotangent never meets an infinite
 * derivative. Int32 and bool inputs promote to float32, as in PyTorch.
 */
import { describe, expectFinite, invalidArgument } from "../../errors.js";
import { add, div, mul, neg } from "../primitives/arithmetic.js";
import { ge, gt, le, lt } from "../primitives/compare.js";
import { split } from "../primitives/join.js";
import { asFloat, expectFloat, lift } from "../primitives/lift.js";
import { where } from "../primitives/select.js";
import { reshape } from "../primitives/shape.js";
import { abs, expm1, sigmoid, softplus, tanh } from "../primitives/unary.js";
import { normalizeAxis } from "../shape.js";
import { Tensor } from "../tensor.js";

/** x as a float tensor (int32 and bool promote to float32); anything else is an InvalidArgument naming `op`. */
function floatInput(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor) && typeof x !== "number") throw invalidArgument(op, `x must be a Tensor or a number, got ${describe(x)}`, { argument: "x", got: describe(x) });
  return asFloat(lift(op, x, undefined, "x"));
}

/**
 * x where x > 0, else negative(x): the negative branch is given 0 where x > 0, so it stays finite
 * there (a where, not minimum(x, 0), whose derivative at the tie x = 0 would be ½).
 */
function positivePart(x: Tensor, negative: (m: Tensor) => Tensor): Tensor {
  const positive = gt(x, 0);
  return where(positive, x, negative(where(positive, 0, x)));
}

/** x for x > 0, negativeSlope·x elsewhere (default 0.01). */
export function leakyRelu(x: Tensor | number, negativeSlope = 0.01): Tensor {
  const slope = expectFinite("leakyRelu", "negativeSlope", negativeSlope);
  const t = floatInput("leakyRelu", x);
  return where(gt(t, 0), t, mul(t, slope));
}

/** x for x > 0, α(eˣ − 1) elsewhere (default α = 1). */
export function elu(x: Tensor | number, alpha = 1): Tensor {
  const a = expectFinite("elu", "alpha", alpha);
  return positivePart(floatInput("elu", x), (m) => mul(expm1(m), a));
}

const SELU_ALPHA = 1.6732632423543772848170429916717;
const SELU_SCALE = 1.0507009873554804934193349852946;

/** scale·elu(x, α) with the self-normalising constants α ≈ 1.6733, scale ≈ 1.0507. */
export function selu(x: Tensor | number): Tensor {
  const t = floatInput("selu", x);
  return mul(
    positivePart(t, (m) => mul(expm1(m), SELU_ALPHA)),
    SELU_SCALE,
  );
}

/** x for x > 0, α(e^(x/α) − 1) elsewhere (default α = 1; α must not be 0). */
export function celu(x: Tensor | number, alpha = 1): Tensor {
  const a = expectFinite("celu", "alpha", alpha);
  if (a === 0) throw invalidArgument("celu", "alpha must not be 0", { argument: "alpha", got: a });
  return positivePart(floatInput("celu", x), (m) => mul(expm1(div(m, a)), a));
}

/** x·σ(x) (also called swish). */
export function silu(x: Tensor | number): Tensor {
  const t = floatInput("silu", x);
  return mul(t, sigmoid(t));
}

/** x·tanh(softplus(x)). */
export function mish(x: Tensor | number): Tensor {
  const t = floatInput("mish", x);
  return mul(t, tanh(softplus(t)));
}

/** x / (1 + |x|). */
export function softsign(x: Tensor | number): Tensor {
  const t = floatInput("softsign", x);
  return div(t, add(abs(t), 1));
}

/** log σ(x) = −softplus(−x), without overflow for large |x|. */
export function logsigmoid(x: Tensor | number): Tensor {
  return neg(softplus(neg(floatInput("logsigmoid", x))));
}

/** x clamped to [min, max] (default [−1, 1]); the derivative is 1 strictly inside and 0 at and beyond the bounds, as PyTorch's. */
export function hardtanh(x: Tensor | number, min = -1, max = 1): Tensor {
  return clampInside("hardtanh", x, min, max);
}

function clampInside(op: string, x: Tensor | number, min: number, max: number): Tensor {
  const lo = expectFinite(op, "min", min);
  const hi = expectFinite(op, "max", max);
  if (lo > hi) throw invalidArgument(op, `min must be at most max, got min ${lo} and max ${hi}`, { argument: "min", got: [lo, hi] });
  const t = floatInput(op, x);
  return where(le(t, lo), lo, where(ge(t, hi), hi, t));
}

/** min(max(x, 0), 6): hardtanh on [0, 6]. */
export function relu6(x: Tensor | number): Tensor {
  return clampInside("relu6", x, 0, 6);
}

/** 0 for x ≤ −3, 1 for x ≥ 3, x/6 + ½ between. */
export function hardsigmoid(x: Tensor | number): Tensor {
  const t = floatInput("hardsigmoid", x);
  return where(le(t, -3), 0, where(ge(t, 3), 1, add(div(t, 6), 0.5)));
}

/** x·hardsigmoid(x): 0 below −3, x above 3, x(x + 3)/6 between (its derivative x/3 + ½ at both ends of the middle, as PyTorch's). */
export function hardswish(x: Tensor | number): Tensor {
  const t = floatInput("hardswish", x);
  return where(lt(t, -3), 0, where(le(t, 3), div(mul(t, add(t, 3)), 6), t));
}

/**
 * x for x > 0, weight·x elsewhere, weight a float tensor of one value or one per channel (axis 1 of
 * x, or axis 0 of a rank-1 x), as PyTorch's prelu.
 */
export function prelu(x: Tensor, weight: Tensor): Tensor {
  const op = "prelu";
  const t = floatInput(op, x);
  if (!(weight instanceof Tensor)) throw invalidArgument(op, `weight must be a Tensor, got ${describe(weight)}`, { argument: "weight", got: describe(weight) });
  expectFloat(op, weight);
  const channels = t.rank === 0 ? 1 : t.rank === 1 ? t.shape[0] : t.shape[1];
  if (weight.rank > 1 || (weight.size !== 1 && weight.size !== channels)) {
    throw invalidArgument(op, `weight must hold 1 value or one per channel (${channels}), got shape [${weight.shape.join(", ")}]`, {
      argument: "weight",
      shapes: [t.shape, weight.shape],
    });
  }
  const w = weight.size === 1 || t.rank < 2 ? reshape(weight, weight.size === 1 ? [] : [channels]) : reshape(weight, [channels, ...t.shape.slice(2).map(() => 1)]);
  return where(gt(t, 0), t, mul(w, t));
}

/** a·σ(b), a and b the two halves of x along `axis` (default −1, whose size must be even). */
export function glu(x: Tensor, axis = -1): Tensor {
  const op = "glu";
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { argument: "x", got: describe(x) });
  if (x.rank === 0) throw invalidArgument(op, "glu needs at least one axis, got a scalar", { shape: [] });
  const a = normalizeAxis(op, axis, x.rank);
  if (x.shape[a] % 2 !== 0) throw invalidArgument(op, `axis ${a} must have an even size, got ${x.shape[a]}`, { argument: "axis", shape: x.shape });
  const [first, second] = split(expectFloat(op, x), 2, a);
  return mul(first, sigmoid(second));
}
