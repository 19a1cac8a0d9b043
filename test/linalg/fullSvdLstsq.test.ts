/**
 * svd with fullMatrices (orthogonal U and Vh completing the thin factors; the completion carries no
 * gradient, as in PyTorch) and lstsqWithInfo (torch.linalg.lstsq's residuals, rank and singular values):
 * values against hand-computed ones, derivatives against finite differences, the option errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as linalg from "../../src/linalg/index.js";
import { add, eye, grad, matmul, mul, rng, sum, transpose, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";
import { close, expectJvpMatchesVjp, expectVjpMatches, f64, flat, sizeOf } from "../support/tensors.js";

const g = rng(20261207);

/** [batch…, m, n], m ≠ n possible; entries in [−1, 1] plus 3, 6, … on the main diagonal (distinct singular values). */
const rectangular = fc
  .record({ batch: fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 }), m: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 4 }) })
  .chain(({ batch, m, n }) =>
    fc.record({
      shape: fc.constant([...batch, m, n]),
      a: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: sizeOf([...batch, m, n]), maxLength: sizeOf([...batch, m, n]) }),
    }),
  );
const distinct = (values: number[], shape: readonly number[]): Tensor => {
  const m = shape[shape.length - 2];
  const n = shape[shape.length - 1];
  const steps = f64(
    Array.from({ length: m * n }, (_, k) => (Math.floor(k / n) === k % n ? 3 * (1 + (k % n)) : 0)),
    [m, n],
  );
  return add(f64(values, shape), steps);
};

describe("svd with fullMatrices", () => {
  it("U [..., m, m] and Vh [..., n, n] orthogonal, their first k columns/rows the thin factors, rebuilding A", () => {
    fc.assert(
      fc.property(rectangular, ({ shape, a }) => {
        const x = distinct(a, shape);
        const m = shape[shape.length - 2];
        const n = shape[shape.length - 1];
        const k = Math.min(m, n);
        const full = linalg.svd(x, { fullMatrices: true });
        const thin = linalg.svd(x);
        expect(full.U.shape).toEqual([...shape.slice(0, -2), m, m]);
        expect(full.Vh.shape).toEqual([...shape.slice(0, -2), n, n]);
        const batch = shape.slice(0, -2).map(() => null);
        close(flat(matmul(transpose(full.U), full.U)), flat(eye(m, m, { dtype: "float64" }).expand([...shape.slice(0, -2), m, m])), 1e-13);
        close(flat(matmul(full.Vh, transpose(full.Vh))), flat(eye(n, n, { dtype: "float64" }).expand([...shape.slice(0, -2), n, n])), 1e-13);
        close(flat(full.U.slice(...batch, null, [0, k])), flat(thin.U), 0);
        close(flat(full.Vh.slice(...batch, [0, k], null)), flat(thin.Vh), 0);
        close(flat(full.S), flat(thin.S), 0);
        close(flat(matmul(mul(thin.U, full.S.unsqueeze(-2)), thin.Vh)), flat(x), 1e-12);
      }),
      { numRuns: 20 },
    );
  });

  it("derivatives: the thin part's are svd's (finite differences, JVP = VJP); the completion gets none (PyTorch narrows its gradient away)", () => {
    const tall = distinct([0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.7, -0.1], [4, 2]);
    const wide = transpose(tall);
    expectVjpMatches((x) => linalg.svd(x, { fullMatrices: true }).U.slice(null, [0, 2]), [tall], g);
    expectJvpMatchesVjp((x) => linalg.svd(x, { fullMatrices: true }).Vh.slice([0, 2], null), [wide], g);
    const w = f64([1, -2, 0.5, 3, 0.2, 1, -1, 2, 0.7, -0.3, 1.5, 0.4, -0.8, 0.9, 0.1, 2.5], [4, 4]);
    const viaFull = grad((x: Tensor) => sum(mul(linalg.svd(x, { fullMatrices: true }).U, w)))(tall) as Tensor;
    const viaThin = grad((x: Tensor) => sum(mul(linalg.svd(x).U, w.slice(null, [0, 2]))))(tall) as Tensor;
    close(flat(viaFull), flat(viaThin), 1e-14);
  });

  it("a square matrix: the same as the thin SVD; bad options are InvalidArgument naming svd", () => {
    const x = f64([2, 1, 1, 3], [2, 2]);
    close(flat(linalg.svd(x, { fullMatrices: true }).U), flat(linalg.svd(x).U), 0);
    expect(thrown(() => linalg.svd(x, { fullMatrices: 1 as never })).details).toMatchObject({ op: "svd", argument: "fullMatrices" });
    expect(thrown(() => linalg.svd(x, { full: true } as never)).code).toBe("InvalidArgument");
  });

  it("empty matrices: 0×0 has no singular values; [3, 0] completes U to the identity", () => {
    expect(linalg.svd(f64([], [0, 0])).S.shape).toEqual([0]);
    const r = linalg.svd(f64([], [3, 0]), { fullMatrices: true });
    expect([r.U.shape, r.S.shape, r.Vh.shape]).toEqual([[3, 3], [0], [0, 0]]);
    close(flat(r.U), [1, 0, 0, 0, 1, 0, 0, 0, 1], 0);
    expect([...linalg.lstsqWithInfo(f64([], [0, 0]), f64([], [0])).rank.shape]).toEqual([]);
  });
});

describe("lstsqWithInfo: torch.linalg.lstsq's four outputs", () => {
  const tall = f64([1, 0, 0, 1, 1, 1], [3, 2]);

  it("tall and full rank: the solution, the squared residual of each column, the rank, the singular values", () => {
    const r = linalg.lstsqWithInfo(tall, f64([1, 2, 4], [3]));
    close(flat(r.solution), [4 / 3, 7 / 3], 1e-14);
    // A·x − b = (1/3, 1/3, −1/3); AᵀA = [[2, 1], [1, 2]] has eigenvalues 3 and 1.
    close(flat(r.residuals), [1 / 3], 1e-14);
    expect(r.residuals.shape).toEqual([1]);
    expect([r.rank.dtype, ...flat(r.rank)]).toEqual(["int32", 2]);
    close(flat(r.singularValues), [Math.sqrt(3), 1], 1e-14);
    const columns = linalg.lstsqWithInfo(tall, f64([1, 0, 2, 0, 4, 3], [3, 2]));
    close(flat(columns.residuals), [1 / 3, 3], 1e-14);
  });

  it("rank-deficient, square or wide: residuals empty, as in PyTorch; the rank counts the singular values above the cutoff", () => {
    const deficient = linalg.lstsqWithInfo(f64([1, 2, 2, 4, 3, 6], [3, 2]), f64([1, 2, 3], [3]));
    expect(deficient.residuals.shape).toEqual([0]);
    expect(flat(deficient.rank)).toEqual([1]);
    close(flat(deficient.solution), flat(linalg.lstsq(f64([1, 2, 2, 4, 3, 6], [3, 2]), f64([1, 2, 3], [3]))), 0);
    expect(linalg.lstsqWithInfo(transpose(tall), f64([1, 2], [2])).residuals.shape).toEqual([0]);
    const batch = linalg.lstsqWithInfo(f64([1, 0, 0, 1, 1, 1, 1, 0, 0, 2, 0, 0], [2, 3, 2]), f64([1, 2, 4, 1, 2, 4], [2, 3, 1]));
    expect(flat(batch.rank)).toEqual([2, 2]);
    close(flat(batch.residuals), [1 / 3, 16], 1e-14);
  });

  it("the residuals' and singular values' derivatives against finite differences, in A and b", () => {
    const a = add(tall, f64([0.1, -0.2, 0.3, 0.05, -0.1, 0.2], [3, 2]));
    const b = f64([1, -1, 2, 0.5, 3, 1], [3, 2]);
    expectVjpMatches((x, y) => linalg.lstsqWithInfo(x, y).residuals, [a, b], g);
    expectJvpMatchesVjp((x, y) => linalg.lstsqWithInfo(x, y).residuals, [a, b], g);
    expectVjpMatches((x) => linalg.lstsqWithInfo(x, b).singularValues, [a], g);
  });

  it("errors name lstsqWithInfo", () => {
    expect(thrown(() => linalg.lstsqWithInfo(tall, f64([1, 2], [2]))).details).toMatchObject({ op: "lstsqWithInfo", rows: 3 });
    expect(thrown(() => linalg.lstsqWithInfo(tall, f64([1, 2, 3], [3]), { tol: 1 } as never)).code).toBe("InvalidArgument");
  });
});
