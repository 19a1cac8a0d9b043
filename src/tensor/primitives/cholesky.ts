/**
 * cholesky (a primitive): the lower factor L with L·Lᵀ = S, where S is the symmetric matrix of A's
 * lower triangle (A's upper triangle is not read, as LAPACK's potrf). A matrix that is not positive
 * definite is `SingularMatrix` naming the batch and the column where a pivot was not positive;
 * with `check` false it is not: that matrix's L holds NaN from that column on (the kernel's), and
 * the rules' solves against it, which keep `check`, give NaN derivatives instead of raising.
 *
 * Rules (Murray 2016, "Differentiation of the Cholesky decomposition"), with Φ(X) the lower triangle
 * of X with its diagonal halved and dS = tril(dA) + tril(dA, −1)ᵀ:
 *   dL = L·Φ(L⁻¹·dS·L⁻ᵀ);
 *   M = L⁻ᵀ·Φ(Lᵀ·L̄)·L⁻¹ gives ⟨L̄, dL⟩ = ⟨M, dS⟩, so Ā = tril(M) + tril(Mᵀ, −1).
 */
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import { fromStorage, type Tensor } from "../tensor.js";
import { add, mul, sub } from "./arithmetic.js";
import { matmul } from "./matmul.js";
import { transpose } from "./shape.js";
import { diagonalPart, expectSquare, lowerPart } from "./triangle.js";
import { singular } from "../../backends/linalg.js";
import { triangularSolveP } from "./triangularSolve.js";

/** The lower triangle of x with its diagonal halved. */
const phi = (x: Tensor): Tensor => sub(lowerPart(x), mul(diagonalPart(x), 0.5));
/** L⁻¹·x (or L⁻ᵀ·x). */
const solveL = (l: Tensor, x: Tensor, check: boolean, transposed = false): Tensor =>
  bind(triangularSolveP, [l, x], { lower: true, transpose: transposed, unitDiagonal: false, check });

/** false: a matrix that is not positive definite is not an error (`{ check: false }`). */
export interface FactorParams {
  readonly check: boolean;
}

export const choleskyP: Primitive<FactorParams> = definePrimitive<FactorParams>("cholesky", {
  abstract: ([a]) => {
    expectSquare("cholesky", a);
    return { shape: a.shape, dtype: a.dtype };
  },
  impl: ([a], { check }, k) => {
    const { factor, failure } = k.cholesky(a);
    if (failure !== null && check) throw singular("cholesky", a.shape, failure, "not positive definite, the pivot is not positive");
    return fromStorage(factor, a.dtype, [...a.shape]);
  },
  vjp: ({ cotangent: g, output: l, params: { check } }) => {
    // M = L⁻ᵀ·P·L⁻¹ as (L⁻ᵀ·(L⁻ᵀ·P)ᵀ)ᵀ: two solves against L, no inverse formed.
    const m = transpose(solveL(l, transpose(solveL(l, phi(matmul(transpose(l), g)), check, true)), check, true));
    return [add(lowerPart(m), lowerPart(transpose(m), -1))];
  },
  jvp: ({ tangents: [da], output: l, params: { check } }) => {
    const ds = add(lowerPart(da as Tensor), transpose(lowerPart(da as Tensor, -1)));
    // L⁻¹·dS·L⁻ᵀ = L⁻¹·(L⁻¹·dS)ᵀ, as dS is symmetric.
    return matmul(l, phi(solveL(l, transpose(solveL(l, ds, check)), check)));
  },
});
