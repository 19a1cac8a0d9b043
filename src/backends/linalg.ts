/**
 * What the linear algebra kernels return (every backend's, and the primitives read them): fresh
 * buffers and, like LAPACK's `info`, where a factorization or solve met a singular pivot; and the
 * error a primitive (or a device that finds the pivot later) raises for it.
 */
import { AdError } from "../errors.js";
import type { DeviceBuffer } from "./buffer.js";
import { allocate, type DType, type Storage } from "./dtype.js";
import { formatShape } from "./shape.js";

/** Where a factorization or solve met a zero (or, for Cholesky, non-positive) pivot: the first matrix of the batch and its column. */
export interface LinalgFailure {
  readonly batch: number;
  readonly index: number;
}

export interface LuResult {
  /** L (strictly below the diagonal, unit diagonal implied) and U (on and above it) of each matrix, packed as LAPACK's getrf does. */
  readonly factor: Storage;
  /** Per matrix, n row indices: row i of P·A is row permutation[i] of A. */
  readonly permutation: Int32Array;
  readonly failure: LinalgFailure | null;
}

/**
 * An LU result as one buffer [..., n + 1, n] of `dtype`: per matrix, row 0 the permutation (as floats,
 * exact below 2²⁴) and rows 1… the packed factor, so one factorization is one output.
 */
export function packLu({ factor, permutation }: LuResult, dtype: DType, n: number): Storage {
  const count = permutation.length / Math.max(n, 1);
  const out = allocate(dtype, count * (n + 1) * n);
  for (let p = 0; p < count; p++) {
    const base = p * (n + 1) * n;
    for (let i = 0; i < n; i++) out[base + i] = permutation[p * n + i];
    out.set(factor.subarray(p * n * n, (p + 1) * n * n), base + n);
  }
  return out;
}

export interface TriangularSolveOptions {
  /** Read A's lower triangle (else its upper). */
  readonly lower: boolean;
  /** Solve Aᵀ·X = B (else A·X = B). */
  readonly transpose: boolean;
  /** Take A's diagonal as ones and never read it. */
  readonly unitDiagonal: boolean;
  /** false: a zero on the diagonal is not an error, not even one a device raises later (`{ check: false }`); absent means true. */
  readonly check?: boolean;
}

/** A solve's result: `B` is the device's buffer type (host memory on the host). */
export interface SolveResult<B extends DeviceBuffer = Storage> {
  readonly solution: B;
  readonly failure: LinalgFailure | null;
}

export interface CholeskyResult {
  /** The lower factor L of each matrix (A = L·Lᵀ), zeros above the diagonal. */
  readonly factor: Storage;
  readonly failure: LinalgFailure | null;
}

/** `SingularMatrix` for a zero pivot or diagonal entry met by `op`'s kernel. */
export function singular(op: string, shape: readonly number[], failure: LinalgFailure, what = "a zero pivot"): AdError {
  return new AdError("SingularMatrix", `the matrix of batch index ${failure.batch} (of shape ${formatShape(shape)}) is singular: ${what} at index ${failure.index}`, {
    op,
    shape: [...shape],
    batch: failure.batch,
    pivot: failure.index,
  });
}
