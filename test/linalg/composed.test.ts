/**
 * pinv, lstsq, matrixPower, the norms, kron and cross: derivatives against float64 central
 * differences and JVP against VJP (fast-check, batched), the Penrose conditions (rank-deficient too),
 * the norms' gradient at 0, keepDims, and the errors. Values against PyTorch are in golden.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as linalg from "../../src/linalg/index.js";
import { add, cast, eye, grad, matmul, mul, rng, sum, transpose, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";
import { close, expectJvpMatchesVjp, expectVjpMatches, f64, flat, sizeOf } from "../support/tensors.js";

const g = rng(20261209);
const runs = { numRuns: 10 };
const derivatives = (f: (...xs: Tensor[]) => Tensor, args: Tensor[]): void => {
  expectVjpMatches(f, args, g);
  expectJvpMatchesVjp(f, args, g);
};
const values = (shape: readonly number[]) => fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) });
/** [batch…, m, n], m, n in 1…4, entries in [−1, 1] plus 3, 6, 9, … on the diagonal (full rank, distinct singular values). */
const matrices = fc
  .record({ batch: fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 }), m: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 4 }) })
  .chain(({ batch, m, n }) => fc.record({ shape: fc.constant([...batch, m, n]), a: values([...batch, m, n]) }));
const spaced = (a: number[], shape: readonly number[]): Tensor => {
  const [m, n] = shape.slice(-2);
  return add(
    f64(a, shape),
    f64(
      Array.from({ length: m * n }, (_, k) => (Math.floor(k / n) === k % n ? 3 * (1 + (k % n)) : 0)),
      [m, n],
    ),
  );
};

describe("derivatives: VJP = finite differences, JVP = VJP", () => {
  it("pinv and lstsq (in A and B), tall, square and wide", () => {
    fc.assert(
      fc.property(matrices, values([4, 2]), ({ shape, a }, b) => {
        const x = spaced(a, shape);
        derivatives((y) => linalg.pinv(y), [x]);
        const m = shape[shape.length - 2];
        derivatives((y, r) => linalg.lstsq(y, r), [x, f64(b.slice(0, 2 * m), [m, 2])]);
      }),
      runs,
    );
  });

  it("matrixPower for k = 3, 1, 0, −2", () => {
    fc.assert(
      fc.property(matrices, ({ shape, a }) => {
        const n = shape[shape.length - 1];
        const square = spaced(
          Array.from({ length: n * n }, (_, i) => a[i] ?? 0),
          [n, n],
        );
        for (const k of [3, 1, -2]) derivatives((y) => linalg.matrixPower(y, k), [mul(square, 0.3)]);
        expect(flat(linalg.matrixPower(square, 0))).toEqual(flat(eye(n, n, { dtype: "float64" }).expand(square.shape)));
      }),
      runs,
    );
  });

  it("vector norms (p = 2, 1, 3, ±∞) and matrix norms (fro, nuc, ±2, ±1, ±∞)", () => {
    fc.assert(
      fc.property(matrices, ({ shape, a }) => {
        // Entries kept 0.1 away from 0, where |x| has its kink, and apart from each other (no ties for max and min).
        const x = spaced(
          a.map((v, k) => (v >= 0 ? 1 : -1) * (0.1 + Math.abs(v) + 0.0173 * k)),
          shape,
        );
        for (const ord of [2, 1, 3, Infinity, -Infinity]) derivatives((y) => linalg.vectorNorm(y, { ord, axis: -1 }), [x]);
        for (const ord of ["fro", "nuc", 2, -2, 1, -1, Infinity, -Infinity] as const) derivatives((y) => linalg.matrixNorm(y, { ord }), [x]);
      }),
      runs,
    );
  });

  it("kron and cross, in both operands", () => {
    fc.assert(
      fc.property(values([2, 3]), values([3, 2]), values([2, 3]), (a, b, c) => {
        derivatives((x, y) => linalg.kron(x, y), [f64(a, [2, 3]), f64(b, [3, 2])]);
        derivatives((x, y) => linalg.kron(x, y), [f64(a.slice(0, 3), [3]), f64(b, [3, 2])]);
        derivatives((x, y) => linalg.cross(x, y), [f64(a, [2, 3]), f64(c, [2, 3])]);
        derivatives((x, y) => linalg.cross(x, y, 0), [f64(b, [3, 2]), f64(c.slice(0, 3), [3, 1])]);
      }),
      runs,
    );
  });
});

describe("values", () => {
  it("the Penrose conditions, full rank and rank-deficient (A·A⁺·A = A, A⁺·A·A⁺ = A⁺, A·A⁺ and A⁺·A symmetric)", () => {
    const cases = [f64([1, 2, 3, 4, 5, 7], [3, 2]), f64([1, 2, 2, 4, 3, 6], [3, 2]), f64([1, 2, 3, 2, 4, 6], [2, 3]), f64([0, 0, 0, 0], [2, 2])];
    for (const a of cases) {
      const p = linalg.pinv(a);
      close(flat(matmul(matmul(a, p), a)), flat(a), 1e-12);
      close(flat(matmul(matmul(p, a), p)), flat(p), 1e-12);
      for (const s of [matmul(a, p), matmul(p, a)]) close(flat(s), flat(transpose(s)), 1e-12);
    }
  });

  it("a rank-deficient pinv's gradient is finite (the truncated pseudo-inverse's); lstsq there is the least-norm solution", () => {
    const a = f64([1, 2, 2, 4, 3, 6], [3, 2]);
    flat(grad((x: Tensor) => sum(mul(linalg.pinv(x), f64([1, -2, 0.5, 1, 3, -1], [2, 3]))))(a) as Tensor).forEach((v) => expect(Number.isFinite(v)).toBe(true));
    // A = u·vᵀ with v = (1, 2): the least-norm x with A·x = (1, 2, 3)ᵀ is v/|v|²·1 = (0.2, 0.4).
    close(flat(linalg.lstsq(a, f64([1, 2, 3], [3]))), [0.2, 0.4], 1e-12);
  });

  it("pinv of an orthogonal matrix (all singular values 1, repeated): its transpose, with the right gradient", () => {
    const c = Math.cos(0.4);
    const s = Math.sin(0.4);
    const q = f64([c, -s, s, c], [2, 2]);
    close(flat(linalg.pinv(q)), flat(transpose(q)), 1e-14);
    derivatives((y) => linalg.pinv(y), [q]);
  });

  it("norms at 0 have gradient 0, not NaN; keepDims keeps the reduced axes; norm dispatches like torch.linalg.norm", () => {
    const zero = f64([0, 0, 0, 0], [2, 2]);
    for (const f of [(x: Tensor) => linalg.vectorNorm(x), (x: Tensor) => linalg.matrixNorm(x), (x: Tensor) => linalg.norm(x)])
      expect(flat(grad(f)(zero) as Tensor)).toEqual([0, 0, 0, 0]);
    const x = f64([3, 4, 0, -12], [2, 2]);
    expect(linalg.vectorNorm(x, { axis: -1, keepDims: true }).shape).toEqual([2, 1]);
    expect(linalg.matrixNorm(x, { ord: "nuc", keepDims: true }).shape).toEqual([1, 1]);
    expect(linalg.matrixNorm(x, { ord: Infinity, keepDims: true }).shape).toEqual([1, 1]);
    expect(linalg.norm(x).item()).toBeCloseTo(13, 12);
    expect(linalg.norm(x, 1).item()).toBe(16);
    expect(linalg.norm(x, 1, { axis: [0, 1] }).item()).toBe(19);
    expect(linalg.vectorNorm(x, { ord: 0 }).item()).toBe(3);
    derivatives((y) => linalg.vectorNorm(y, { ord: 0.5 }), [f64([1, -2, 0.5, 3], [2, 2])]);
  });

  it("kron of matrices and of different ranks; cross of the unit vectors", () => {
    expect(flat(linalg.kron(f64([1, 2], [1, 2]), f64([1, 10], [2, 1])))).toEqual([1, 2, 10, 20]);
    expect(linalg.kron(f64([1, 2, 3], [3]), f64([1, 2, 3, 4], [2, 2])).shape).toEqual([2, 6]);
    expect(flat(linalg.cross(f64([1, 0, 0], [3]), f64([0, 1, 0], [3])))).toEqual([0, 0, 1]);
  });
});

describe("float32", () => {
  it("agrees with float64 to float32's precision: pinv, lstsq, matrixPower, the norms, kron, cross, einsum", () => {
    const a = f64([2, -1, 0.5, 1, 3, 0.25, -0.5, 1, 4], [3, 3]);
    const b = f64([1, -2, 0.5, 3, 0, 1], [3, 2]);
    const fns: ((x: Tensor, y: Tensor) => Tensor)[] = [
      (x) => linalg.pinv(x),
      (x, y) => linalg.lstsq(x, y),
      (x) => linalg.matrixPower(x, -2),
      (x) => linalg.vectorNorm(x, { ord: 3, axis: 0 }),
      (x) => linalg.matrixNorm(x, { ord: "nuc" }),
      (x, y) => linalg.kron(x, y),
      (x, y) => linalg.cross(x, transpose(y).slice([0, 1])),
      (x, y) => linalg.einsum("ij,jk,kl->il", x, x, y),
    ];
    for (const f of fns) close(flat(f(cast(a, "float32"), cast(b, "float32"))), flat(f(a, b)), 1e-5);
  });
});

describe("errors", () => {
  it("name the op and the offending shapes or arguments", () => {
    expect(thrown(() => linalg.matrixPower(f64([1, 2], [1, 2]), 2)).details).toMatchObject({ op: "matrixPower", rows: 1, columns: 2 });
    expect(thrown(() => linalg.matrixPower(f64([1], [1, 1]), 0.5)).code).toBe("InvalidArgument");
    expect(thrown(() => linalg.matrixPower(f64([0, 0, 0, 0], [2, 2]), -1)).code).toBe("SingularMatrix");
    expect(thrown(() => linalg.cross(f64([1, 2], [2]), f64([1, 2], [2]))).details).toMatchObject({ op: "cross", shapes: [[2], [2]] });
    expect(thrown(() => linalg.lstsq(f64([1, 2, 3, 4], [2, 2]), f64([1, 2, 3], [3]))).details).toMatchObject({ op: "lstsq", rows: 2 });
    expect(thrown(() => linalg.pinv(f64([1, 2], [2]))).details.op).toBe("pinv");
    expect(thrown(() => linalg.matrixNorm(f64([1, 2, 3, 4], [2, 2]), { ord: 3 as 2 })).code).toBe("InvalidArgument");
    expect(thrown(() => linalg.norm(f64([1, 2, 3, 4], [2, 2]), 3)).details).toMatchObject({ op: "norm", argument: "ord" });
    expect(thrown(() => linalg.vectorNorm(f64([1, 2], [2]), { ord: "fro" as unknown as number })).code).toBe("InvalidArgument");
    expect(thrown(() => linalg.kron(f64([1], [1]), eye(2, 2, { dtype: "float32" }))).code).toBe("DTypeMismatch");
  });
});
