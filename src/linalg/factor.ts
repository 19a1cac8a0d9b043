/**
 * The factorizations: cholesky, and LU with partial pivoting (luFactor's packed form and pivots, lu's
 * P, L and U, luSolve). Their derivatives are the primitives' (tensor/primitives/cholesky.ts, lu.ts):
 * one pivoted factorization gives both the packed factor and the pivots, a constant permutation.
 */
import { AdError } from "../errors.js";
import { bind } from "../tensor/primitive.js";
import { add, mul } from "../tensor/primitives/arithmetic.js";
import { choleskyP } from "../tensor/primitives/cholesky.js";
import { gather, oneHot } from "../tensor/primitives/gather.js";
import { eyeLike } from "../tensor/primitives/lift.js";
import { factorPart, luP, permutationPart, rowIndex } from "../tensor/primitives/lu.js";
import { expand } from "../tensor/primitives/reduce.js";
import { reshape, transpose } from "../tensor/primitives/shape.js";
import { lowerPart, upperPart } from "../tensor/primitives/triangle.js";
import { triangularSolveP } from "../tensor/primitives/triangularSolve.js";
import type { FloatDType } from "../tensor/dtype.js";
import type { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../tensor/shape.js";
import { checkOption, commonBatch, expectTensor, naming, rightHandSide, squareOperand, type CheckOptions } from "./checks.js";

/**
 * The lower factor L of a symmetric positive definite A (A = L·Lᵀ), batched. A is symmetrised first,
 * ½(A + Aᵀ) (as JAX does), so its gradient is symmetric, as PyTorch's is. A matrix that is not
 * positive definite is `SingularMatrix` with the batch index and the column; with `{ check: false }`
 * its L holds NaN from that column on (the columns before it are LAPACK's).
 */
export function cholesky(a: Tensor, options?: CheckOptions): Tensor {
  return factorCholesky("cholesky", a, checkOption("cholesky", options));
}

/** cholesky on behalf of `op`. */
export function factorCholesky(op: string, a: Tensor, check: boolean): Tensor {
  const [t] = squareOperand(op, "a", a);
  const symmetric = mul(add(t, transpose(t)), 0.5);
  return naming(op, () => bind(choleskyP, [symmetric], { check }));
}

export interface LuFactors {
  /** L (below the diagonal; its unit diagonal implied) and U (on and above it), packed. */
  readonly LU: Tensor;
  /** int32 [..., n]: row i of L·U is row pivots[i] of A. */
  readonly pivots: Tensor;
}

/** Rows of x [..., n, k] in the order of `pivots` [..., n]. */
function permuteRows(x: Tensor, pivots: Tensor): Tensor {
  return gather(x, x.rank - 2, rowIndex(pivots, x.shape[x.rank - 1]));
}

/**
 * LU with partial pivoting, packed as LAPACK's getrf packs it: A[pivots] = L·U. A singular matrix is
 * factored too (a zero on U's diagonal, as LAPACK); solving with it raises, and so does the
 * derivative there (it solves with U), unless `{ check: false }`: then that derivative is ±∞ or NaN.
 */
export function luFactor(a: Tensor, options?: CheckOptions): LuFactors {
  return factorLu("luFactor", a, checkOption("luFactor", options));
}

/** luFactor on behalf of `op`. */
export function factorLu(op: string, a: Tensor, check: boolean): LuFactors {
  const [t] = squareOperand(op, "a", a);
  const packed = bind(luP, [t], { check });
  return { LU: factorPart(packed), pivots: permutationPart(packed) };
}

/** A = P·L·U (PyTorch's convention): P a permutation matrix, L unit lower, U upper, batched. `{ check: false }` as luFactor's. */
export function lu(a: Tensor, options?: CheckOptions): { readonly P: Tensor; readonly L: Tensor; readonly U: Tensor } {
  const [t, n] = squareOperand("lu", "a", a);
  const { LU, pivots } = factorLu("lu", t, checkOption("lu", options));
  // oneHot(pivots)[i, j] = [j = pivots[i]] is Pᵀ.
  const P = transpose(oneHot(pivots, n, t.dtype as FloatDType));
  return { P, L: add(lowerPart(LU, -1), eyeLike(LU, n)), U: upperPart(LU) };
}

/**
 * X with A·X = B from A's luFactor; B is [..., n, k] or a vector [n]. A zero pivot is `SingularMatrix`
 * naming it; with `{ check: false }` the division by it gives ±∞ or NaN, as LAPACK's getrs.
 */
export function luSolve(LU: Tensor, pivots: Tensor, b: Tensor, options?: CheckOptions): Tensor {
  return solveFactored("luSolve", LU, pivots, b, checkOption("luSolve", options));
}

/** luSolve on behalf of `op` (solve and inv run it: their errors name them). */
export function solveFactored(op: string, LU: Tensor, pivots: Tensor, b: Tensor, check: boolean): Tensor {
  const [f, n] = squareOperand(op, "LU", LU);
  const p = expectTensor(op, "pivots", pivots);
  if (p.dtype !== "int32" || p.rank !== f.rank - 1 || p.shape.some((d, i) => d !== f.shape[i])) {
    throw new AdError("ShapeMismatch", `${op} needs int32 pivots of shape ${formatShape(f.shape.slice(0, -1))} (luFactor's), got ${p.dtype} ${formatShape(p.shape)}`, {
      op,
      shapes: [[...f.shape], [...p.shape]],
    });
  }
  const rhs = rightHandSide(op, b, n, f.dtype);
  const [ef, eb] = commonBatch(op, f, rhs.b);
  const ep = ef === f ? p : expand(p, ef.shape.slice(0, -1));
  const x = naming(op, () => {
    const y = bind(triangularSolveP, [ef, permuteRows(eb, ep)], { lower: true, transpose: false, unitDiagonal: true });
    return bind(triangularSolveP, [ef, y], { lower: false, transpose: false, unitDiagonal: false, check });
  });
  return rhs.vector ? reshape(x, x.shape.slice(0, -1)) : x;
}
