/**
 * Triangles and diagonals of (batched) matrices: tril, triu, diagonal, diag and diagEmbed, composed
 * of where with a constant mask, sum, slice, expand and pad, so their derivatives are those
 * primitives'. A mask, not a product with the identity, so an infinite entry off the diagonal never
 * turns into NaN on it. `adjoint/linalg` re-exports these.
 */
import { AdError, expectInteger } from "../../errors.js";
import { pad } from "../primitives/join.js";
import { expand, expectTensor, sum } from "../primitives/reduce.js";
import { permute, reshape, slice } from "../primitives/shape.js";
import { diagonalPart, lowerPart, upperPart } from "../primitives/triangle.js";
import { formatShape, normalizeAxis } from "../shape.js";
import type { Tensor } from "../tensor.js";

/** A tensor of rank ≥ 2 (a matrix or a batch of them). */
function matrices(op: string, x: unknown, name = "x"): Tensor {
  const t = expectTensor(op, x);
  if (t.rank < 2) throw new AdError("ShapeMismatch", `${op} needs ${name} of rank ≥ 2 (a matrix or a batch of them), got ${formatShape(t.shape)}`, { op, shape: [...t.shape] });
  return t;
}

const offset = (op: string, k: unknown): number => expectInteger(op, "k", k, -Number.MAX_SAFE_INTEGER);

/** x's entries on and below the k-th diagonal of its last two axes (k > 0 above the main one), zeros elsewhere. */
export function tril(x: Tensor, k = 0): Tensor {
  return lowerPart(matrices("tril", x), offset("tril", k));
}

/** x's entries on and above the k-th diagonal of its last two axes, zeros elsewhere. */
export function triu(x: Tensor, k = 0): Tensor {
  return upperPart(matrices("triu", x), offset("triu", k));
}

/**
 * The k-th diagonal of the matrices on axes `axis1` and `axis2` (the last two by default), as a last
 * axis: [..., n, m] → [..., len] (k > 0 above the main one, k < 0 below; empty where there is none).
 */
export function diagonal(x: Tensor, k = 0, axis1 = -2, axis2 = -1): Tensor {
  return diagonalOf("diagonal", x, k, axis1, axis2);
}

function diagonalOf(op: string, x: unknown, k: unknown, axis1: number, axis2: number): Tensor {
  let t = matrices(op, x);
  const d = offset(op, k);
  const a1 = normalizeAxis(op, axis1, t.rank);
  const a2 = normalizeAxis(op, axis2, t.rank);
  if (a1 === a2) throw new AdError("InvalidArgument", `axis1 and axis2 must differ, both are ${a1}`, { op, axis1: a1, axis2: a2 });
  if (a1 !== t.rank - 2 || a2 !== t.rank - 1) t = permute(t, [...t.shape.keys()].filter((i) => i !== a1 && i !== a2).concat(a1, a2));
  const n = t.shape[t.rank - 2];
  const m = t.shape[t.rank - 1];
  // Rows i and columns i + k of the band; the mask keeps one entry per row, which the sum picks out.
  const [r0, c0] = d >= 0 ? [0, d] : [-d, 0];
  const len = Math.max(0, Math.min(n - r0, m - c0));
  const rows = slice(t, [...t.shape.slice(0, -2).map(() => null), [r0, r0 + len], [c0, c0 + len]]);
  return sum(diagonalPart(rows), -1);
}

/**
 * Matrices with the last axis of v on their k-th diagonal, zeros elsewhere: [..., n] →
 * [..., n + |k|, n + |k|] (torch.diag_embed).
 */
export function diagEmbed(v: Tensor, k = 0): Tensor {
  return embedded("diagEmbed", v, k);
}

function embedded(op: string, v: unknown, k: unknown): Tensor {
  const t = expectTensor(op, v);
  if (t.rank === 0) throw new AdError("ShapeMismatch", `${op} needs a vector or a batch of them, got a scalar (shape [])`, { op, shape: [] });
  const d = offset(op, k);
  const n = t.shape[t.rank - 1];
  const batch = t.shape.slice(0, -1);
  const square = diagonalPart(expand(reshape(t, [...batch, n, 1]), [...batch, n, n]));
  if (d === 0) return square;
  const s = Math.abs(d);
  // Above the main diagonal: columns shift right and rows gain room below; below it, the reverse.
  const widths: [number, number][] =
    d > 0
      ? [
          [0, s],
          [s, 0],
        ]
      : [
          [s, 0],
          [0, s],
        ];
  return pad(square, [...batch.map(() => [0, 0] as [number, number]), ...widths]);
}

/**
 * NumPy's diag: of a vector [n], the matrix with it on the k-th diagonal; of a matrix (or a batch,
 * rank ≥ 2), its k-th diagonal (`diagonal`).
 */
export function diag(v: Tensor, k = 0): Tensor {
  const op = "diag";
  const t = expectTensor(op, v);
  if (t.rank === 0) throw new AdError("ShapeMismatch", `${op} needs a vector or a matrix, got a scalar (shape ${formatShape(t.shape)})`, { op, shape: [] });
  return t.rank >= 2 ? diagonalOf(op, t, k, -2, -1) : embedded(op, t, k);
}
