/**
 * The vector p-norm as a tensor reduction (torch.linalg.vector_norm), composed of abs, pow, sum and
 * max/min; linalg's vectorNorm, norm and the Frobenius norm are this code. Where a power has no
 * derivative at 0 (√s at s = 0, |x|ᵖ for p < 1 at x = 0, s^(1/p) at s = 0) it is guarded so the
 * gradient there is 0, the subgradient PyTorch returns, instead of 0 · ∞ = NaN.
 */
import { asOp, describe, expectOptions, invalidArgument } from "../../errors.js";
import { mul } from "../primitives/arithmetic.js";
import { cast } from "../primitives/cast.js";
import { gt, ne } from "../primitives/compare.js";
import { expectFloat } from "../primitives/lift.js";
import { axesOf, expectKeepDims, expectTensor, max, min, sum } from "../primitives/reduce.js";
import { where } from "../primitives/select.js";
import { abs, pow, sqrt } from "../primitives/unary.js";
import type { Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { Reduced } from "../types.js";

export interface NormOptions<A extends number | readonly number[] | undefined = number | readonly number[] | undefined, K extends boolean = boolean> {
  /** p: any number, Infinity (max |x|), −Infinity (min |x|) or 0 (the count of nonzeros). Default 2. */
  readonly ord?: number;
  /** The axes reduced; default all. */
  readonly axis?: A;
  readonly keepDims?: K;
}

/** sᵖ for s ≥ 0, with `atZero` and derivative 0 at s = 0 (where sᵖ has none for p < 1). */
function guardedPow(s: Tensor, p: number, atZero: number): Tensor {
  const positive = gt(s.detach(), 0);
  return where(positive, pow(where(positive, s, 1), p), atZero);
}

/** √s for s ≥ 0, with the derivative 0 at s = 0. */
export function guardedSqrt(s: Tensor): Tensor {
  const positive = gt(s.detach(), 0);
  return where(positive, sqrt(where(positive, s, 1)), 0);
}

/** The p-norm (Σ|x|ᵖ)^(1/p) of a float tensor over `axis` (all axes by default), for `op`'s errors. */
export function pNorm(op: string, x: unknown, options: unknown): Tensor {
  const t = expectFloat(op, expectTensor(op, x));
  const o = expectOptions<NormOptions>(op, options, ["ord", "axis", "keepDims"]);
  const ord = o.ord ?? 2;
  if (typeof ord !== "number" || Number.isNaN(ord)) throw invalidArgument(op, `ord must be a number, got ${describe(ord)}`, { argument: "ord", got: describe(ord) });
  const axis = axesOf(op, t, o.axis);
  const keep = expectKeepDims(op, o.keepDims ?? false);
  const a = abs(t);
  // An empty axis is refused by max/min; the user called `op`, so that is the name in the error.
  if (ord === Infinity) return asOp(op, () => max(a, axis, keep));
  if (ord === -Infinity) return asOp(op, () => min(a, axis, keep));
  if (ord === 0) return sum(cast(ne(t.detach(), 0), t.dtype), axis, keep);
  if (ord === 2) return guardedSqrt(sum(mul(t, t), axis, keep));
  if (ord === 1) return sum(a, axis, keep);
  // A negative p makes |0|ᵖ = ∞ and so the norm 0, as in PyTorch.
  return guardedPow(sum(guardedPow(a, ord, ord > 0 ? 0 : Infinity), axis, keep), 1 / ord, 0);
}

/**
 * The vector p-norm over `axis` (all axes by default), as torch.linalg.vector_norm: `ord` 2 (the
 * default), any p, Infinity (max |x|), −Infinity (min |x|) or 0 (the count of nonzeros). The gradient
 * at the origin is 0 (no NaN); ties of the ±∞ norms share it, as max and min do.
 */
export function norm<S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  options?: NormOptions<A, K>,
): Tensor<Reduced<S, A, K>>;
export function norm(x: Tensor, options?: NormOptions): Tensor {
  return pNorm("norm", x, options);
}
