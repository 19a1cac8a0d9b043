/**
 * qr and eigh through their public functions: derivatives against float64 central differences and
 * JVP against VJP (fast-check over random well-conditioned matrices, batched, tall, square and wide),
 * Hessians, the factors rebuilding their input in float64 and float32, repeated eigenvalues (finite
 * for the eigenvalues, NaN where the eigenvectors of the pair are used), and the errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as linalg from "../../src/linalg/index.js";
import { add, cast, eye, grad, jvp, matmul, mul, rng, sum, transpose, type Tensor } from "../../src/tensor/index.js";
import { centralDifference } from "../../src/testing/checkGradient.js";
import { thrown } from "../support/errorCode.js";
import { close, expectHessianMatches, expectJvpMatchesVjp, expectVjpMatches, f64, flat, sizeOf } from "../support/tensors.js";

const g = rng(20261208);
const runs = { numRuns: 12 };

const derivatives = (f: (...xs: Tensor[]) => Tensor, args: Tensor[]): void => {
  expectVjpMatches(f, args, g);
  expectJvpMatchesVjp(f, args, g);
};

/** [batch…, m, n] with m, n in 1…4; entries in [−1, 1] plus 3 on the main diagonal (full rank, well conditioned). */
const rectangular = fc
  .record({ batch: fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 }), m: fc.integer({ min: 1, max: 4 }), n: fc.integer({ min: 1, max: 4 }) })
  .chain(({ batch, m, n }) =>
    fc.record({
      shape: fc.constant([...batch, m, n]),
      a: fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: sizeOf([...batch, m, n]), maxLength: sizeOf([...batch, m, n]) }),
    }),
  );
const fullRank = (values: number[], shape: readonly number[]): Tensor =>
  add(f64(values, shape), mul(eye(shape[shape.length - 2], shape[shape.length - 1], { dtype: "float64" }), 3));

/** Symmetric [batch…, n, n] with eigenvalues near 0, 3, 6, …: random entries in [−0.5, 0.5] plus diag(0, 3, 6, …), so the gaps stay > 1. */
const separated = fc.record({ batch: fc.array(fc.integer({ min: 1, max: 2 }), { maxLength: 1 }), n: fc.integer({ min: 1, max: 4 }) }).chain(({ batch, n }) =>
  fc.record({
    shape: fc.constant([...batch, n, n]),
    a: fc.array(fc.double({ min: -0.25, max: 0.25, noNaN: true }), { minLength: sizeOf([...batch, n, n]), maxLength: sizeOf([...batch, n, n]) }),
  }),
);
const spread = (values: number[], shape: readonly number[]): Tensor => {
  const n = shape[shape.length - 1];
  const steps = f64(
    Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 3 * (k / (n + 1)) : 0)),
    [n, n],
  );
  const b = f64(values, shape);
  return add(add(b, transpose(b)), steps);
};

/** [m, n] with 3, 6, 9, … on the main diagonal: added to entries in [−1, 1], singular values stay apart. */
const steps = (m: number, n: number): Tensor =>
  f64(
    Array.from({ length: m * n }, (_, k) => (Math.floor(k / n) === k % n ? 3 * (1 + (k % n)) : 0)),
    [m, n],
  );
const distinct = (values: number[], shape: readonly number[]): Tensor => add(f64(values, shape), steps(shape[shape.length - 2], shape[shape.length - 1]));

describe("qr and eigh derivatives: VJP = finite differences, JVP = VJP, batched", () => {
  it("qr's Q and R, tall, square and wide", () => {
    fc.assert(
      fc.property(rectangular, ({ shape, a }) => {
        derivatives((x) => linalg.qr(x).Q, [fullRank(a, shape)]);
        derivatives((x) => linalg.qr(x).R, [fullRank(a, shape)]);
      }),
      runs,
    );
  });

  it("qr complete of a square or wide matrix (the same Q as reduced)", () => {
    fc.assert(
      fc.property(rectangular, ({ shape, a }) => {
        fc.pre(shape[shape.length - 2] <= shape[shape.length - 1]);
        derivatives((x) => linalg.qr(x, { mode: "complete" }).Q, [fullRank(a, shape)]);
      }),
      runs,
    );
  });

  it("qr at a matrix already upper triangular (LAPACK skips those reflectors, so its Q jumps there; ours is continuous)", () => {
    derivatives((x) => linalg.qr(x).Q, [f64([3, 1, 0, 0, 2, 0, 0, 0, -1, 0, 0, 0], [4, 3])]);
    derivatives((x) => linalg.qr(x).R, [f64([3, 0, 1, 0, 3, 2], [2, 3])]);
  });

  it("eigh's eigenvalues and eigenvectors (of the symmetrised input)", () => {
    fc.assert(
      fc.property(separated, ({ shape, a }) => {
        derivatives((x) => linalg.eigh(x).eigenvalues, [spread(a, shape)]);
        derivatives((x) => linalg.eigh(x).eigenvectors, [spread(a, shape)]);
      }),
      runs,
    );
  });
});

describe("svd derivatives: VJP = finite differences, JVP = VJP, batched", () => {
  it("U, S and Vh, tall, square and wide", () => {
    fc.assert(
      fc.property(rectangular, ({ shape, a }) => {
        derivatives((x) => linalg.svd(x).S, [distinct(a, shape)]);
        derivatives((x) => linalg.svd(x).U, [distinct(a, shape)]);
        derivatives((x) => linalg.svd(x).Vh, [distinct(a, shape)]);
      }),
      runs,
    );
  });
});

describe("second order: Hessians through qr and eigh", () => {
  const a = [0.3, -0.2, 0.5, 0.1, -0.4, 0.2, 0.7, -0.1, 0.6];
  const weights = f64([1, -0.5, 2, 0.3, 1.5, -1, 0.2, 0.7, -0.4], [3, 3]);
  it("eigh's eigenvalues", () => expectHessianMatches((x) => sum(mul(linalg.eigh(x).eigenvalues, f64([1, -2, 0.5], [3]))), spread(a, [3, 3])));
  it("eigh's eigenvectors", () => expectHessianMatches((x) => sum(mul(linalg.eigh(x).eigenvectors, weights)), spread(a, [3, 3])));
  it("svd's U", () => expectHessianMatches((x) => sum(mul(linalg.svd(x).U, weights)), distinct(a, [3, 3])));
  it("qr's Q", () => expectHessianMatches((x) => sum(mul(linalg.qr(x).Q, weights)), fullRank(a, [3, 3])));
});

describe("qr and eigh values", () => {
  const a = [0.9, -0.3, 0.2, 0.5, -0.8, 0.1, 0.4, 0.6, -0.7, 0.25, 0.35, -0.15, 0.05, 0.45, -0.55, 0.65, 0.75, -0.85, 0.95, -0.05, 0.15, 0.3, -0.6, 0.8, -0.2];
  it("Q·R = A, QᵀQ = I, R upper triangular, in float64 and float32, reduced and complete", () => {
    for (const [m, n] of [
      [4, 3],
      [3, 4],
      [3, 3],
      [6, 2],
    ]) {
      for (const mode of ["reduced", "complete"] as const) {
        for (const dtype of ["float64", "float32"] as const) {
          const x = cast(f64(a.slice(0, 2 * m * n), [2, m, n]), dtype);
          const { Q, R } = linalg.qr(x, { mode });
          const k = mode === "complete" ? m : Math.min(m, n);
          expect(Q.shape).toEqual([2, m, k]);
          expect(R.shape).toEqual([2, k, n]);
          const tol = dtype === "float64" ? 1e-13 : 1e-5;
          close(flat(matmul(Q, R)), flat(x), tol);
          close(flat(matmul(transpose(Q), Q)), flat(eye(k, k, { dtype: "float64" }).expand([2, k, k])), tol);
          flat(R).forEach((v, i) => {
            const [r, c] = [Math.floor(i / n) % k, i % n];
            if (r > c) expect(v).toBe(0);
          });
        }
      }
    }
  });

  it("V·diag(w)·Vᵀ = A, VᵀV = I, w ascending, each eigenvector's largest entry positive, in float64 and float32", () => {
    for (const n of [1, 2, 3, 5]) {
      for (const dtype of ["float64", "float32"] as const) {
        const b = f64(a.slice(0, n * n), [n, n]);
        const x = cast(add(b, transpose(b)), dtype);
        const { eigenvalues: w, eigenvectors: v } = linalg.eigh(x);
        const tol = dtype === "float64" ? 1e-13 : 1e-5;
        close(flat(matmul(mul(v, w.reshape([1, n])), transpose(v))), flat(x), tol);
        close(flat(matmul(transpose(v), v)), flat(eye(n, n, { dtype: "float64" })), tol);
        const ws = flat(w);
        ws.slice(1).forEach((x, i) => expect(x).toBeGreaterThanOrEqual(ws[i]));
        const vs = flat(v);
        for (let j = 0; j < n; j++) {
          const column = Array.from({ length: n }, (_, i) => vs[i * n + j]);
          const big = column.reduce((best, x, i) => (Math.abs(x) > Math.abs(column[best]) ? i : best), 0);
          expect(column[big]).toBeGreaterThan(0);
        }
      }
    }
  });

  it("U·diag(S)·Vh = A, UᵀU = VhVhᵀ = I, S descending and nonnegative, each column of U's largest entry positive, float64 and float32, tall and wide", () => {
    for (const [m, n] of [
      [4, 3],
      [3, 4],
      [3, 3],
      [6, 2],
      [1, 3],
    ]) {
      for (const dtype of ["float64", "float32"] as const) {
        const x = cast(f64(a.slice(0, 2 * m * n), [2, m, n]), dtype);
        const { U, S, Vh } = linalg.svd(x);
        const k = Math.min(m, n);
        expect([U.shape, S.shape, Vh.shape]).toEqual([
          [2, m, k],
          [2, k],
          [2, k, n],
        ]);
        const tol = dtype === "float64" ? 1e-13 : 1e-5;
        close(flat(matmul(mul(U, S.reshape([2, 1, k])), Vh)), flat(x), tol);
        close(flat(matmul(transpose(U), U)), flat(eye(k, k, { dtype: "float64" }).expand([2, k, k])), tol);
        close(flat(matmul(Vh, transpose(Vh))), flat(eye(k, k, { dtype: "float64" }).expand([2, k, k])), tol);
        const s = flat(S);
        s.forEach((v, i) => expect(v).toBeGreaterThanOrEqual(i % k === 0 ? 0 : s[i]));
        s.forEach((v, i) => i % k !== 0 && expect(s[i - 1]).toBeGreaterThanOrEqual(v));
        const u = flat(U);
        for (let b = 0; b < 2; b++) {
          for (let j = 0; j < k; j++) {
            const column = Array.from({ length: m }, (_, i) => u[b * m * k + i * k + j]);
            const big = column.reduce((best, x, i) => (Math.abs(x) > Math.abs(column[best]) ? i : best), 0);
            expect(column[big]).toBeGreaterThan(0);
          }
        }
        expect(flat(linalg.svdvals(x))).toEqual(s);
      }
    }
  });

  it("small singular values to high relative accuracy (one-sided Jacobi, not the eigenvalues of AᵀA)", () => {
    // diag(1, 1e-9) rotated on both sides: AᵀA's eigenvalues would be 1 and 1e-18, lost below ε.
    const c = Math.cos(0.3);
    const s = Math.sin(0.3);
    const rot = f64([c, -s, s, c], [2, 2]);
    const x = matmul(matmul(rot, f64([1, 0, 0, 1e-9], [2, 2])), transpose(rot));
    const values = flat(linalg.svdvals(x));
    expect(Math.abs(values[1] - 1e-9) / 1e-9).toBeLessThan(1e-6);
  });

  it("degenerate sizes: 0×0 and 1×1", () => {
    expect(linalg.eigh(f64([], [0, 0])).eigenvalues.shape).toEqual([0]);
    expect(flat(linalg.eigh(f64([-2], [1, 1])).eigenvectors)).toEqual([1]);
    const { Q, R } = linalg.qr(f64([-2], [1, 1]));
    expect([flat(Q), flat(R)]).toEqual([[1], [-2]]);
  });
});

describe("repeated eigenvalues and rank-deficient QR", () => {
  // A = U·diag(1, 1, 3)·Uᵀ for a rotation U: a double eigenvalue.
  const c = Math.cos(0.7);
  const s = Math.sin(0.7);
  const u = f64([c, -s, 0, s * 0.6, c * 0.6, -0.8, s * 0.8, c * 0.8, 0.6], [3, 3]);
  const repeated = matmul(mul(u, f64([1, 1, 3], [1, 3])), transpose(u));

  it("eigenvalue weights equal on the repeated pair: a finite, right gradient; the projector onto its eigenspace through eigh's eigenvectors: NaN (use matrixFunction, test/linalg/matrixFunction.test.ts)", () => {
    const byWeights = (x: Tensor) => sum(mul(linalg.eigh(x).eigenvalues, f64([0.5, 0.5, -2], [3])));
    const analytic = flat(grad(byWeights)(repeated) as Tensor);
    const x0 = flat(repeated);
    close(
      analytic,
      x0.map((_, j) => centralDifference((v) => byWeights(f64(v, [3, 3])).item(), x0, j)),
      1e-6,
    );
    const outer = f64([1, 0.2, -0.3, 0.4, -1, 0.5, 0.1, 0.9, 2], [3, 3]);
    const projector = (x: Tensor) => {
      const pair = linalg.eigh(x).eigenvectors.slice(null, [0, 2]);
      return sum(mul(matmul(pair, transpose(pair)), outer));
    };
    expect(flat(grad(projector)(repeated) as Tensor).some(Number.isNaN)).toBe(true);
  });

  it("the eigenvectors of a repeated eigenvalue have no derivative: NaN, as PyTorch, not a finite wrong value", () => {
    const f = (x: Tensor) => sum(mul(linalg.eigh(x).eigenvectors, f64([1, 2, 3, 4, 5, 6, 7, 8, 9], [3, 3])));
    expect(flat(grad(f)(repeated) as Tensor).every(Number.isNaN)).toBe(true);
  });

  it("svd of a rank-deficient matrix: U still has orthonormal columns; the singular values' gradient is U·Vh, finite", () => {
    const x = f64([1, 2, 2, 4, 3, 6], [3, 2]);
    const { U, S, Vh } = linalg.svd(x);
    close(flat(S), [Math.sqrt(70), 0], 1e-12);
    close(flat(matmul(transpose(U), U)), [1, 0, 0, 1], 1e-13);
    close(flat(matmul(mul(U, S.reshape([1, 2])), Vh)), flat(x), 1e-13);
    const top = flat(grad((y: Tensor) => linalg.svdvals(y).slice([0, 1]).sum())(x) as Tensor);
    close(
      top,
      [1, 2, 2, 4, 3, 6].map((v) => v / Math.sqrt(70)),
      1e-12,
    );
    // U's second column is any unit vector outside A's range: NaN where it is used (PyTorch: ~1e14).
    expect(flat(grad((y: Tensor) => sum(linalg.svd(y).U))(x) as Tensor).every(Number.isNaN)).toBe(true);
    const first = (y: Tensor) => sum(mul(linalg.svd(y).U.slice(null, [0, 1]), f64([1, -2, 0.5], [3, 1])));
    const x0 = flat(x);
    close(
      flat(grad(first)(x) as Tensor),
      x0.map((_, j) => centralDifference((v) => first(f64(v, [3, 2])).item(), x0, j)),
      1e-6,
    );
  });

  it("repeated singular values: the gradient of a function of S symmetric in them is right, and U's is finite", () => {
    const x = f64([2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0], [4, 3]);
    const f = (y: Tensor) => sum(mul(linalg.svdvals(y), f64([1, 1, 3], [3])));
    const x0 = flat(x);
    close(
      flat(grad(f)(x) as Tensor),
      x0.map((_, j) => centralDifference((v) => f(f64(v, [4, 3])).item(), x0, j)),
      1e-6,
    );
  });

  // A = diag(2, 2, 1) below a zero row, rotated on both sides: a double singular value 2.
  const left = f64([c, -s, 0, 0, s * 0.6, c * 0.6, -0.8, 0, s * 0.8, c * 0.8, 0.6, 0, 0, 0, 0, 1], [4, 4]);
  const right = f64([0.6, 0, -0.8, 0, 1, 0, 0.8, 0, 0.6], [3, 3]);
  const doubled = matmul(matmul(left, f64([2, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0], [4, 3])), right);

  it("repeated singular values: a function of S alone is exact; anything using U or Vh of the pair is NaN in every entry, not a finite wrong value", () => {
    const values = (y: Tensor) => sum(mul(linalg.svdvals(y), f64([1.5, 1.5, -2], [3])));
    const x0 = flat(doubled);
    close(
      flat(grad(values)(doubled) as Tensor),
      x0.map((_, j) => centralDifference((v) => values(f64(v, [4, 3])).item(), x0, j)),
      1e-6,
    );
    const weights = f64([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [4, 3]);
    // Gauge-dependent (U itself), and gauge-invariant (U·S·Vh is A, whose gradient is the weights;
    // U·Vh the polar factor): the cotangents of U and Vh cannot tell them apart, as in PyTorch.
    const losses = [
      (y: Tensor) => sum(mul(linalg.svd(y).U, weights)),
      (y: Tensor) => {
        const { U, S, Vh } = linalg.svd(y);
        return sum(mul(matmul(mul(U, S.reshape([1, 3])), Vh), weights));
      },
      (y: Tensor) => {
        const { U, Vh } = linalg.svd(y);
        return sum(mul(matmul(U, Vh), weights));
      },
    ];
    for (const loss of losses) expect(flat(grad(loss)(doubled) as Tensor).every(Number.isNaN)).toBe(true);
    // The third column (singular value 1) is apart from the pair: its U column has a finite, right gradient.
    const third = (y: Tensor) => sum(mul(linalg.svd(y).U.slice(null, [2, 3]), f64([1, -2, 0.5, 3], [4, 1])));
    close(
      flat(grad(third)(doubled) as Tensor),
      x0.map((_, j) => centralDifference((v) => third(f64(v, [4, 3])).item(), x0, j)),
      1e-6,
    );
  });

  it("repeated singular values, forward: a function of S symmetric in the pair is exact, U's tangent NaN where dP has an entry for the pair", () => {
    const dA = f64([0.3, -0.1, 0.2, 0.5, 0.4, -0.6, 0.1, 0.2, 0.3, -0.2, 0.7, 0.1], [4, 3]);
    // Each of the pair alone is not differentiable there (they split along dA); their sum is.
    const values = (y: Tensor) => sum(mul(linalg.svdvals(y), f64([1.5, 1.5, -2], [3])));
    const [, ds] = jvp(values, [doubled], [dA]);
    const x0 = flat(doubled);
    const d0 = flat(dA);
    const h = 1e-6;
    const at = (t: number) =>
      values(
        f64(
          x0.map((v, i) => v + t * d0[i]),
          [4, 3],
        ),
      ).item();
    close([(ds as Tensor).item()], [(at(h) - at(-h)) / (2 * h)], 1e-6);
    const [, dU] = jvp((y: Tensor) => linalg.svd(y).U, [doubled], [dA]);
    expect(flat(dU as Tensor).some(Number.isNaN)).toBe(true);
  });

  it("QR of a rank-deficient matrix factors it; with a zero on R's diagonal its derivative is SingularMatrix, not NaN", () => {
    const x = f64([1, 0, 2, 0, 3, 0], [3, 2]);
    const { Q, R } = linalg.qr(x);
    close(flat(matmul(Q, R)), flat(x), 1e-13);
    expect(thrown(() => grad((y: Tensor) => sum(linalg.qr(y).Q))(x)).code).toBe("SingularMatrix");
  });
});

describe("qr and eigh errors", () => {
  it("the complete Q of a tall matrix has no derivative: MissingDerivative naming qr", () => {
    const x = f64([1, 2, 3, 4, 5, 7], [3, 2]);
    expect(linalg.qr(x, { mode: "complete" }).Q.shape).toEqual([3, 3]);
    const e = thrown(() => grad((y: Tensor) => sum(linalg.qr(y, { mode: "complete" }).Q))(x));
    expect([e.code, e.details.op]).toEqual(["MissingDerivative", "qr"]);
  });

  it("bad operands and options", () => {
    expect(thrown(() => linalg.eigh(f64([1, 2, 3, 4, 5, 6], [2, 3]))).details).toMatchObject({ op: "eigh", rows: 2, columns: 3 });
    expect(thrown(() => linalg.eigvalsh(f64([1, 2], [2]))).details.op).toBe("eigvalsh");
    expect(thrown(() => linalg.qr(f64([1, 2], [2]))).details).toMatchObject({ op: "qr" });
    expect(thrown(() => linalg.qr(f64([1, 2, 3, 4], [2, 2]), { mode: "full" as "complete" })).code).toBe("InvalidArgument");
    expect(thrown(() => linalg.qr(f64([1, 2, 3, 4], [2, 2]), { pivoting: true } as object)).code).toBe("InvalidArgument");
    expect(thrown(() => linalg.eigh(eye(2, 2, { dtype: "int32" }))).code).toBe("DTypeMismatch");
    expect(thrown(() => linalg.svd(f64([1, 2], [2]))).details).toMatchObject({ op: "svd" });
    expect(thrown(() => linalg.svdvals(eye(2, 2, { dtype: "int32" }))).code).toBe("DTypeMismatch");
  });
});
