/**
 * The triangles of a (batched) matrix, composed of `where` with a constant bool mask, so their
 * derivatives are where's (the cotangent masked the same way): tril/triu for the public API and the
 * linear algebra rules, and the checks those primitives share (a float batch of square matrices).
 */
import { AdError } from "../../errors.js";
import { allocate } from "../dtype.js";
import { placed } from "../creation.js";
import type { AbstractValue } from "../primitive.js";
import { formatShape } from "../shape.js";
import type { Device, Tensor } from "../tensor.js";
import { expectFloat } from "./lift.js";
import { where } from "./select.js";

/** An [n, m] mask on `device`: true where j − i ≤ k (lower) or j − i ≥ k (upper). */
function triangleMask(n: number, m: number, k: number, lower: boolean, device: Device): Tensor {
  const storage = allocate("bool", n * m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) storage[i * m + j] = (lower ? j - i <= k : j - i >= k) ? 1 : 0;
  return placed(storage, "bool", [n, m], device);
}

/** The [n, n] mask of x's last two axes, on its device. */
const mask = (x: Tensor, k: number, lower: boolean): Tensor => triangleMask(x.shape[x.rank - 2], x.shape[x.rank - 1], k, lower, x.device);

/** The n×n mask of the strict upper triangle (j > i), on `device`. */
export function upperMask(n: number, device: Device): Tensor {
  return triangleMask(n, n, 1, false, device);
}

/** x's entries on and below the k-th diagonal (k > 0 above the main one, k < 0 below), zeros elsewhere. */
export function lowerPart(x: Tensor, k = 0): Tensor {
  return where(mask(x, k, true), x, 0);
}

/** x's entries on and above the k-th diagonal, zeros elsewhere. */
export function upperPart(x: Tensor, k = 0): Tensor {
  return where(mask(x, k, false), x, 0);
}

/** x's main diagonal kept, zeros elsewhere (still [..., n, n]). */
export function diagonalPart(x: Tensor): Tensor {
  return lowerPart(upperPart(x));
}

/** The abstract rules' check: a float tensor of rank ≥ 2 whose last two dims are equal. */
export function expectSquare(op: string, a: AbstractValue, name = "a"): number {
  expectFloat(op, a);
  const n = a.shape[a.shape.length - 2];
  if (a.shape.length < 2 || n !== a.shape[a.shape.length - 1]) {
    throw new AdError("ShapeMismatch", `${op} needs square matrices (shape [..., n, n]) for ${name}, got ${formatShape(a.shape)}`, {
      op,
      shape: [...a.shape],
      ...(a.shape.length >= 2 ? { rows: n, columns: a.shape[a.shape.length - 1] } : {}),
    });
  }
  return n;
}
