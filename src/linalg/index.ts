/**
 * `adjoint/linalg`: linear algebra with derivatives, batched over leading dimensions, float32 and
 * float64. Factorizations and solves are primitives with VJP and JVP rules written in primitives
 * (tensor/primitives/cholesky.ts, lu.ts, triangularSolve.ts), so they nest; the rest is composed.
 */
// Tensors reached through this entry alone have their methods too (tensor/methods.ts says why they are apart).
import "../tensor/methods.js";
import { onDevices } from "./checks.js";
import * as decompositions from "./decompositions.js";
import * as factor from "./factor.js";
import * as leastSquares from "./leastSquares.js";
import * as spectral from "./matrixFunction.js";
import * as norms from "./norm.js";
import * as products from "./products.js";
import * as solves from "./solve.js";
import * as triangular from "./triangular.js";
import * as withInfo from "./withInfo.js";

export type { QrOptions, SvdOptions } from "./decompositions.js";
export type { LuFactors } from "./factor.js";
export type { CheckOptions } from "./checks.js";
export type { ElementFunction } from "./matrixFunction.js";
export { diag, diagonal, outer, trace } from "./matrix.js";
export { tril, triu, type TriangularSolveOptions } from "./triangular.js";
export type { LstsqResult, PinvOptions } from "./leastSquares.js";
export type { MatrixNormOptions, MatrixOrd, VectorNormOptions } from "./norm.js";
export { cross, kron } from "./products.js";
export { einsum } from "./einsum.js";

// The functions that can reach a kernel a device lacks (the GPU has no factorizations): its
// UnsupportedOp names the function called and says to move to the cpu (checks.ts, onDevices).
export const eigh = onDevices("eigh", decompositions.eigh);
export const eigvalsh = onDevices("eigvalsh", decompositions.eigvalsh);
export const matrixFunction = onDevices("matrixFunction", spectral.matrixFunction);
export const expmh = onDevices("expmh", spectral.expmh);
export const logmh = onDevices("logmh", spectral.logmh);
export const sqrtmh = onDevices("sqrtmh", spectral.sqrtmh);
export const qr = onDevices("qr", decompositions.qr);
export const svd = onDevices("svd", decompositions.svd);
export const svdvals = onDevices("svdvals", decompositions.svdvals);
export const cholesky = onDevices("cholesky", factor.cholesky);
export const lu = onDevices("lu", factor.lu);
export const luFactor = onDevices("luFactor", factor.luFactor);
export const luSolve = onDevices("luSolve", factor.luSolve);
export const choleskyEx = onDevices("choleskyEx", withInfo.choleskyEx);
export const luFactorEx = onDevices("luFactorEx", withInfo.luFactorEx);
export const solveEx = onDevices("solveEx", withInfo.solveEx);
export const invEx = onDevices("invEx", withInfo.invEx);
export const det = onDevices("det", solves.det);
export const inv = onDevices("inv", solves.inv);
export const slogdet = onDevices("slogdet", solves.slogdet);
export const solve = onDevices("solve", solves.solve);
export const triangularSolve = onDevices("triangularSolve", triangular.triangularSolve);
export const lstsq = onDevices("lstsq", leastSquares.lstsq);
export const lstsqWithInfo = onDevices("lstsqWithInfo", leastSquares.lstsqWithInfo);
export const pinv = onDevices("pinv", leastSquares.pinv);
export const matrixNorm = onDevices("matrixNorm", norms.matrixNorm);
export const norm = onDevices("norm", norms.norm);
export const vectorNorm = onDevices("vectorNorm", norms.vectorNorm);
export const matrixPower = onDevices("matrixPower", products.matrixPower);
