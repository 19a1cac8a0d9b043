/**
 * trace, diagonal, diag and outer: trace sums the diagonal; the others are the tensor layer's,
 * composed of existing primitives, so their derivatives are those primitives'.
 */
import { diag, diagonal } from "../tensor/composites/diagonals.js";
import { sum } from "../tensor/primitives/reduce.js";
import type { Tensor } from "../tensor/tensor.js";
import { matrixOperand } from "./checks.js";

/** The sum of each matrix's diagonal, [...batch]. */
export function trace(a: Tensor): Tensor {
  return sum(diagonal(matrixOperand("trace", "a", a)), -1);
}

// diag and diagonal are the tensor layer's (tensor/composites/diagonals.ts), under this module too.
export { diag, diagonal };

// The outer product of two vectors, [n] ⊗ [m] → [n, m]: the tensor layer's, under this module too.
export { outer } from "../tensor/primitives/matmul.js";
