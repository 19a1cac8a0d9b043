/**
 * solve, inv, det and slogdet, composed of luFactor and the triangular solve, so their derivatives
 * are those rules composed: for X = A⁻¹·B they come to Giles's (2008, §2.2) Ā = −A⁻ᵀ·X̄·Xᵀ and
 * B̄ = A⁻ᵀ·X̄, for det to Ā = det(A)·A⁻ᵀ, and they nest (Hessians through them).
 */
import type { DType } from "../tensor/dtype.js";
import { mul, sub } from "../tensor/primitives/arithmetic.js";
import { cast } from "../tensor/primitives/cast.js";
import { eyeLike } from "../tensor/primitives/lift.js";
import { where } from "../tensor/primitives/select.js";
import { unsqueeze } from "../tensor/primitives/shape.js";
import { upperMask } from "../tensor/primitives/triangle.js";
import { prod, sum } from "../tensor/primitives/reduce.js";
import { abs, log, sign } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { checkOption, squareOperand, type CheckOptions } from "./checks.js";
import { factorLu, luFactor, solveFactored } from "./factor.js";
import { diagonal } from "./matrix.js";

/**
 * X with A·X = B, batched (batches broadcast); B is [..., n, k] or a vector [n]. A singular A is
 * `SingularMatrix` naming the batch and the zero pivot; with `{ check: false }` its X holds ±∞ or
 * NaN (LAPACK's gesv), and so do the derivatives through it.
 */
export function solve(a: Tensor, b: Tensor, options?: CheckOptions): Tensor {
  const [t] = squareOperand("solve", "a", a);
  const check = checkOption("solve", options);
  const { LU, pivots } = factorLu("solve", t, check);
  return solveFactored("solve", LU, pivots, b, check);
}

/** A⁻¹, batched. A singular A is `SingularMatrix` naming the batch and the zero pivot; `{ check: false }` as solve's. */
export function inv(a: Tensor, options?: CheckOptions): Tensor {
  const [t, n] = squareOperand("inv", "a", a);
  const check = checkOption("inv", options);
  const { LU, pivots } = factorLu("inv", t, check);
  return solveFactored("inv", LU, pivots, eyeLike(t, n), check);
}

/**
 * det(P) = ±1 of a permutation [..., n] (int32): ∏ over i < j of sign(p[j] − p[i]), each inversion
 * a −1. O(n²) from constants, so no gradient and no second factorization.
 */
function permutationSign(pivots: Tensor, dtype: DType): Tensor {
  const n = pivots.shape[pivots.rank - 1];
  const p = cast(pivots, dtype);
  const order = sign(sub(unsqueeze(p, -2), unsqueeze(p, -1)));
  return prod(where(upperMask(n, pivots.device), order, 1), [-2, -1]);
}

/** det(P) and U's diagonal, from one luFactor of A. */
function parts(op: string, a: Tensor): [Tensor, Tensor] {
  const [t] = squareOperand(op, "a", a);
  const { LU, pivots } = luFactor(t);
  return [permutationSign(pivots, t.dtype), diagonal(LU)];
}

/** The determinant, batched: det(P)·∏ diag(U). A singular A gives 0 (its gradient, A's adjugate, is not computed: SingularMatrix). */
export function det(a: Tensor): Tensor {
  const [s, u] = parts("det", a);
  return mul(s, prod(u, -1));
}

/**
 * The sign and the log of the absolute value of the determinant, batched: `logabsdet` stays finite
 * where det under- or overflows. A singular A gives sign 0 and logabsdet −∞, as LAPACK-based
 * libraries do.
 */
export function slogdet(a: Tensor): { readonly sign: Tensor; readonly logabsdet: Tensor } {
  const [s, u] = parts("slogdet", a);
  return { sign: mul(s, prod(sign(u), -1)), logabsdet: sum(log(abs(u)), -1) };
}
