/**
 * `adjoint/linalg`: linear algebra with derivatives, batched over leading dimensions, float32 and
 * float64. Factorizations and solves are primitives with VJP and JVP rules written in primitives
 * (tensor/primitives/cholesky.ts, lu.ts, triangularSolve.ts), so they nest; the rest is composed.
 */
// Tensors reached through this entry alone have their methods too (tensor/methods.ts says why they are apart).
import "../tensor/methods.js";
export { eigh, eigvalsh, qr, svd, svdvals, type QrOptions } from "./decompositions.js";
export { cholesky, lu, luFactor, luSolve, type LuFactors } from "./factor.js";
export { diag, diagonal, outer, trace } from "./matrix.js";
export { det, inv, slogdet, solve } from "./solve.js";
export { triangularSolve, tril, triu, type TriangularSolveOptions } from "./triangular.js";
export { lstsq, pinv, type PinvOptions } from "./leastSquares.js";
export { matrixNorm, norm, vectorNorm, type MatrixNormOptions, type MatrixOrd, type VectorNormOptions } from "./norm.js";
export { cross, kron, matrixPower } from "./products.js";
export { einsum } from "./einsum.js";
