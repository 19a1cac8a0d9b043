/**
 * pinv and lstsq. A matrix of full rank goes through qr (R⁻¹·Qᵀ, or its transpose for a wide one):
 * accurate, and its derivative is qr's, right even where singular values repeat (an orthogonal A).
 * A rank-deficient one goes through svd with the singular values below the cutoff dropped, as
 * NumPy's and PyTorch's pinv do; its derivative is that of the truncated pseudo-inverse (the cutoff
 * is a constant), which the docs qualify.
 */
import { AdError, asOp, expectFinite, expectOptions } from "../errors.js";
import { div, mul } from "../tensor/primitives/arithmetic.js";
import { gt } from "../tensor/primitives/compare.js";
import { matmul } from "../tensor/primitives/matmul.js";
import { max } from "../tensor/primitives/reduce.js";
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

/**
 * X minimising ‖A·X − B‖ (the least-norm one where many do), batched; b is [..., m, k] or a vector
 * [m]. Full rank: through qr (R⁻¹·Qᵀ·B tall, Q·R⁻ᵀ·B wide). Rank-deficient: pinv(A)·B.
 */
export function lstsq(a: Tensor, b: Tensor, options?: PinvOptions): Tensor {
  const op = "lstsq";
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
  return asOp(op, () => {
    const rtol = cutoff(op, t, options);
    const column = vector ? reshape(rhs, [m, 1]) : rhs;
    const x = fullRank(t, rtol) ? viaQr(t, column) : matmul(viaSvd(t, rtol), column);
    return vector ? reshape(x, x.shape.slice(0, -1)) : x;
  });
}
