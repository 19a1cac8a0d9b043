/**
 * eigh (a primitive): the eigendecomposition S = V·diag(w)·Vᵀ of the symmetric matrix S of A's lower
 * triangle (A's upper triangle is not read, as LAPACK's syevd with UPLO = 'L'), packed as one
 * output [..., n + 1, n] (row 0 the eigenvalues w ascending, rows 1… V, eigenvectors as columns) so
 * that one kernel run serves both and one rule differentiates both. The public eigh symmetrises A
 * and splits the output.
 *
 * Rules (Giles 2008 §3.1; Seeger et al. 2017), with dS = tril(dA) + tril(dA, −1)ᵀ, Ṡ = Vᵀ·dS·V
 * and F_ij = 1/(w_j − w_i) off the diagonal:
 *   dw = diag(Ṡ), dV = V·(F ∘ Ṡ);
 *   S̄ = V·(diag(w̄) + F ∘ (Vᵀ·V̄))·Vᵀ, and Ā = tril(S̄) + tril(S̄ᵀ, −1) (as for cholesky).
 * Where two eigenvalues agree (|w_j − w_i| ≤ 16·n·ε·max|w|, ε the dtype's epsilon) F_ij is taken as
 * 0, not ∞: the eigenvectors of a repeated eigenvalue are any basis of its eigenspace and have no
 * derivative, but the eigenvalues' derivative and that of any function invariant under the choice
 * of basis (the eigenspace's projector, f(A) = V·f(w)·Vᵀ) are defined, and this gives them, finite.
 */
import { definePrimitive, type Primitive } from "../primitive.js";
import { fromStorage, type Tensor } from "../tensor.js";
import { add, div, mul, sub } from "./arithmetic.js";
import { gt } from "./compare.js";
import { concat } from "./join.js";
import { matmul } from "./matmul.js";
import { expand, max, sum } from "./reduce.js";
import { where } from "./select.js";
import { slice, transpose, unsqueeze } from "./shape.js";
import { diagonalPart, expectSquare, lowerPart } from "./triangle.js";
import { abs } from "./unary.js";

const EPSILON = { float32: 2 ** -23, float64: 2 ** -52 } as const;

/** The eigenvalues w [..., n] and eigenvectors V [..., n, n] of eigh's packed output. */
export function eighParts(packed: Tensor): [Tensor, Tensor] {
  const n = packed.shape[packed.rank - 1];
  const batch = packed.shape.slice(0, -2).map(() => null);
  const w = slice(packed, [...batch, 0]);
  const v = slice(packed, [...batch, [1, n + 1], null]);
  return [w, v];
}

/** F_ij = 1/(w_j − w_i), 0 where the two agree to rounding (the threshold is a constant of w). */
export function gapInverse(w: Tensor): Tensor {
  const n = w.shape[w.rank - 1];
  const gaps = sub(unsqueeze(w, -2), unsqueeze(w, -1));
  const scale = max(abs(w.detach()), -1, true);
  const tolerance = unsqueeze(mul(scale, 16 * n * EPSILON[w.dtype as keyof typeof EPSILON]), -1);
  const apart = gt(abs(gaps.detach()), tolerance);
  // The divisor is 1 where masked, so no ∞ enters even a second derivative.
  return where(apart, div(1, where(apart, gaps, 1)), 0);
}

/** The [..., n, n] matrix with x [..., n] on its diagonal. */
export const diagonalMatrix = (x: Tensor): Tensor => diagonalPart(expand(unsqueeze(x, -2), [...x.shape, x.shape[x.rank - 1]]));

export const eighP: Primitive<undefined> = definePrimitive("eigh", {
  abstract: ([a]) => {
    const n = expectSquare("eigh", a);
    return { shape: [...a.shape.slice(0, -2), n + 1, n], dtype: a.dtype };
  },
  impl: ([a], _, k) => {
    const n = a.shape[a.rank - 1];
    return fromStorage(k.eigh(a), a.dtype, [...a.shape.slice(0, -2), n + 1, n]);
  },
  vjp: ({ cotangent: g, output }) => {
    const [w, v] = eighParts(output);
    const [gw, gv] = eighParts(g);
    const inner = add(diagonalMatrix(gw), mul(gapInverse(w), matmul(transpose(v), gv)));
    const gs = matmul(matmul(v, inner), transpose(v));
    return [add(lowerPart(gs), lowerPart(transpose(gs), -1))];
  },
  jvp: ({ tangents: [da], output }) => {
    const [w, v] = eighParts(output);
    const ds = add(lowerPart(da as Tensor), transpose(lowerPart(da as Tensor, -1)));
    const s = matmul(matmul(transpose(v), ds), v);
    const dw = sum(diagonalPart(s), -1);
    const dv = matmul(v, mul(gapInverse(w), s));
    return concat([unsqueeze(dw, -2), dv], -2);
  },
});
