/**
 * The dense linear algebra kernels (Cholesky, LU, triangular solve) of every backend, on views:
 * each result is checked by rebuilding its input (L·Lᵀ = A, P·A = L·U, op(A)·X = B) rather than
 * against a second implementation; strided (transposed) operands and batches included, float32 and
 * float64. Singular and indefinite matrices are reported with the batch and the pivot, never thrown.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { availableBackends, backendKernels, cast, transpose, type Tensor } from "../../src/tensor/index.js";
import { f64 } from "../support/tensors.js";

type Matrix = number[][];
const product = (a: Matrix, b: Matrix): Matrix => a.map((row) => b[0].map((_, j) => row.reduce((s, v, q) => s + v * b[q][j], 0)));
const t = (a: Matrix): Matrix => a[0].map((_, j) => a.map((row) => row[j]));
/** The k-th n×n (or n×c) matrix of a row-major buffer. */
const matrixAt = (s: ArrayLike<number>, k: number, n: number, c = n): Matrix => Array.from({ length: n }, (_, i) => Array.from({ length: c }, (_, j) => s[k * n * c + i * c + j]));
const close = (a: Matrix, b: Matrix, tol: number): void => {
  for (let i = 0; i < a.length; i++) for (let j = 0; j < a[0].length; j++) expect(Math.abs(a[i][j] - b[i][j])).toBeLessThanOrEqual(tol * (1 + Math.abs(b[i][j])));
};
const operand = (values: number[], shape: number[], dtype: "float32" | "float64"): Tensor => (dtype === "float64" ? f64(values, shape) : cast(f64(values, shape), "float32"));

const entries = (len: number) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: len, maxLength: len });
const cases = availableBackends().flatMap((b) => (["float64", "float32"] as const).map((d) => [b, d] as const));

describe.each(cases)("linalg kernels on %s, %s", (backend, dtype) => {
  const k = backendKernels(backend);
  const tol = dtype === "float64" ? 1e-10 : 2e-4;

  it("cholesky: L·Lᵀ rebuilds each SPD matrix of a batch (from a transposed view)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), entries(2 * 25), (n, vs) => {
        // A = B·Bᵀ + n·I is symmetric positive definite.
        const mats = [0, 1].map((p) => {
          const b = matrixAt(vs, p, 5)
            .map((r) => r.slice(0, n))
            .slice(0, n);
          return product(b, t(b)).map((r, i) => r.map((v, j) => v + (i === j ? n : 0)));
        });
        const a = operand(
          mats.flatMap((m) => t(m).flat()),
          [2, n, n],
          dtype,
        );
        const { factor, failure } = k.cholesky(transpose(a));
        expect(failure).toBeNull();
        for (let p = 0; p < 2; p++) {
          const l = matrixAt(factor, p, n);
          for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(l[i][j]).toBe(0);
          close(product(l, t(l)), mats[p], tol);
        }
      }),
    );
  });

  it("cholesky reports the first indefinite batch and column", () => {
    const a = operand([4, 0, 0, 1, 1, 2, 2, 1], [2, 2, 2], dtype);
    expect(k.cholesky(a).failure).toEqual({ batch: 1, index: 1 });
  });

  it("lu: P·A = L·U with |L| ≤ 1, P a permutation", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5 }), entries(2 * 25), (n, vs) => {
        const mats = [0, 1].map((p) =>
          matrixAt(vs, p, 5)
            .map((r) => r.slice(0, n))
            .slice(0, n),
        );
        const { factor, permutation, failure } = k.lu(operand(mats.flat(2), [2, n, n], dtype));
        for (let p = 0; p < 2; p++) {
          const packed = matrixAt(factor, p, n);
          const l = packed.map((r, i) => r.map((v, j) => (j < i ? v : i === j ? 1 : 0)));
          const u = packed.map((r, i) => r.map((v, j) => (j >= i ? v : 0)));
          for (const row of l) for (const v of row) expect(Math.abs(v)).toBeLessThanOrEqual(1);
          const perm = [...permutation.subarray(p * n, (p + 1) * n)];
          expect([...perm].sort()).toEqual(Array.from({ length: n }, (_, i) => i));
          close(
            product(l, u),
            perm.map((r) => mats[p][r]),
            tol,
          );
        }
        if (failure === null) return;
        expect(Math.abs(matrixAt(factor, failure.batch, n)[failure.index][failure.index])).toBe(0);
      }),
    );
  });

  it("lu reports a singular pivot (batch, column) and still returns the factor", () => {
    const { factor, failure } = k.lu(operand([1, 0, 0, 1, 1, 2, 2, 4], [2, 2, 2], dtype));
    expect(failure).toEqual({ batch: 1, index: 1 });
    expect([...factor.subarray(4)]).toEqual([2, 4, 0.5, 0]);
  });

  it.each([
    [true, false],
    [true, true],
    [false, false],
    [false, true],
  ])("triangularSolve lower=%s transpose=%s: op(A)·X = B, unit diagonal or not, on a transposed B", (lower, trans) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.boolean(), entries(16), entries(12), (n, unit, av, bv) => {
        // A diagonal in [2, 3] keeps the solve well conditioned.
        const a = matrixAt(av, 0, 4)
          .slice(0, n)
          .map((r, i) => r.slice(0, n).map((v, j) => (i === j ? 2.5 + v / 2 : v)));
        // B is the transpose of a 3×n matrix: a strided view.
        const b = matrixAt(bv, 0, 3, 4).map((r) => r.slice(0, n));
        const { solution, failure } = k.triangularSolve(operand(a.flat(), [1, n, n], dtype), transpose(operand(b.flat(), [1, 3, n], dtype)), {
          lower,
          transpose: trans,
          unitDiagonal: unit,
        });
        expect(failure).toBeNull();
        const tri = a.map((r, i) => r.map((v, j) => (i === j ? (unit ? 1 : v) : (lower ? j < i : j > i) ? v : 0)));
        const x = matrixAt(solution, 0, n, 3);
        close(product(trans ? t(tri) : tri, x), t(b), tol * 10);
      }),
    );
  });

  it("triangularSolve reports a zero diagonal (batch, row), unless the diagonal is taken as ones", () => {
    const a = operand([1, 0, 0, 1, 1, 0, 5, 0], [2, 2, 2], dtype);
    const b = operand([1, 1, 1, 1], [2, 2, 1], dtype);
    expect(k.triangularSolve(a, b, { lower: true, transpose: false, unitDiagonal: false }).failure).toEqual({ batch: 1, index: 1 });
    // Solving upwards meets row 1 first; the report is still the first zero by row.
    const upper = operand([0, 1, 0, 0], [1, 2, 2], dtype);
    expect(k.triangularSolve(upper, operand([1, 1], [1, 2, 1], dtype), { lower: false, transpose: false, unitDiagonal: false }).failure).toEqual({ batch: 0, index: 0 });
    expect(k.triangularSolve(a, b, { lower: true, transpose: false, unitDiagonal: true }).failure).toBeNull();
  });
});
