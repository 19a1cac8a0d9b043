/**
 * pinv and lstsq. A matrix of full rank goes through qr (R⁻¹·Qᵀ, or its transpose for a wide one):
 * accurate, and its derivative is qr's, right even where singular values repeat (an orthogonal A).
 * A rank-deficient one goes through svd with the singular values below the cutoff dropped, as
 * NumPy's and PyTorch's pinv do; its derivative is that of the truncated pseudo-inverse (the cutoff
 * is a constant), which the docs qualify.
 */
import { AdError, asOp, expectFinite, expectOptions } from "../errors.js";
import { zeros } from "../tensor/creation.js";
import { div, mul, sub } from "../tensor/primitives/arithmetic.js";
import { cast } from "../tensor/primitives/cast.js";
import { gt } from "../tensor/primitives/compare.js";
import { matmul } from "../tensor/primitives/matmul.js";
import { max, sum } from "../tensor/primitives/reduce.js";
import { where } from "../tensor/primitives/select.js";
import { reshape, transpose, unsqueeze } from "../tensor/primitives/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { formatShape } from "../tensor/shape.js";
import { expectTensor, matrixOperand } from "./checks.js";
import { qr, svd, svdvals } from "./decompositions.js";
import { triangularSolve } from "./triangular.js";

export interface PinvOptions {
  /** Singular values ≤ rtol·(the largest) count as zero. Default max(m, n)·ε of the dtype, as PyTorch. */
  readonly rtol?: number;
}

const EPSILON: Record<string, number> = { float32: 2 ** -23, float64: 2 ** -52 };

/** Whether every matrix of the batch has all its singular values above rtol·s_max (a constant of a). */
function fullRank(t: Tensor, rtol: number): boolean {
  const s = Array.from(svdvals(t.detach()).data());
  const k = Math.min(t.shape[t.rank - 2], t.shape[t.rank - 1]);
  for (let b = 0; b < s.length; b += k) if (!(s[b + k - 1] > rtol * s[b])) return false;
  return true;
}

function cutoff(op: string, t: Tensor, options: PinvOptions | undefined): number {
  const o = expectOptions<PinvOptions>(op, options, ["rtol"]);
  return o.rtol === undefined ? Math.max(t.shape[t.rank - 2], t.shape[t.rank - 1]) * EPSILON[t.dtype] : expectFinite(op, "rtol", o.rtol);
}

/** R⁻¹·(Qᵀ·b) for a tall A = Q·R of full rank; Q·R⁻ᵀ·b for a wide one (Aᵀ = Q·R, the least-norm solution). */
function viaQr(t: Tensor, b: Tensor): Tensor {
  if (t.shape[t.rank - 2] >= t.shape[t.rank - 1]) {
    const { Q, R } = qr(t);
    return triangularSolve(R, matmul(transpose(Q), b));
  }
  const { Q, R } = qr(transpose(t));
  return matmul(Q, triangularSolve(R, b, { transpose: true }));
}

/** Vh ᵀ·diag(1/s, 0 below the cutoff)·Uᵀ. */
function viaSvd(t: Tensor, rtol: number): Tensor {
  const { U, S, Vh } = svd(t);
  const kept = gt(S.detach(), mul(max(S.detach(), -1, true), rtol));
  const inverse = where(kept, div(1, where(kept, S, 1)), 0);
  return matmul(mul(transpose(Vh), unsqueeze(inverse, -2)), transpose(U));
}

/**
 * The Moore–Penrose pseudo-inverse A⁺ [..., n, m] of A [..., m, n], batched. Full rank: through qr.
 * Rank-deficient (a singular value ≤ rtol·s_max): through svd, the small singular values dropped.
 */
export function pinv(a: Tensor, options?: PinvOptions): Tensor {
  const op = "pinv";
  const t = matrixOperand(op, "a", a);
  return asOp(op, () => {
    const rtol = cutoff(op, t, options);
    return fullRank(t, rtol) ? fullInverse(t) : viaSvd(t, rtol);
  });
}

/** R⁻¹·Qᵀ for a tall (or square) A = Q·R of full rank; the transpose of Aᵀ's for a wide one. */
function fullInverse(t: Tensor): Tensor {
  if (t.shape[t.rank - 2] < t.shape[t.rank - 1]) return transpose(fullInverse(transpose(t)));
  const { Q, R } = qr(t);
  return triangularSolve(R, transpose(Q));
}

/** What lstsqWithInfo returns: torch.linalg.lstsq's fields (NumPy's lstsq returns the same four). */
export interface LstsqResult {
  /** X, as lstsq returns it. */
  readonly solution: Tensor;
  /**
   * The squared residual ‖A·x − b‖² of each column of B ([..., k]; [..., 1] for a vector b) when A is
   * tall (m > n) and every matrix of the batch has full rank; otherwise empty ([0]), as in PyTorch.
   */
  readonly residuals: Tensor;
  /** The numerical rank of each matrix ([...], int32): the singular values above rtol·s_max. No derivative. */
  readonly rank: Tensor;
  /** The singular values of A, descending ([..., min(m, n)]): svdvals(A), with its derivative. */
  readonly singularValues: Tensor;
}

/** a checked, b as a matrix [..., m, k], whether b was a vector, and the cutoff. */
function leastSquaresOperands(op: string, a: Tensor, b: Tensor, options: PinvOptions | undefined): { t: Tensor; column: Tensor; vector: boolean; rtol: number } {
  const t = matrixOperand(op, "a", a);
  const rhs = expectTensor(op, "b", b);
  const m = t.shape[t.rank - 2];
  const vector = rhs.rank === 1;
  if (rhs.dtype !== t.dtype) throw new AdError("DTypeMismatch", `${op} needs a and b of one dtype, got ${t.dtype} and ${rhs.dtype}`, { op, dtypes: [t.dtype, rhs.dtype] });
  if (rhs.rank === 0 || (vector ? rhs.shape[0] : rhs.shape[rhs.rank - 2]) !== m) {
    throw new AdError("ShapeMismatch", `${op} needs b of shape [${m}] or [..., ${m}, k] for a matrix with ${m} rows, got ${formatShape(rhs.shape)}`, {
      op,
      shape: [...rhs.shape],
      rows: m,
    });
  }
  return { t, column: vector ? reshape(rhs, [m, 1]) : rhs, vector, rtol: asOp(op, () => cutoff(op, t, options)) };
}

/** X [..., n, k] for A [..., m, n] and B [..., m, k]: through qr at full rank, pinv otherwise. */
function solveLeastSquares(t: Tensor, column: Tensor, full: boolean, rtol: number): Tensor {
  return full ? viaQr(t, column) : matmul(viaSvd(t, rtol), column);
}

/**
 * X minimising ‖A·X − B‖ (the least-norm one where many do), batched; b is [..., m, k] or a vector
 * [m]. Full rank: through qr (R⁻¹·Qᵀ·B tall, Q·R⁻ᵀ·B wide). Rank-deficient: pinv(A)·B.
 */
export function lstsq(a: Tensor, b: Tensor, options?: PinvOptions): Tensor {
  const { t, column, vector, rtol } = leastSquaresOperands("lstsq", a, b, options);
  return asOp("lstsq", () => {
    const x = solveLeastSquares(t, column, fullRank(t, rtol), rtol);
    return vector ? reshape(x, x.shape.slice(0, -1)) : x;
  });
}

/**
 * lstsq's solution with the residuals, the rank and the singular values (torch.linalg.lstsq's four
 * outputs, NumPy's lstsq's). The residuals are differentiable where they are returned (full rank).
 */
export function lstsqWithInfo(a: Tensor, b: Tensor, options?: PinvOptions): LstsqResult {
  const { t, column, vector, rtol } = leastSquaresOperands("lstsqWithInfo", a, b, options);
  const full = fullRank(t, rtol);
  const x = solveLeastSquares(t, column, full, rtol);
  const singularValues = svdvals(t);
  const s = singularValues.detach();
  // An empty matrix has rank 0 (max over its no singular values would refuse).
  const rank = s.shape[s.rank - 1] === 0 ? zeros(s.shape.slice(0, -1), { dtype: "int32", device: t.device }) : sum(cast(gt(s, mul(max(s, -1, true), rtol)), "int32"), -1);
  const tall = t.shape[t.rank - 2] > t.shape[t.rank - 1];
  const error = sub(matmul(t, x), column);
  const residuals = tall && full ? sum(mul(error, error), -2) : zeros([0], { dtype: t.dtype, device: t.device });
  return { solution: vector ? reshape(x, x.shape.slice(0, -1)) : x, residuals, rank, singularValues };
}
