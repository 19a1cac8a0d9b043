/**
 * adjoint/linalg through its public functions: each derivative against float64 central differences
 * and its JVP against its VJP (fast-check over random well-conditioned matrices, batched), Hessians
 * through det, solve and cholesky against finite differences of the gradient, the factorizations
 * rebuilding their input, float32 agreeing with float64, and the errors (SingularMatrix with the op,
 * batch and pivot; ShapeMismatch for a matrix that is not square).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as linalg from "../../src/linalg/index.js";
import { add, cast, detectAnomaly, eye, grad, matmul, mul, rng, sum, to, transpose, type Tensor } from "../../src/tensor/index.js";
import { countingDevice } from "../support/countingDevice.js";
import { thrown } from "../support/errorCode.js";
import { close, expectHessianMatches, expectJvpMatchesVjp, expectVjpMatches, f64, flat, sizeOf } from "../support/tensors.js";

const g = rng(20261207);

/** Batched matrices with entries in [−1, 1] and the diagonal shifted by `shift` (diagonally dominant: well conditioned). */
const dominant = (values: number[], shape: readonly number[], shift = 3): Tensor =>
  add(f64(values, shape), mul(eye(shape[shape.length - 1], undefined, { dtype: "float64" }), shift));
/** Symmetric positive definite: B·Bᵀ + n·I. */
const spd = (values: number[], shape: readonly number[]): Tensor => {
  const b = f64(values, shape);
  const n = shape[shape.length - 1];
  return add(matmul(b, transpose(b)), mul(eye(n, undefined, { dtype: "float64" }), n));
};

/** [batch…, n, n] shapes with n in 1…4 and at most one batch axis; values for it and for a right-hand side of k columns. */
const problem = fc
  .record({ batch: fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 }), n: fc.integer({ min: 1, max: 4 }), k: fc.integer({ min: 1, max: 2 }) })
  .chain(({ batch, n, k }) =>
    fc.record({
      shape: fc.constant([...batch, n, n]),
      rhs: fc.constant([...batch, n, k]),
      a: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: sizeOf([...batch, n, n]), maxLength: sizeOf([...batch, n, n]) }),
      b: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: sizeOf([...batch, n, k]), maxLength: sizeOf([...batch, n, k]) }),
    }),
  );

/** VJP against finite differences, JVP against VJP, for f at these arguments. */
const derivatives = (f: (...xs: Tensor[]) => Tensor, args: Tensor[]): void => {
  expectVjpMatches(f, args, g);
  expectJvpMatchesVjp(f, args, g);
};
const runs = { numRuns: 15 };
/** The rows of each n×n matrix of a row-major batch in reverse order. */
const reversedRows = (values: number[], n: number): number[] => values.map((_, k) => values[k - (k % (n * n)) + (n - 1 - Math.floor((k % (n * n)) / n)) * n + (k % n)]);

describe("linalg derivatives: VJP = finite differences, JVP = VJP, batched", () => {
  it("solve, in A and B", () => {
    fc.assert(
      fc.property(problem, ({ shape, rhs, a, b }) => derivatives((x, y) => linalg.solve(x, y), [dominant(a, shape), f64(b, rhs)])),
      runs,
    );
  });

  it("solve with a vector right-hand side", () => {
    fc.assert(
      fc.property(problem, ({ shape, a, b }) =>
        derivatives(
          (x, y) => linalg.solve(x, y),
          [dominant(a.slice(0, sizeOf(shape.slice(-2))), shape.slice(-2)), f64(b.slice(0, shape[shape.length - 1]), [shape[shape.length - 1]])],
        ),
      ),
      runs,
    );
  });

  it("inv, det, slogdet", () => {
    fc.assert(
      fc.property(problem, ({ shape, a }) => {
        derivatives((x) => linalg.inv(x), [dominant(a, shape)]);
        // Scaled so that det stays O(1): the checker differentiates sin(w·det), which oscillates fast for a large det.
        derivatives((x) => linalg.det(x), [mul(dominant(a, shape), 0.4)]);
        derivatives((x) => linalg.slogdet(x).logabsdet, [dominant(a, shape, -3)]);
      }),
      runs,
    );
  });

  it("cholesky (of the symmetrised input)", () => {
    fc.assert(
      fc.property(problem, ({ shape, a }) => derivatives((x) => linalg.cholesky(x), [spd(a, shape)])),
      runs,
    );
  });

  it("luFactor factors once: one lu kernel call gives both the factor and the pivots", () => {
    const counting = countingDevice();
    const a = to(f64([1, 2, 0.5, 0.5, 1, 3, 4, 0.5, 1], [3, 3]), counting);
    counting.reset();
    const { LU, pivots } = linalg.luFactor(a);
    expect(counting.kernelCalls.get("lu")).toBe(1);
    expect(flat(to(pivots, "cpu"))).toEqual([2, 0, 1]);
    close(flat(to(linalg.luSolve(LU, pivots, to(f64([1, 2, 3], [3]), counting)), "cpu")), [0.6060606060606061, 0.060606060606060615, 0.5454545454545454], 1e-12);
  });

  it("lu, luFactor and luSolve (pivots constant)", () => {
    fc.assert(
      fc.property(problem, ({ shape, rhs, a, b }) => {
        // A dominant matrix with its rows reversed: partial pivoting must reorder them, and no pivot is near a tie.
        const n = shape[shape.length - 1];
        const x = f64(reversedRows(flat(dominant(a, shape)), n), shape);
        derivatives((m) => linalg.luFactor(m).LU, [x]);
        derivatives((m) => add(linalg.lu(m).L, linalg.lu(m).U), [x]);
        const { LU, pivots } = linalg.luFactor(dominant(a, shape));
        derivatives((f, y) => linalg.luSolve(f, pivots, y), [LU, f64(b, rhs)]);
      }),
      runs,
    );
  });

  it.each([
    [false, false, false],
    [true, false, false],
    [false, true, false],
    [true, true, true],
  ])("triangularSolve lower=%s transpose=%s unitDiagonal=%s", (lower, trans, unitDiagonal) => {
    fc.assert(
      fc.property(problem, ({ shape, rhs, a, b }) =>
        derivatives((x, y) => linalg.triangularSolve(x, y, { lower, transpose: trans, unitDiagonal }), [dominant(a, shape), f64(b, rhs)]),
      ),
      runs,
    );
  });

  it("trace, diagonal, diag, tril, triu", () => {
    fc.assert(
      fc.property(problem, fc.integer({ min: -2, max: 2 }), ({ shape, a }, k) => {
        const x = f64(a, shape);
        derivatives((m) => linalg.trace(m), [x]);
        derivatives((m) => linalg.diagonal(m, k), [x]);
        derivatives((m) => linalg.tril(m, k), [x]);
        derivatives((m) => linalg.triu(m, k), [x]);
        derivatives((v) => linalg.diag(v), [f64(a.slice(0, shape[shape.length - 1]), [shape[shape.length - 1]])]);
      }),
      runs,
    );
  });
});

describe("second order: Hessians through det, solve and cholesky", () => {
  const a = [0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.7, -0.1, 0.6];
  it("det", () => expectHessianMatches((x) => linalg.det(x), dominant(a, [3, 3], 1)));
  it("solve, in A", () => expectHessianMatches((x) => sum(linalg.solve(x, f64([1, -2, 0.5], [3]))), dominant(a, [3, 3], 2)));
  it("cholesky", () => expectHessianMatches((x) => sum(mul(linalg.cholesky(x), f64([1, 0, 0, 2, 3, 0, -1, 0.5, 2], [3, 3]))), spd(a, [3, 3])));
  it("slogdet of a batch", () => expectHessianMatches((x) => sum(linalg.slogdet(x).logabsdet), dominant([...a.slice(0, 4), ...a.slice(5)], [2, 2, 2], 2)));
});

describe("linalg values", () => {
  it("A·solve(A, B) = B, inv(A)·A = I, P·L·U = A, L·Lᵀ = A, det = det(P)·∏ diag(U), in float64 and float32", () => {
    fc.assert(
      fc.property(problem, ({ shape, rhs, a, b }) => {
        for (const dtype of ["float64", "float32"] as const) {
          const tol = dtype === "float64" ? 1e-10 : 1e-4;
          const m = cast(dominant(a, shape), dtype);
          const n = shape[shape.length - 1];
          const y = cast(f64(b, rhs), dtype);
          close(flat(matmul(m, linalg.solve(m, y))), flat(y), tol);
          close(flat(matmul(linalg.inv(m), m)), flat(add(mul(m, 0), eye(n, undefined, { dtype }))), tol);
          const { P, L, U } = linalg.lu(m);
          close(flat(matmul(P, matmul(L, U))), flat(m), tol);
          const s = cast(spd(a, shape), dtype);
          const c = linalg.cholesky(s);
          close(flat(matmul(c, transpose(c))), flat(s), tol);
          const { sign, logabsdet } = linalg.slogdet(m);
          close(flat(linalg.det(m)), flat(mul(sign, logabsdet.exp())), tol);
          // Gradients run the same rules in float32: they agree with float64's to float32's precision.
          const loss = (x: Tensor, z: Tensor) => add(sum(linalg.solve(x, cast(f64(b, rhs), x.dtype))), sum(mul(linalg.cholesky(z), z)));
          const g32 = grad(loss, { argnums: [0, 1] })(m, s) as Tensor[];
          const g64 = grad(loss, { argnums: [0, 1] })(dominant(a, shape), spd(a, shape)) as Tensor[];
          expect(g32.map((t) => t.dtype)).toEqual([dtype, dtype]);
          g32.forEach((t, i) => close(flat(t), flat(g64[i]), tol * 10));
        }
      }),
      runs,
    );
  });

  it("batches broadcast: one matrix against a batch of right-hand sides, and a batch against one", () => {
    const a = dominant([0.1, -0.2, 0.3, 0.4, 0.5, -0.6, 0.7, 0.8, -0.9], [3, 3]);
    const a2 = dominant([0.2, 0.1, -0.3, 0.5, 0.4, 0.6, -0.7, 0.1, 0.9], [3, 3]);
    const bs = f64([1, 2, 3, -1, 0.5, 2], [2, 3, 1]);
    const each = [0, 1].flatMap((i) => flat(linalg.solve(a, f64(flat(bs).slice(3 * i, 3 * i + 3), [3, 1]))));
    close(flat(linalg.solve(a, bs)), each, 1e-12);
    const batch = f64([...flat(a), ...flat(a2)], [2, 3, 3]);
    const b = f64([1, -2, 0.5], [3, 1]);
    close(flat(linalg.solve(batch, b)), [...flat(linalg.solve(a, b)), ...flat(linalg.solve(a2, b))], 1e-12);
  });

  it("degenerate sizes: 0×0 has det 1 and an empty inverse; 1×1 is its entry", () => {
    const empty = f64([], [0, 0]);
    expect(linalg.det(empty).item()).toBe(1);
    expect(linalg.inv(empty).shape).toEqual([0, 0]);
    expect(linalg.det(f64([-2.5], [1, 1])).item()).toBe(-2.5);
    expect(linalg.cholesky(f64([4], [1, 1])).item()).toBe(2);
  });

  it("det of permutation matrices is their parity", () => {
    expect(linalg.det(f64([0, 1, 1, 0], [2, 2])).item()).toBe(-1);
    expect(linalg.det(f64([0, 1, 0, 0, 0, 1, 1, 0, 0], [3, 3])).item()).toBe(1);
    expect(linalg.det(f64([0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0], [4, 4])).item()).toBe(1);
    expect(linalg.det(f64([0, 0, 1, 0, 1, 0, 1, 0, 0], [3, 3])).item()).toBe(-1);
  });

  it("a singular matrix: det 0, slogdet (0, −∞), and lu still factors it", () => {
    const s = f64([1, 2, 2, 4], [2, 2]);
    expect(linalg.det(s).item() === 0).toBe(true); // −0 here (the permutation is odd)
    const { sign, logabsdet } = linalg.slogdet(s);
    expect(sign.item() === 0 && logabsdet.item() === -Infinity).toBe(true);
    expect(flat(linalg.luFactor(s).LU)).toEqual([2, 4, 0.5, 0]);
  });

  it("diagonal of a rectangular batch, off the main diagonal too; diag of a matrix is its diagonal", () => {
    const x = f64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 2, 3]);
    expect(linalg.diagonal(x).toArray()).toEqual([
      [1, 5],
      [7, 11],
    ]);
    expect(linalg.diagonal(x, 1).toArray()).toEqual([
      [2, 6],
      [8, 12],
    ]);
    expect(linalg.diagonal(x, -1).toArray()).toEqual([[4], [10]]);
    expect(linalg.diagonal(x, 5).shape).toEqual([2, 0]);
    expect(linalg.diag(x).toArray()).toEqual(linalg.diagonal(x).toArray());
    expect(linalg.trace(x).toArray()).toEqual([6, 18]);
    // An infinite entry off the diagonal stays off it.
    expect(linalg.diag(f64([Infinity, 1], [2])).toArray()).toEqual([
      [Infinity, 0],
      [0, 1],
    ]);
  });
});

describe("linalg errors", () => {
  it("solve, inv and luSolve of a singular matrix: SingularMatrix with the op, the batch and the pivot", () => {
    const batch = f64([1, 0, 0, 1, 1, 2, 2, 4], [2, 2, 2]);
    const rhs = f64([1, 1], [2]);
    for (const [op, fn] of [
      ["solve", () => linalg.solve(batch, rhs)],
      ["inv", () => linalg.inv(batch)],
      ["luSolve", () => linalg.luSolve(linalg.luFactor(batch).LU, linalg.luFactor(batch).pivots, rhs)],
    ] as const) {
      const e = thrown(fn);
      expect(e.code).toBe("SingularMatrix");
      expect(e.details).toMatchObject({ op, batch: 1, pivot: 1, shape: [2, 2, 2] });
    }
    expect(thrown(() => linalg.triangularSolve(f64([1, 0, 0, 0], [2, 2]), rhs)).details).toMatchObject({ op: "triangularSolve", batch: 0, pivot: 1 });
  });

  it("cholesky of a matrix that is not positive definite: SingularMatrix naming the column", () => {
    const e = thrown(() => linalg.cholesky(f64([4, 2, 2, 1, 1, 0, 0, 1], [2, 2, 2])));
    expect(e.code).toBe("SingularMatrix");
    expect(e.details).toMatchObject({ op: "cholesky", batch: 0, pivot: 1 });
  });

  it("a NaN input under detectAnomaly is NonFinite naming where it appeared; without it, a NaN pivot is SingularMatrix, not a silent NaN", () => {
    const a = f64([1, NaN, 2, 3], [2, 2]);
    const e = thrown(() => detectAnomaly(() => linalg.solve(a, f64([1, 1], [2]))));
    expect(e.code).toBe("NonFinite");
    expect(thrown(() => linalg.cholesky(f64([NaN, 0, 0, 1], [2, 2]))).code).toBe("SingularMatrix");
    expect(thrown(() => linalg.solve(f64([NaN, 0, 0, 1], [2, 2]), f64([1, 1], [2]))).code).toBe("SingularMatrix");
  });

  it("the gradient of det at a singular matrix is SingularMatrix, not NaN", () => {
    expect(thrown(() => grad((x: Tensor) => linalg.det(x))(f64([1, 2, 2, 4], [2, 2]))).code).toBe("SingularMatrix");
  });

  it("a matrix that is not square: ShapeMismatch with both dims; mismatched right-hand sides too", () => {
    const rect = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    for (const [op, fn] of [
      ["cholesky", () => linalg.cholesky(rect)],
      ["solve", () => linalg.solve(rect, f64([1, 2], [2]))],
      ["inv", () => linalg.inv(rect)],
      ["det", () => linalg.det(rect)],
      ["slogdet", () => linalg.slogdet(rect)],
      ["luFactor", () => linalg.luFactor(rect)],
      ["triangularSolve", () => linalg.triangularSolve(rect, f64([1, 2], [2]))],
    ] as const) {
      const e = thrown(fn);
      expect(e.code, op).toBe("ShapeMismatch");
      expect(e.details, op).toMatchObject({ op, shape: [2, 3], rows: 2, columns: 3 });
    }
    expect(thrown(() => linalg.solve(eye(2, 2, { dtype: "float64" }), f64([1, 2, 3], [3]))).details).toMatchObject({ op: "solve", rows: 2 });
    expect(thrown(() => linalg.trace(f64([1], [1]))).code).toBe("ShapeMismatch");
    expect(thrown(() => linalg.solve(eye(2, 2, { dtype: "int32" }), f64([1, 2], [2]))).code).toBe("DTypeMismatch");
  });
});
