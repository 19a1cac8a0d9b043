/**
 * Elementwise functions composed from primitives, exact and as fast as a primitive would be:
 * square, reciprocal, lerp, the float tests (isnan, isinf, isfinite) and the logical ops. The
 * tests and logical ops give bool, as in PyTorch; a value is true where it is nonzero (NaN too).
 */
import { add, div, mul, sub } from "../primitives/arithmetic.js";
import { eq, lt, ne } from "../primitives/compare.js";
import { asOp } from "../../errors.js";
import { isFloat } from "../dtype.js";
import { lift, liftPair, type TensorLike } from "../primitives/lift.js";
import { maximum, minimum, where } from "../primitives/select.js";
import { abs } from "../primitives/unary.js";
import type { Tensor } from "../tensor.js";

/** x·x, in x's dtype. */
export function square(x: TensorLike): Tensor {
  const t = lift("square", x, undefined, "x");
  return mul(t, t);
}

/** 1/x; int32 and bool promote to float32, as in PyTorch. */
export function reciprocal(x: TensorLike): Tensor {
  return div(1, lift("reciprocal", x, undefined, "x"));
}

/**
 * a + w·(b − a), broadcasting all three; for |w| ≥ ½ it is computed as b − (b − a)·(1 − w), as
 * PyTorch does, so w = 1 gives b exactly.
 */
export function lerp(a: TensorLike, b: TensorLike, weight: TensorLike): Tensor {
  const [ta, tb] = liftPair("lerp", a, b);
  const w = lift("lerp", weight, ta, "weight");
  const d = sub(tb, ta);
  return where(lt(abs(w), 0.5), add(ta, mul(w, d)), sub(tb, mul(d, sub(1, w))));
}

/** True where x is NaN (never for int32 or bool). */
export function isnan(x: TensorLike): Tensor {
  const t = lift("isnan", x, undefined, "x");
  return ne(t, t);
}

/** True where x is ±∞ (never for int32 or bool). */
export function isinf(x: TensorLike): Tensor {
  const t = lift("isinf", x, undefined, "x");
  return isFloat(t.dtype) ? eq(abs(t), Infinity) : ne(t, t);
}

/** True where x is neither ±∞ nor NaN (always for int32 and bool). */
export function isfinite(x: TensorLike): Tensor {
  const t = lift("isfinite", x, undefined, "x");
  return isFloat(t.dtype) ? lt(abs(t), Infinity) : eq(t, t);
}

/** x ≠ 0 as bool: the truth value the logical ops read. */
const truth = (op: string, x: TensorLike): Tensor => ne(lift(op, x, undefined, "x"), 0);

/** Not x, elementwise (bool). */
export function logicalNot(x: TensorLike): Tensor {
  return eq(lift("logicalNot", x, undefined, "x"), 0);
}
/** a and b, elementwise with broadcasting (bool). */
export function logicalAnd(a: TensorLike, b: TensorLike): Tensor {
  return asOp("logicalAnd", () => minimum(truth("logicalAnd", a), truth("logicalAnd", b)));
}
/** a or b, elementwise with broadcasting (bool). */
export function logicalOr(a: TensorLike, b: TensorLike): Tensor {
  return asOp("logicalOr", () => maximum(truth("logicalOr", a), truth("logicalOr", b)));
}
/** a xor b, elementwise with broadcasting (bool). */
export function logicalXor(a: TensorLike, b: TensorLike): Tensor {
  return asOp("logicalXor", () => ne(truth("logicalXor", a), truth("logicalXor", b)));
}
