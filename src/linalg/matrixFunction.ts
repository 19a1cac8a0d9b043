/**
 * Functions of symmetric matrices, f(S) = V·diag(f(w))·Vᵀ with S = V·diag(w)·Vᵀ (eigh), whose
 * derivative is right at repeated eigenvalues too. Through eigh's own rule it cannot be: the term of
 * a repeated pair needs f′(w_i), which w̄ and V̄ do not carry (eigh.ts). The Daleckii–Krein formula
 * does not pass through the eigenvectors' derivative:
 *   dY = V·(L ∘ (Vᵀ·dS·V))·Vᵀ,  S̄ = V·(L ∘ (Vᵀ·Ȳ·V))·Vᵀ,
 *   L_ij = (f(w_i) − f(w_j))/(w_i − w_j), and f′((w_i + w_j)/2) where |w_i − w_j| ≤ ∛ε·max|w|
 * (the midpoint's derivative differs from the divided difference by O(gap²), the quotient's rounding
 * by O(ε/gap): ∛ε balances the two). The rules are tensor code on S itself, so they are
 * differentiated again for second order (which does go through eigh's rule, and so is NaN at an
 * exactly repeated eigenvalue).
 */
import { expectFunction } from "../errors.js";
import { customJvp, customVjp } from "../tensor/autograd/custom.js";
import { bind } from "../tensor/primitive.js";
import { add, div, mul, sub } from "../tensor/primitives/arithmetic.js";
import { gt } from "../tensor/primitives/compare.js";
import { diagonalMatrix, eighP, eighParts } from "../tensor/primitives/eigh.js";
import { matmul } from "../tensor/primitives/matmul.js";
import { max } from "../tensor/primitives/reduce.js";
import { where } from "../tensor/primitives/select.js";
import { transpose, unsqueeze } from "../tensor/primitives/shape.js";
import { abs, exp, log, sqrt } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { squareOperand } from "./checks.js";

/** An elementwise function of a tensor (of the eigenvalues, or of their midpoints [..., n, n]). */
export type ElementFunction = (w: Tensor) => Tensor;

const CUBE_ROOT_EPSILON = { float32: Math.cbrt(2 ** -23), float64: Math.cbrt(2 ** -52) } as const;

/** L [..., n, n]: f's divided differences of the eigenvalues w, f′ at the midpoint where two (nearly) agree. */
function dividedDifferences(w: Tensor, f: ElementFunction, df: ElementFunction): Tensor {
  const fw = f(w);
  const column = unsqueeze(w, -1);
  const row = unsqueeze(w, -2);
  const gaps = sub(column, row);
  const scale = unsqueeze(max(abs(w.detach()), -1, true), -1);
  const apart = gt(abs(gaps.detach()), mul(scale, CUBE_ROOT_EPSILON[w.dtype as keyof typeof CUBE_ROOT_EPSILON]));
  // The divisor is 1 where masked, so no ∞ enters a second derivative.
  const quotient = div(sub(unsqueeze(fw, -1), unsqueeze(fw, -2)), where(apart, gaps, 1));
  return where(apart, quotient, df(mul(add(column, row), 0.5)));
}

/** V·(L ∘ (Vᵀ·X·V))·Vᵀ: the Fréchet derivative of f at S in the direction X (and, S symmetric, its adjoint). */
function frechet(s: Tensor, x: Tensor, f: ElementFunction, df: ElementFunction): Tensor {
  const [w, v] = eighParts(bind(eighP, [s], undefined));
  const inner = mul(dividedDifferences(w, f, df), matmul(matmul(transpose(v), x), v));
  return matmul(matmul(v, inner), transpose(v));
}

/**
 * f(A) = V·diag(f(w))·Vᵀ for the symmetric part ½(A + Aᵀ) of A [..., n, n], batched; f maps the
 * eigenvalues elementwise and df is its derivative (used for repeated eigenvalues, exact or within
 * ∛ε·max|w|). The first derivative is exact everywhere f is differentiable at the eigenvalues.
 */
export function matrixFunction(a: Tensor, f: ElementFunction, df: ElementFunction): Tensor {
  const op = "matrixFunction";
  const [t] = squareOperand(op, "a", a);
  expectFunction(op, "f", f);
  expectFunction(op, "df", df);
  const value = (s: Tensor): Tensor => {
    const [w, v] = eighParts(bind(eighP, [s], undefined));
    return matmul(matmul(v, diagonalMatrix(f(w))), transpose(v));
  };
  const reverse = customVjp(
    value,
    (s: Tensor) => [value(s), s] as const,
    (s: Tensor, g: Tensor) => [frechet(s, g, f, df)],
  );
  const spectral = customJvp(reverse, ([s], [ds]) => frechet(s, ds as Tensor, f, df));
  return spectral(mul(add(t, transpose(t)), 0.5));
}

/** e^A of the symmetric part of A: matrixFunction with exp. */
export function expmh(a: Tensor): Tensor {
  return matrixFunction(squareOperand("expmh", "a", a)[0], exp, exp);
}

/** The principal logarithm of the symmetric part of A (positive definite; a non-positive eigenvalue gives NaN, as log does). */
export function logmh(a: Tensor): Tensor {
  return matrixFunction(squareOperand("logmh", "a", a)[0], log, (w) => div(1, w));
}

/** The principal square root of the symmetric part of A (positive semidefinite; a negative eigenvalue gives NaN, as sqrt does). */
export function sqrtmh(a: Tensor): Tensor {
  return matrixFunction(squareOperand("sqrtmh", "a", a)[0], sqrt, (w) => div(0.5, sqrt(w)));
}
