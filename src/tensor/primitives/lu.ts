/**
 * LU with partial pivoting (a primitive), A[perm] = L·U, packed as one output [..., n + 1, n] so that
 * one kernel run serves both: row 0 the permutation perm (row i of L·U is row perm[i] of A, held as
 * A's float dtype, exact up to 2²⁴), rows 1… L and U packed as getrf packs them. The public luFactor
 * splits it. The permutation is locally constant in A: its tangent is 0 and its cotangent is ignored,
 * so the rules below are those of the unpivoted factorization of A' = A[perm], composed with the row
 * gather. A zero pivot is not an error here (U is returned, as LAPACK does); solving with it is,
 * in the rules below too, unless `check` is false: then their solves give ±∞ or NaN instead.
 *
 * Rules for A' = L·U (L unit lower, U upper), with X = L⁻¹·dA'·U⁻¹ and dA' = dA[perm]:
 *   dL = L·tril(X, −1), dU = triu(X)·U, so the packed tangent is their sum;
 *   Ā' = L⁻ᵀ·(tril(Lᵀ·F̄, −1) + triu(F̄·Uᵀ))·U⁻ᵀ for the packed cotangent F̄, and Ā[perm] = Ā'.
 */
import { packLu } from "../../backends/linalg.js";
import type { FactorParams } from "./cholesky.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import { fromStorage, type Tensor } from "../tensor.js";
import { add } from "./arithmetic.js";
import { cast } from "./cast.js";
import { gather, scatterAdd } from "./gather.js";
import { concat } from "./join.js";
import { zerosLike } from "./lift.js";
import { matmul } from "./matmul.js";
import { expand } from "./reduce.js";
import { reshape, slice, transpose } from "./shape.js";
import { expectSquare, lowerPart, upperPart } from "./triangle.js";
import { triangularSolveP } from "./triangularSolve.js";

/** Rows 1… of lu's packed output [..., n + 1, n] (or of its cotangent): L and U packed, [..., n, n]. */
export function factorPart(packed: Tensor): Tensor {
  const n = packed.shape[packed.rank - 1];
  return slice(packed, [...packed.shape.slice(0, -2).map(() => null), [1, n + 1], null]);
}

/** Row 0 of lu's packed output: the permutation, int32 [..., n], a constant. */
export function permutationPart(packed: Tensor): Tensor {
  return cast(slice(packed.detach(), [...packed.shape.slice(0, -2).map(() => null), 0]), "int32");
}

/** The gather index [..., n, k] taking the rows of an [..., n, k] matrix in the order of `permutation` [..., n]. */
export function rowIndex(permutation: Tensor, k: number): Tensor {
  return expand(reshape(permutation, [...permutation.shape, 1]), [...permutation.shape, k]);
}

/** L⁻¹·x (L⁻ᵀ·x when transposed), L the unit lower triangle of the packed factor. */
const solveL = (f: Tensor, x: Tensor, transposed: boolean): Tensor => bind(triangularSolveP, [f, x], { lower: true, transpose: transposed, unitDiagonal: true });
/** x·U⁻¹ (x·U⁻ᵀ when transposed) as (U⁻ᵀ·xᵀ)ᵀ, U the upper triangle of the packed factor. */
const solveURight = (f: Tensor, x: Tensor, transposed: boolean, check: boolean): Tensor =>
  transpose(bind(triangularSolveP, [f, transpose(x)], { lower: false, transpose: !transposed, unitDiagonal: false, check }));
/** L = the strict lower triangle of the packed factor plus the identity, as a product: L·x. */
const timesL = (f: Tensor, x: Tensor): Tensor => add(matmul(lowerPart(f, -1), x), x);

export const luP: Primitive<FactorParams> = definePrimitive<FactorParams>("lu", {
  abstract: ([a]) => {
    const n = expectSquare("lu", a);
    return { shape: [...a.shape.slice(0, -2), n + 1, n], dtype: a.dtype };
  },
  impl: ([a], _, k) => {
    const n = a.shape[a.rank - 1];
    return fromStorage(packLu(k.lu(a), a.dtype, n), a.dtype, [...a.shape.slice(0, -2), n + 1, n]);
  },
  vjp: ({ cotangent: g, output, params: { check } }) => {
    const [f, gf, permutation] = [factorPart(output), factorPart(g), permutationPart(output)];
    const lt = (x: Tensor): Tensor => add(matmul(transpose(lowerPart(f, -1)), x), x);
    const inner = add(lowerPart(lt(gf), -1), upperPart(matmul(gf, transpose(upperPart(f)))));
    const permuted = solveURight(f, solveL(f, inner, true), true, check);
    return [scatterAdd(zerosLike(permuted), -2, rowIndex(permutation, f.shape[f.rank - 1]), permuted)];
  },
  jvp: ({ tangents: [da], output, params: { check } }) => {
    const [f, permutation] = [factorPart(output), permutationPart(output)];
    const dPermuted = gather(da as Tensor, -2, rowIndex(permutation, f.shape[f.rank - 1]));
    const x = solveURight(f, solveL(f, dPermuted, false), false, check);
    const df = add(timesL(f, lowerPart(x, -1)), matmul(upperPart(x), upperPart(f)));
    return concat([zerosLike(slice(output, [...f.shape.slice(0, -2).map(() => null), [0, 1]])), df], -2);
  },
});
