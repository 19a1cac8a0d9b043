/**
 * Vector and matrix norms, composed of abs, pow, sum, max/min and svdvals. The vector norms are the
 * tensor layer's `norm` (tensor/composites/norm.ts), whose guarded powers give the gradient 0 at 0,
 * the subgradient PyTorch and JAX return, not 0/0 = NaN; the Frobenius norm shares its guarded √.
 */
import { asOp, describe, expectOptions, invalidArgument } from "../errors.js";
import { mul } from "../tensor/primitives/arithmetic.js";
import { guardedSqrt, pNorm, type NormOptions } from "../tensor/composites/norm.js";
import { max, min, sum } from "../tensor/primitives/reduce.js";
import { reshape } from "../tensor/primitives/shape.js";
import { abs } from "../tensor/primitives/unary.js";
import { expectFloat } from "../tensor/primitives/lift.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor, matrixOperand } from "./checks.js";
import { svdvals } from "./decompositions.js";

export type VectorNormOptions = NormOptions;

export type MatrixOrd = "fro" | "nuc" | 1 | -1 | 2 | -2 | typeof Infinity;
const MATRIX_ORDS: readonly MatrixOrd[] = ["fro", "nuc", 1, -1, 2, -2, Infinity, -Infinity];

export interface MatrixNormOptions {
  /** "fro" (default), "nuc" (Σ singular values), 2 / −2 (the largest / smallest singular value), 1 / −1 (max / min column sum of |a|), ±Infinity (max / min row sum). */
  readonly ord?: MatrixOrd;
  readonly keepDims?: boolean;
}

/** The p-norm (Σ|x|ᵖ)^(1/p) over `axis` (all axes by default), batched over the rest: the tensor layer's `norm`. */
export function vectorNorm(x: Tensor, options?: VectorNormOptions): Tensor {
  return pNorm("vectorNorm", x, options);
}

/** A norm of each matrix of a [..., m, n] batch (over the last two axes). */
export function matrixNorm(a: Tensor, options?: MatrixNormOptions): Tensor {
  const op = "matrixNorm";
  const t = expectFloat(op, matrixOperand(op, "a", a));
  const o = expectOptions<MatrixNormOptions>(op, options, ["ord", "keepDims"]);
  const ord = o.ord ?? "fro";
  const keep = o.keepDims ?? false;
  const restore = (x: Tensor): Tensor => (keep ? reshape(x, [...x.shape, 1, 1]) : x);
  switch (ord) {
    case "fro":
      return guardedSqrt(sum(mul(t, t), [-2, -1], keep));
    case "nuc":
      return restore(sum(svdvals(t), -1));
    case 2:
      return restore(max(svdvals(t), -1));
    case -2:
      return restore(min(svdvals(t), -1));
    case 1:
    case -1:
      return (ord === 1 ? max : min)(sum(abs(t), -2, keep), -1, keep);
    case Infinity:
    case -Infinity:
      return (ord === Infinity ? max : min)(sum(abs(t), -1, keep), keep ? -2 : -1, keep);
    default:
      throw invalidArgument(op, `ord must be one of ${MATRIX_ORDS.join(", ")}, got ${describe(ord)}`, { argument: "ord", got: describe(ord) });
  }
}

/**
 * torch.linalg.norm's dispatch: a matrix norm when `ord` is a matrix order and x has rank 2 (or
 * `matrix: true` for a batch), else the vector norm over all of x (`axis` to choose).
 */
export function norm(x: Tensor, ord?: number | "fro" | "nuc", options?: { readonly axis?: number | readonly number[]; readonly keepDims?: boolean }): Tensor {
  const op = "norm";
  const t = expectTensor(op, "x", x);
  const o = expectOptions<{ axis?: number | readonly number[]; keepDims?: boolean }>(op, options, ["axis", "keepDims"]);
  if (ord === "fro" || ord === "nuc" || (ord !== undefined && t.rank === 2 && o.axis === undefined)) {
    if (!MATRIX_ORDS.includes(ord as MatrixOrd))
      throw invalidArgument(op, `a matrix norm's ord must be one of ${MATRIX_ORDS.join(", ")}, got ${describe(ord)}`, { argument: "ord", got: describe(ord) });
    return asOp(op, () => matrixNorm(t, { ord: ord as MatrixOrd, keepDims: o.keepDims }));
  }
  return asOp(op, () => vectorNorm(t, { ord, axis: o.axis, keepDims: o.keepDims }));
}
