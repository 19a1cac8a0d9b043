/**
 * solve, inv, det and slogdet, composed of luFactor and the triangular solve, so their derivatives
 * are those rules composed: for X = A⁻¹·B they come to Giles's (2008, §2.2) Ā = −A⁻ᵀ·X̄·Xᵀ and
 * B̄ = A⁻ᵀ·X̄, for det to Ā = det(A)·A⁻ᵀ, and they nest (Hessians through them).
 */
import { bind } from "../tensor/primitive.js";
import { mul } from "../tensor/primitives/arithmetic.js";
import { eyeLike } from "../tensor/primitives/lift.js";
import { luSignP } from "../tensor/primitives/lu.js";
import { prod, sum } from "../tensor/primitives/reduce.js";
import { abs, log, sign } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { squareOperand } from "./checks.js";
import { luFactor, solveFactored } from "./factor.js";
import { diagonal } from "./matrix.js";

/** X with A·X = B, batched (batches broadcast); B is [..., n, k] or a vector [n]. A singular A is `SingularMatrix` naming the batch and the zero pivot. */
export function solve(a: Tensor, b: Tensor): Tensor {
  const [t] = squareOperand("solve", "a", a);
  const { LU, pivots } = luFactor(t);
  return solveFactored("solve", LU, pivots, b);
}

/** A⁻¹, batched. A singular A is `SingularMatrix` naming the batch and the zero pivot. */
export function inv(a: Tensor): Tensor {
  const [t, n] = squareOperand("inv", "a", a);
  const { LU, pivots } = luFactor(t);
  return solveFactored("inv", LU, pivots, eyeLike(t, n));
}

/** det(P) and U's diagonal, from one luFactor of A. */
function parts(op: string, a: Tensor): [Tensor, Tensor] {
  const [t] = squareOperand(op, "a", a);
  const { LU } = luFactor(t);
  return [bind(luSignP, [t.detach()], undefined), diagonal(LU)];
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
