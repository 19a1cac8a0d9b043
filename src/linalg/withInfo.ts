/**
 * PyTorch's `_ex` forms (cholesky_ex, lu_factor_ex, solve_ex, inv_ex): the `{ check: false }`
 * result and, per matrix of the batch, LAPACK's `info` — 0 where it succeeded, else the 1-based
 * column of the first failing pivot — so a caller can tell which matrices failed without an error.
 * `info` is read off the factor's diagonal with tensor ops (no host read), so it traces and batches.
 */
import { diagonal } from "../tensor/composites/diagonals.js";
import { isnan, logicalNot, logicalOr } from "../tensor/composites/elementwise.js";
import { add } from "../tensor/primitives/arithmetic.js";
import { cast } from "../tensor/primitives/cast.js";
import { eq, gt } from "../tensor/primitives/compare.js";
import { eyeLike } from "../tensor/primitives/lift.js";
import { cumsum, sum } from "../tensor/primitives/reduce.js";
import { where } from "../tensor/primitives/select.js";
import type { Tensor } from "../tensor/tensor.js";
import { squareOperand } from "./checks.js";
import { factorCholesky, factorLu, solveFactored, type LuFactors } from "./factor.js";

/** info [...batch] (int32) from `bad` [..., n] (bool, a failing pivot): 0 if none, else 1 + the first one's index. */
function firstFailure(bad: Tensor): Tensor {
  const n = bad.shape[bad.rank - 1];
  // The number of pivots before the first bad one: the leading run where the running count of bad ones is 0.
  const leading = sum(cast(eq(cumsum(cast(bad, "int32"), -1), 0), "int32"), -1);
  return where(eq(leading, n), 0, add(leading, 1));
}

/** LU's info: an exact zero (or NaN) on U's diagonal, the pivots the solves divide by. */
const luInfo = (LU: Tensor): Tensor => firstFailure(logicalOr(eq(diagonal(LU), 0), isnan(diagonal(LU))));

/** cholesky with `{ check: false }` and its info: L holds NaN from column info − 1 on where info > 0. */
export function choleskyEx(a: Tensor): { readonly L: Tensor; readonly info: Tensor } {
  const L = factorCholesky("choleskyEx", a, false);
  // NaN is not > 0: the failing column's diagonal is NaN, every column before it positive.
  return { L, info: firstFailure(logicalNot(gt(diagonal(L.detach()), 0))) };
}

/** luFactor with `{ check: false }` and its info: the first zero pivot (1-based), where solving would divide by zero. */
export function luFactorEx(a: Tensor): LuFactors & { readonly info: Tensor } {
  const { LU, pivots } = factorLu("luFactorEx", a, false);
  return { LU, pivots, info: luInfo(LU.detach()) };
}

/** solve with `{ check: false }` and the info of A's factorization (A's batch shape). */
export function solveEx(a: Tensor, b: Tensor): { readonly result: Tensor; readonly info: Tensor } {
  const [t] = squareOperand("solveEx", "a", a);
  const { LU, pivots } = factorLu("solveEx", t, false);
  return { result: solveFactored("solveEx", LU, pivots, b, false), info: luInfo(LU.detach()) };
}

/** inv with `{ check: false }` and the info of A's factorization. */
export function invEx(a: Tensor): { readonly inverse: Tensor; readonly info: Tensor } {
  const [t, n] = squareOperand("invEx", "a", a);
  const { LU, pivots } = factorLu("invEx", t, false);
  return { inverse: solveFactored("invEx", LU, pivots, eyeLike(t, n), false), info: luInfo(LU.detach()) };
}
