/** triangularSolve, the public form of its primitive (tensor/primitives/triangularSolve.ts), and tril and triu. */
import { expectBooleanOption, expectOptions } from "../errors.js";
import { bind } from "../tensor/primitive.js";
import { reshape } from "../tensor/primitives/shape.js";
import { triangularSolveP } from "../tensor/primitives/triangularSolve.js";
import type { Tensor } from "../tensor/tensor.js";
import { commonBatch, naming, rightHandSide, squareOperand } from "./checks.js";

export interface TriangularSolveOptions {
  /** A is lower triangular; by default upper (as SciPy's solve_triangular). Only that triangle is read. */
  readonly lower?: boolean;
  /** Solve Aᵀ·X = B instead of A·X = B. Default false. */
  readonly transpose?: boolean;
  /** Take A's diagonal as ones without reading it. Default false. */
  readonly unitDiagonal?: boolean;
  /** false: a zero on the diagonal is not `SingularMatrix`; the division by it gives ±∞ or NaN, as LAPACK's trsm. Default true. */
  readonly check?: boolean;
}

const KEYS = ["lower", "transpose", "unitDiagonal", "check"] as const;

/**
 * X with A·X = B (or Aᵀ·X = B) for a triangular A [..., n, n] and B [..., n, k] or a vector [n],
 * batches broadcast. A zero on the diagonal read is `SingularMatrix` with the batch and row (not
 * with `{ check: false }`).
 */
export function triangularSolve(a: Tensor, b: Tensor, options?: TriangularSolveOptions): Tensor {
  const op = "triangularSolve";
  const [ta, n] = squareOperand(op, "a", a);
  const o = expectOptions<TriangularSolveOptions>(op, options, [...KEYS]);
  const params = {
    lower: expectBooleanOption(op, "lower", o.lower, false),
    transpose: expectBooleanOption(op, "transpose", o.transpose, false),
    unitDiagonal: expectBooleanOption(op, "unitDiagonal", o.unitDiagonal, false),
    check: expectBooleanOption(op, "check", o.check, true),
  };
  const rhs = rightHandSide(op, b, n, ta.dtype);
  const [ea, eb] = commonBatch(op, ta, rhs.b);
  const x = naming(op, () => bind(triangularSolveP, [ea, eb], params));
  return rhs.vector ? reshape(x, x.shape.slice(0, -1)) : x;
}

// tril and triu are the tensor layer's (tensor/composites/diagonals.ts), under this module too.
export { tril, triu } from "../tensor/composites/diagonals.js";
