/**
 * LU with partial pivoting as two primitives over one kernel: `luPermutation` (int32 [..., n]: row i
 * of P·A is row perm[i] of A) is a constant of A; `lu`
 * factors a matrix whose rows are already in pivot order, without pivoting, into L and U packed as
 * getrf packs them. The public luFactor gathers A's rows by the permutation and factors them, so the
 * derivative flows through gather and `lu`, and the permutation is locally constant. A zero pivot is
 * not an error here (U is returned, as LAPACK does); solving with it is.
 *
 * Rules for A = L·U (L unit lower, U upper), with X = L⁻¹·dA·U⁻¹:
 *   dL = L·tril(X, −1), dU = triu(X)·U, so the packed tangent is their sum;
 *   Ā = L⁻ᵀ·(tril(Lᵀ·F̄, −1) + triu(F̄·Uᵀ))·U⁻ᵀ for the packed cotangent F̄.
 */
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import { fromStorage, type Tensor } from "../tensor.js";
import { add } from "./arithmetic.js";
import { matmul } from "./matmul.js";
import { transpose } from "./shape.js";
import { expectSquare, lowerPart, upperPart } from "./triangle.js";
import { triangularSolveP } from "./triangularSolve.js";

/** L⁻¹·x (L⁻ᵀ·x when transposed), L the unit lower triangle of the packed factor. */
const solveL = (f: Tensor, x: Tensor, transposed: boolean): Tensor => bind(triangularSolveP, [f, x], { lower: true, transpose: transposed, unitDiagonal: true });
/** x·U⁻¹ (x·U⁻ᵀ when transposed) as (U⁻ᵀ·xᵀ)ᵀ, U the upper triangle of the packed factor. */
const solveURight = (f: Tensor, x: Tensor, transposed: boolean): Tensor =>
  transpose(bind(triangularSolveP, [f, transpose(x)], { lower: false, transpose: !transposed, unitDiagonal: false }));
/** L = the strict lower triangle of the packed factor plus the identity, as a product: L·x. */
const timesL = (f: Tensor, x: Tensor): Tensor => add(matmul(lowerPart(f, -1), x), x);

export const luP: Primitive<undefined> = definePrimitive("lu", {
  abstract: ([a]) => {
    expectSquare("lu", a);
    return { shape: a.shape, dtype: a.dtype };
  },
  impl: ([a], _, k) => fromStorage(k.lu(a, false).factor, a.dtype, [...a.shape]),
  vjp: ({ cotangent: g, output: f }) => {
    const lt = (x: Tensor): Tensor => add(matmul(transpose(lowerPart(f, -1)), x), x);
    const inner = add(lowerPart(lt(g), -1), upperPart(matmul(g, transpose(upperPart(f)))));
    return [solveURight(f, solveL(f, inner, true), true)];
  },
  jvp: ({ tangents: [da], output: f }) => {
    const x = solveURight(f, solveL(f, da as Tensor, false), false);
    return add(timesL(f, lowerPart(x, -1)), matmul(upperPart(x), upperPart(f)));
  },
});

export const luPermutationP: Primitive<undefined> = definePrimitive("luPermutation", {
  abstract: ([a]) => {
    expectSquare("lu", a);
    return { shape: a.shape.slice(0, -1), dtype: "int32" };
  },
  impl: ([a], _, k) => fromStorage(k.lu(a).permutation, "int32", a.shape.slice(0, -1)),
});
