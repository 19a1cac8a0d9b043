/**
 * `{ check: false }` and the `_ex` forms: no SingularMatrix, forward or backward; the values PyTorch's
 * cholesky_ex / lu_factor_ex / solve_ex / inv_ex / solve_triangular return (test/golden/linalgCheck.py
 * wrote test/golden/linalgCheck.json once), `info` per matrix, the other matrices of a batch
 * untouched, derivatives non-finite (never finite and wrong) where the matrix failed, and
 * detectAnomaly still reporting the non-finite values.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as linalg from "../../src/linalg/index.js";
import { detectAnomaly, grad, jvp, matmul, mul, stack, sum, transpose, unbind, vmap, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";
import { decode, expectGolden, loadGolden, type Encoded } from "../support/golden.js";
import { f64, flat } from "../support/tensors.js";
import { jit } from "../../src/jit/index.js";

interface Golden {
  readonly singular: Encoded;
  readonly b: Encoded;
  readonly notPd: Encoded;
  readonly triangular: Encoded;
  readonly cholesky: { readonly L: Encoded; readonly info: number[] };
  readonly luFactor: { readonly LU: Encoded; readonly info: number[] };
  readonly solve: { readonly result: Encoded; readonly solveExInfo: number[] };
  readonly inv: { readonly inverse: Encoded; readonly invExInfo: number[] };
  readonly triangularSolve: Encoded;
  readonly luGradient: Encoded;
}
const golden = loadGolden<Golden>("linalgCheck");
const batch3 = (v: Encoded): Tensor => f64(decode(v), [3, 3, 3]);
const singular = batch3(golden.singular);
const notPd = batch3(golden.notPd);
const b = f64(decode(golden.b), [3, 2]);
const matrix = (t: Tensor, i: number): Tensor => unbind(t, 0)[i];

describe("cholesky with { check: false }, choleskyEx", () => {
  it("raises by default; with check: false returns L (PyTorch's columns before the failing one, NaN from it on) and info as cholesky_ex", () => {
    expect(thrown(() => linalg.cholesky(notPd)).details).toMatchObject({ op: "cholesky", batch: 1, pivot: 1 });
    const { L, info } = linalg.choleskyEx(notPd);
    expect(flat(info)).toEqual(golden.cholesky.info);
    expect(flat(info)).toEqual([0, 2, 3]);
    expect(info.dtype).toBe("int32");
    const ours = flat(L);
    const theirs = decode(golden.cholesky.L);
    golden.cholesky.info.forEach((failed, p) => {
      for (let i = 0; i < 3; i++) {
        for (let j = 0; j < 3; j++) {
          const k = p * 9 + i * 3 + j;
          if (j > i) expect(ours[k]).toBe(0);
          else if (failed === 0 || j < failed - 1) expect(Math.abs(ours[k] - theirs[k]), `batch ${p} [${i}, ${j}]`).toBeLessThanOrEqual(1e-12);
          else expect(ours[k], `batch ${p} [${i}, ${j}]`).toBeNaN();
        }
      }
    });
    expect(flat(linalg.cholesky(notPd, { check: false }))).toEqual(ours);
  });

  it("the gradient and the tangent of the failed matrix are NaN in every entry; the others' are those of the matrix alone", () => {
    const f = (a: Tensor) => sum(mul(linalg.cholesky(a, { check: false }), f64([1, 0, 0, 2, 3, 0, -1, 0.5, 2], [3, 3])));
    const g = flat(grad(f)(notPd) as Tensor);
    const alone = flat(grad(f)(matrix(notPd, 0)) as Tensor);
    expect(g.slice(0, 9)).toEqual(alone);
    for (const v of g.slice(9)) expect(v).toBeNaN();
    const [, tangent] = jvp(
      (a: Tensor) => linalg.cholesky(a, { check: false }),
      [notPd],
      [
        f64(
          Array.from({ length: 27 }, (_, i) => (i % 5) - 2),
          [3, 3, 3],
        ),
      ],
    );
    const t = flat(tangent);
    for (const v of t.slice(0, 9)) expect(Number.isFinite(v)).toBe(true);
    for (let p = 1; p < 3; p++) for (let i = 0; i < 3; i++) for (let j = 0; j <= i; j++) expect(t[p * 9 + i * 3 + j], `batch ${p} [${i}, ${j}]`).toBeNaN();
  });

  it("detectAnomaly still reports the NaN it returns", () => {
    expect(thrown(() => detectAnomaly(() => linalg.cholesky(notPd, { check: false }))).code).toBe("NonFinite");
  });
});

describe("solve, inv, luSolve, luFactor with { check: false }, and their _ex forms", () => {
  it("luFactorEx: PyTorch's LU and info", () => {
    const { LU, info } = linalg.luFactorEx(singular);
    expect(flat(info)).toEqual(golden.luFactor.info);
    expect(flat(info)).toEqual([0, 2, 3]);
    expectGolden(flat(LU), decode(golden.luFactor.LU), 1e-12, "LU");
  });

  it("solve and solveEx: LAPACK's gesv (PyTorch's lu_factor_ex + lu_solve), ±∞ and NaN where it divides by the zero pivot; the regular matrix as alone", () => {
    expect(thrown(() => linalg.solve(singular, b)).details).toMatchObject({ op: "solve", batch: 1, pivot: 1 });
    const x = flat(linalg.solve(singular, b, { check: false }));
    expectGolden(x, decode(golden.solve.result), 1e-12, "solve");
    const { result, info } = linalg.solveEx(singular, b);
    expect(flat(result)).toEqual(x);
    expect(flat(info)).toEqual(golden.luFactor.info);
    // PyTorch's solve_ex factors Aᵀ (A is row-major), so its info differs here: docs/linalg.md says so.
    expect(golden.solve.solveExInfo).toEqual([0, 3, 3]);
    expect(x.slice(0, 6)).toEqual(flat(linalg.solve(matrix(singular, 0), b)));
    const { LU, pivots } = linalg.luFactor(singular);
    expect(flat(linalg.luSolve(LU, pivots, b, { check: false }))).toEqual(x);
    expect(thrown(() => linalg.luSolve(LU, pivots, b)).details).toMatchObject({ op: "luSolve", batch: 1 });
  });

  it("inv and invEx: LAPACK's getrf + getri values (PyTorch's lu_solve against the identity)", () => {
    expect(thrown(() => linalg.inv(singular)).code).toBe("SingularMatrix");
    const c = flat(linalg.inv(singular, { check: false }));
    expectGolden(c, decode(golden.inv.inverse), 1e-12, "inv");
    const { inverse, info } = linalg.invEx(singular);
    expect(flat(inverse)).toEqual(c);
    expect(flat(info)).toEqual(golden.luFactor.info);
  });

  it("gradients through a failed solve are non-finite in every entry of that matrix, never finite and wrong; lu's as PyTorch's", () => {
    const f = (a: Tensor) => sum(linalg.solve(a, b, { check: false }));
    expect(thrown(() => grad((a: Tensor) => sum(linalg.solve(a, b)))(singular)).code).toBe("SingularMatrix");
    const g = flat(grad(f)(singular) as Tensor);
    expect(g.slice(0, 9)).toEqual(flat(grad(f)(matrix(singular, 0)) as Tensor));
    for (const v of g.slice(9)) expect(Number.isFinite(v)).toBe(false);
    // lu's rule solves with U: non-finite in the entries that reach the zero pivot, exact in the others, as PyTorch's.
    const gu = flat(grad((a: Tensor) => sum(linalg.lu(a, { check: false }).U))(singular) as Tensor);
    decode(golden.luGradient).forEach((e, i) => {
      if (Number.isFinite(e)) expect(Math.abs(gu[i] - e), `entry ${i}`).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(e)));
      else expect(Number.isFinite(gu[i]), `entry ${i}`).toBe(false);
    });
    expect(thrown(() => grad((a: Tensor) => sum(linalg.lu(a).U))(singular)).code).toBe("SingularMatrix");
  });

  it("detectAnomaly still reports the non-finite solution", () => {
    expect(thrown(() => detectAnomaly(() => linalg.solve(singular, b, { check: false }))).code).toBe("NonFinite");
  });

  it("det and slogdet never raise on a singular matrix (no check option needed)", () => {
    expect(flat(linalg.det(singular)).slice(1).map(Math.abs)).toEqual([0, 0]);
    expect(flat(linalg.slogdet(singular).logabsdet).slice(1)).toEqual([-Infinity, -Infinity]);
  });
});

describe("triangularSolve with { check: false }", () => {
  it("divides by the zero on the diagonal as solve_triangular does", () => {
    const t = f64(decode(golden.triangular), [2, 3, 3]);
    expect(thrown(() => linalg.triangularSolve(t, b)).details).toMatchObject({ op: "triangularSolve", batch: 1, pivot: 1 });
    const x = flat(linalg.triangularSolve(t, b, { check: false }));
    expectGolden(x, decode(golden.triangularSolve), 1e-12, "triangularSolve");
    expect(x.slice(0, 6)).toEqual(flat(linalg.triangularSolve(matrix(t, 0), b)));
  });
});

describe("info under jit and vmap", () => {
  it("is read with tensor ops, so a jitted or vmapped _ex form gives the eager info and result", () => {
    const eager = linalg.solveEx(singular, b);
    const jitted = jit((a: Tensor) => linalg.solveEx(a, b))(singular);
    expect(flat(jitted.info)).toEqual(flat(eager.info));
    expect(flat(jitted.result).map(String)).toEqual(flat(eager.result).map(String));
    expect(flat(vmap((a: Tensor) => linalg.choleskyEx(a).info)(notPd) as Tensor)).toEqual(flat(linalg.choleskyEx(notPd).info));
  });
});

describe("one bad matrix in a batch", () => {
  it("leaves the others' results and info as they are alone (generated batches)", () => {
    const entry = fc.double({ min: -1, max: 1, noNaN: true });
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.nat(), fc.array(entry, { minLength: 4 * 9, maxLength: 4 * 9 }), (count, badAt, values) => {
        const bad = badAt % count;
        // Diagonally dominant matrices, one replaced by a rank-one (singular, not positive definite) one.
        const mats = Array.from({ length: count }, (_, p) => {
          const m = values.slice(p * 9, p * 9 + 9);
          // Multipliers 1/2 and 1/4: the zero pivot is exact. Its symmetric part is indefinite.
          if (p === bad) return f64([4, 8, 12, 2, 4, 6, 1, 2, 3], [3, 3]);
          for (let i = 0; i < 3; i++) m[i * 4] = 4 + Math.abs(m[i * 4]);
          return f64(m, [3, 3]);
        });
        const a = stack(mats, 0);
        const spd = stack(
          mats.map((m, p) => (p === bad ? m : matmul(m, transpose(m)))),
          0,
        );
        const solved = linalg.solveEx(a, b);
        const factored = linalg.choleskyEx(spd);
        expect(flat(solved.info)[bad]).toBeGreaterThan(0);
        expect(flat(factored.info)[bad]).toBeGreaterThan(0);
        mats.forEach((m, p) => {
          if (p === bad) return;
          expect(flat(solved.info)[p]).toBe(0);
          expect(flat(matrix(solved.result, p))).toEqual(flat(linalg.solve(m, b)));
          expect(flat(factored.info)[p]).toBe(0);
          expect(flat(matrix(factored.L, p))).toEqual(flat(linalg.cholesky(matrix(spd, p))));
        });
      }),
      { numRuns: 25 },
    );
  });
});
