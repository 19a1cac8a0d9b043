/**
 * trace, diagonal, diag and outer, composed of existing primitives (where with a constant mask, sum,
 * slice, expand): their derivatives are those primitives'. A mask, not a product with the identity,
 * so an infinite entry off the diagonal never turns into NaN on it.
 */
import { AdError, expectInteger } from "../errors.js";
import { expand, sum } from "../tensor/primitives/reduce.js";
import { reshape, slice } from "../tensor/primitives/shape.js";
import { diagonalPart } from "../tensor/primitives/triangle.js";
import { formatShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectTensor, matrixOperand } from "./checks.js";

/**
 * The k-th diagonal of each matrix of a [..., n, m] batch, [..., len] (k > 0 above the main one,
 * k < 0 below; an empty vector where there is none).
 */
export function diagonal(a: Tensor, k = 0): Tensor {
  const op = "diagonal";
  const t = matrixOperand(op, "a", a);
  expectInteger(op, "k", k, -Number.MAX_SAFE_INTEGER);
  const n = t.shape[t.rank - 2];
  const m = t.shape[t.rank - 1];
  // Rows i and columns i + k of the band; the mask keeps one entry per row, which the sum picks out.
  const [r0, c0] = k >= 0 ? [0, k] : [-k, 0];
  const len = Math.max(0, Math.min(n - r0, m - c0));
  const rows = slice(t, [...t.shape.slice(0, -2).map(() => null), [r0, r0 + len], [c0, c0 + len]]);
  return sum(diagonalPart(rows), -1);
}

/** The sum of each matrix's diagonal, [...batch]. */
export function trace(a: Tensor): Tensor {
  return sum(diagonal(matrixOperand("trace", "a", a)), -1);
}

/**
 * NumPy's diag: of a vector [n], the [n, n] matrix with it on the diagonal; of a matrix
 * (rank ≥ 2), its diagonal (`diagonal`).
 */
export function diag(v: Tensor): Tensor {
  const op = "diag";
  const t = expectTensor(op, "v", v);
  if (t.rank === 0) throw new AdError("ShapeMismatch", `${op} needs a vector or a matrix, got a scalar (shape ${formatShape(t.shape)})`, { op, shape: [] });
  if (t.rank >= 2) return diagonal(t);
  const n = t.shape[0];
  return diagonalPart(expand(reshape(t, [n, 1]), [n, n]));
}

// The outer product of two vectors, [n] ⊗ [m] → [n, m]: the tensor layer's, under this module too.
export { outer } from "../tensor/primitives/matmul.js";
