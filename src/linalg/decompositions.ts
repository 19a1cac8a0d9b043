/**
 * The orthogonal decompositions: qr, eigh (eigvalsh) and svd (svdvals). Their derivatives are the
 * primitives' (tensor/primitives/qr.ts, eigh.ts, svd.ts); R is Qᵀ·A, a product, so it needs no rule
 * of its own.
 */
import { asOp, describe, expectBooleanOption, expectOptions, invalidArgument } from "../errors.js";
import { bind } from "../tensor/primitive.js";
import { add, mul } from "../tensor/primitives/arithmetic.js";
import { eighP, eighParts } from "../tensor/primitives/eigh.js";
import { gather } from "../tensor/primitives/gather.js";
import { concat } from "../tensor/primitives/join.js";
import { qrP, rFactor } from "../tensor/primitives/qr.js";
import { argmax } from "../tensor/primitives/reduce.js";
import { slice, transpose } from "../tensor/primitives/shape.js";
import { svdP, svdParts } from "../tensor/primitives/svd.js";
import { abs, sign } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { matrixOperand, squareOperand } from "./checks.js";

export interface QrOptions {
  /** "reduced" (default): Q [..., m, k], R [..., k, n] with k = min(m, n). "complete": Q [..., m, m], R [..., m, n]. */
  readonly mode?: "reduced" | "complete";
}

/**
 * A = Q·R, batched: Q with orthonormal columns, R upper triangular, by Householder reflections with
 * LAPACK's signs (R's diagonal is negative where the reflector flipped the column, as in PyTorch and
 * NumPy), except where a column is already zero below the diagonal: it is reflected anyway, so the
 * factors stay continuous (LAPACK's jump by a sign there). For a wide A (m < n) Q and R's first m columns are the QR of A's first m columns and the
 * rest of R is Qᵀ·A, so derivatives exist whenever those columns are independent (PyTorch's rule).
 * The complete Q of a tall A has no derivative: MissingDerivative when one is asked for.
 */
export function qr(a: Tensor, options?: QrOptions): { readonly Q: Tensor; readonly R: Tensor } {
  const op = "qr";
  const t = matrixOperand(op, "a", a);
  const mode = expectOptions<QrOptions>(op, options, ["mode"]).mode ?? "reduced";
  if (mode !== "reduced" && mode !== "complete")
    throw invalidArgument(op, `mode must be "reduced" or "complete", got ${describe(mode)}`, { argument: "mode", got: describe(mode) });
  const m = t.shape[t.rank - 2];
  const n = t.shape[t.rank - 1];
  const square = m < n ? slice(t, [...t.shape.slice(0, -2).map(() => null), null, [0, m]]) : t;
  const Q = bind(qrP, [square], { complete: mode === "complete" && m > n });
  return { Q, R: rFactor(Q, t) };
}

/**
 * The eigenvalues (ascending, [..., n]) and unit eigenvectors (the columns of [..., n, n]) of
 * symmetric matrices, batched, by cyclic Jacobi rotations. A is symmetrised first, ½(A + Aᵀ), so its
 * gradient is symmetric. Each eigenvector's largest entry (the first, on a tie) is positive.
 * Repeated eigenvalues: the eigenvectors are some orthonormal basis of the eigenspace and their own
 * derivative is undefined: NaN where a gradient uses them, as PyTorch (eigh.ts); the eigenvalues'
 * stays finite. Functions V·f(w)·Vᵀ have an exact derivative through matrixFunction.
 */
export function eigh(a: Tensor): { readonly eigenvalues: Tensor; readonly eigenvectors: Tensor } {
  const [t] = squareOperand("eigh", "a", a);
  const [eigenvalues, eigenvectors] = eighParts(bind(eighP, [mul(add(t, transpose(t)), 0.5)], undefined));
  return { eigenvalues, eigenvectors };
}

/** The eigenvalues of symmetric matrices, ascending ([..., n]): eigh's. */
export function eigvalsh(a: Tensor): Tensor {
  const [t] = squareOperand("eigvalsh", "a", a);
  return eigh(t).eigenvalues;
}

export interface SvdOptions {
  /**
   * false (default): the thin SVD, U [..., m, k] and Vh [..., k, n], k = min(m, n). true: U [..., m, m]
   * and Vh [..., n, n], the thin factors completed to orthogonal matrices (NumPy's and PyTorch's
   * `full_matrices`; note that their default is true).
   */
  readonly fullMatrices?: boolean;
}

/**
 * The SVD A = U·diag(S)·Vh of matrices [..., m, n], batched (PyTorch's names): k = min(m, n), S [..., k]
 * descending; thin by default, U [..., m, k] and Vh [..., k, n] with orthonormal columns and rows.
 * One-sided Jacobi on A (or Aᵀ when m < n), never the eigenvalues of AᵀA. Each column of U is signed so
 * that its largest entry (the first, on a tie) is positive, and Vh's row with it. Repeated singular
 * values and zero ones: see the docs (derivatives finite; exact where they are defined). With
 * `fullMatrices` the extra columns of U (or rows of Vh) are an orthonormal basis of the complement,
 * any one: they are constants, so no gradient flows through them (PyTorch drops theirs the same way).
 */
export function svd(a: Tensor, options?: SvdOptions): { readonly U: Tensor; readonly S: Tensor; readonly Vh: Tensor } {
  const op = "svd";
  const t = matrixOperand(op, "a", a);
  const full = expectBooleanOption(op, "fullMatrices", expectOptions<SvdOptions>(op, options, ["fullMatrices"]).fullMatrices, false);
  const wide = t.shape[t.rank - 2] < t.shape[t.rank - 1];
  const [S, left, right] = svdParts(bind(svdP, [wide ? transpose(t) : t], undefined));
  // The sign of each column's largest entry, a constant: flipping a pair (u_j, v_j) leaves A alone.
  const fixed = (wide ? right : left).detach();
  // (No rows, no entries to sign: argmax would refuse the empty axis.)
  const flip = fixed.shape[fixed.rank - 2] === 0 ? 1 : sign(gather(fixed, -2, argmax(abs(fixed), -2, true)));
  const u = mul(wide ? right : left, flip);
  const v = mul(wide ? left : right, flip);
  if (!full) return { U: u, S, Vh: transpose(v) };
  return { U: completed(u), S, Vh: transpose(completed(v)) };
}

/** q [..., m, k] with orthonormal columns, followed by an orthonormal basis of their complement (constant). */
function completed(q: Tensor): Tensor {
  const m = q.shape[q.rank - 2];
  const k = q.shape[q.rank - 1];
  if (k === m) return q;
  const batch = q.shape.slice(0, -2).map(() => null);
  const complement = slice(bind(qrP, [q.detach()], { complete: true }), [...batch, null, [k, m]]);
  return concat([q, complement], -1);
}

/** The singular values alone, descending ([..., min(m, n)]): svd's. */
export function svdvals(a: Tensor): Tensor {
  return asOp("svdvals", () => svd(matrixOperand("svdvals", "a", a)).S);
}
