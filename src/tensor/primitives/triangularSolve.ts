/**
 * triangularSolve (a primitive): X with op(A)·X = B, A triangular (its lower or upper triangle is
 * read, its diagonal taken as ones when `unitDiagonal`), op the identity or the transpose, A and B
 * batched over one batch shape. A zero (or NaN) on a read diagonal is `SingularMatrix` naming the
 * batch and row, unless `check` is false: then the division by it gives ±∞ or NaN (LAPACK's trsm),
 * and the rules below, which keep `check`, carry them into the derivatives. Rules (Giles 2008, §2.3.1): with T the triangle read, op(T)·dX = dB − op(dT)·X, so
 * dX = op(T)⁻¹(dB − op(dT)·X); B̄ = op(T)⁻ᵀ·X̄ and T̄ = −B̄·Xᵀ (−X·B̄ᵀ under the transpose), kept
 * on the triangle read.
 */
import { AdError } from "../../errors.js";
import { singular, type TriangularSolveOptions } from "../../backends/linalg.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import { formatShape, sameShape } from "../shape.js";
import { fromStorage, type Tensor } from "../tensor.js";
import { neg, sub } from "./arithmetic.js";
import { matmul } from "./matmul.js";
import { transpose } from "./shape.js";
import { expectSquare, lowerPart, upperPart } from "./triangle.js";

export type { TriangularSolveOptions };

/** The triangle of A that the solve reads (strictly, when the diagonal is taken as ones). */
export function readTriangle(a: Tensor, { lower, unitDiagonal }: TriangularSolveOptions): Tensor {
  const k = unitDiagonal ? 1 : 0;
  return lower ? lowerPart(a, -k) : upperPart(a, k);
}

export const triangularSolveP: Primitive<TriangularSolveOptions> = definePrimitive<TriangularSolveOptions>("triangularSolve", {
  abstract: ([a, b]) => {
    const op = "triangularSolve";
    const n = expectSquare(op, a);
    if (b.dtype !== a.dtype) throw new AdError("DTypeMismatch", `${op} needs a and b of one dtype, got ${a.dtype} and ${b.dtype}`, { op, dtypes: [a.dtype, b.dtype] });
    if (b.shape.length !== a.shape.length || b.shape[b.shape.length - 2] !== n || !sameShape(a.shape.slice(0, -2), b.shape.slice(0, -2))) {
      throw new AdError("ShapeMismatch", `${op} needs b of shape [..., ${n}, k] with a's batch, got a ${formatShape(a.shape)} and b ${formatShape(b.shape)}`, {
        op,
        shapes: [[...a.shape], [...b.shape]],
      });
    }
    return { shape: b.shape, dtype: b.dtype };
  },
  impl: ([a, b], options, k) => {
    const { solution, failure } = k.triangularSolve(a, b, options);
    if (failure !== null && options.check !== false) throw singular("triangularSolve", a.shape, failure, "a zero (or NaN) on the diagonal");
    return fromStorage(solution, b.dtype, [...b.shape]);
  },
  vjp: ({ cotangent: g, inputs: [a], output: x, params, needs }) => {
    const gb = bind(triangularSolveP, [a, g], { ...params, transpose: !params.transpose });
    const ga = needs[0] ? readTriangle(neg(params.transpose ? matmul(x, transpose(gb)) : matmul(gb, transpose(x))), params) : null;
    return [ga, needs[1] ? gb : null];
  },
  jvp: ({ tangents: [da, db], inputs: [a], output: x, params }) => {
    const dt = da === null ? null : readTriangle(da, params);
    const product = dt === null ? null : matmul(params.transpose ? transpose(dt) : dt, x);
    const rhs = product === null ? (db as Tensor) : db === null ? neg(product) : sub(db, product);
    return bind(triangularSolveP, [a, rhs], params);
  },
});
