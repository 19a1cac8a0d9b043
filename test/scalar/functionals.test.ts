/**
 * Reverse-mode functionals (`gradient`, `valueAndGradient`, `jacobian`, `hessian`,
 * `hessianVectorProduct`) against closed forms, against forward mode (`gradientForward`,
 * `jacobianForward`, nested duals) and finite differences, at random points; Hessian symmetry and
 * the linearity of H·v; constant results and empty inputs; and their errors (ShapeMismatch,
 * NonFinite with `checkFinite`, InvalidArgument, ForeignVariable).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gradientForward, jacobianForward } from "../../src/scalar/forward.js";
import { gradient, hessian, hessianVectorProduct, jacobian, valueAndGradient } from "../../src/scalar/functionals.js";
import { numberScalar } from "../../src/scalar/number.js";
import type { MultivariateFn, Numeric, Scalar, VectorFn } from "../../src/scalar/scalar.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { centralDifference, checkGradient } from "../../src/testing/checkGradient.js";
import { expectAllClose, expectClose, expectMatrixClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";
import { hessianByNestedDual, type GenericFn } from "../support/expectAd.js";

const RUNS = 30;

const matVec = (m: readonly (readonly number[])[], v: readonly number[]) => m.map((row) => row.reduce((s, mij, j) => s + mij * v[j], 0));

/** A generic f(S, xs) as the functionals' f(xs, S). */
const lift =
  (f: GenericFn): MultivariateFn =>
  <T extends Numeric<T>>(xs: readonly T[], S: Scalar<T>): T =>
    f(S, xs);

const coord = (r: number) => fc.double({ min: -r, max: r, noNaN: true });
const vector = (n: number, r = 2) => fc.array(coord(r), { minLength: n, maxLength: n });

// ── Closed forms ─────────────────────────────────────────────────────────────────────────────────

const rosenbrock: GenericFn = <T>(S: Scalar<T>, [x, y]: readonly T[]): T => S.add(S.pow(S.sub(1, x), 2), S.mul(100, S.pow(S.sub(y, S.mul(x, x)), 2)));

/** Σ exp(xᵢ) would overflow for large x; the shifted form is the reference formula. */
const logSumExp: GenericFn = <T>(S: Scalar<T>, xs: readonly T[]): T => {
  const m = Math.max(...xs.map((x) => S.value(x)));
  let acc: T = S.from(0);
  for (const x of xs) acc = S.add(acc, S.exp(S.sub(x, m)));
  return S.add(S.log(acc), m);
};

const polarToCartesian: VectorFn = <T extends Numeric<T>>([r, theta]: readonly T[]): readonly T[] => [r.mul(theta.cos()), r.mul(theta.sin())];

describe("closed forms", () => {
  it("Rosenbrock: value, gradient and Hessian", () => {
    fc.assert(
      fc.property(coord(2), coord(2), (x, y) => {
        const value = (1 - x) ** 2 + 100 * (y - x * x) ** 2;
        const grad = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)];
        const H = [
          [2 - 400 * (y - x * x) + 800 * x * x, -400 * x],
          [-400 * x, 200],
        ];
        const vg = valueAndGradient(lift(rosenbrock), [x, y]);
        expectClose(vg.value, value, 1e-14, 1e-14, "f");
        const scale = 1 + Math.abs(grad[0]) + Math.abs(grad[1]);
        expectAllClose(vg.gradient, grad, 1e-12, 1e-13 * scale, "∇f");
        expect(gradient(lift(rosenbrock), [x, y])).toEqual(vg.gradient);
        expectMatrixClose(hessian(lift(rosenbrock), [x, y]), H, 1e-12, 1e-10, "H");
        // The minimum.
        expect(gradient(lift(rosenbrock), [1, 1])).toEqual([0, 0]);
      }),
      { numRuns: RUNS },
    );
  });

  it("a quadratic form xᵀAx: gradient (A + Aᵀ)x, Hessian A + Aᵀ, H·v = (A + Aᵀ)v", () => {
    const problem = fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(fc.array(vector(n, 3), { minLength: n, maxLength: n }), vector(n), vector(n)));
    fc.assert(
      fc.property(problem, ([A, x, v]) => {
        const n = x.length;
        const quadratic: MultivariateFn = (xs, S) => {
          let acc = S.from(0);
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) acc = S.add(acc, S.mul(A[i][j], S.mul(xs[i], xs[j])));
          return acc;
        };
        const sym = A.map((row, i) => row.map((aij, j) => aij + A[j][i]));
        const scale = 1 + n * 9 * 2;
        expectAllClose(gradient(quadratic, x), matVec(sym, x), 0, 1e-13 * scale, "∇ xᵀAx");
        expectMatrixClose(hessian(quadratic, x), sym, 0, 1e-13 * scale, "H of xᵀAx");
        expectAllClose(hessianVectorProduct(quadratic, x, v), matVec(sym, v), 0, 1e-13 * scale, "H·v of xᵀAx");
        // Quadratic: the Hessian does not depend on the point.
        expectMatrixClose(hessian(quadratic, v), sym, 0, 1e-13 * scale, "H of xᵀAx elsewhere");
      }),
      { numRuns: RUNS },
    );
  });

  it("logsumexp: gradient softmax(x), Hessian diag(p) − ppᵀ", () => {
    const point = fc.integer({ min: 1, max: 6 }).chain((n) => vector(n, 20));
    fc.assert(
      fc.property(point, (x) => {
        const m = Math.max(...x);
        const e = x.map((xi) => Math.exp(xi - m));
        const z = e.reduce((a, b) => a + b, 0);
        const p = e.map((ei) => ei / z);
        const vg = valueAndGradient(lift(logSumExp), x);
        expectClose(vg.value, m + Math.log(z), 1e-14, 1e-14, "logsumexp");
        expectAllClose(vg.gradient, p, 1e-12, 1e-15, "softmax");
        expectClose(
          vg.gradient.reduce((a, b) => a + b, 0),
          1,
          1e-14,
          0,
          "Σ softmax",
        );
        const H = p.map((pi, i) => p.map((pj, j) => (i === j ? pi : 0) - pi * pj));
        expectMatrixClose(hessian(lift(logSumExp), x), H, 1e-10, 1e-15, "diag(p) − ppᵀ");
      }),
      { numRuns: RUNS },
    );
  });

  it("polar → cartesian: Jacobian [[cos θ, −r sin θ], [sin θ, r cos θ]] with determinant r", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 5, noNaN: true }), coord(7), (r, theta) => {
        const { value, jacobian: J } = jacobian(polarToCartesian, [r, theta]);
        expect(value).toEqual([r * Math.cos(theta), r * Math.sin(theta)]);
        expectMatrixClose(
          J,
          [
            [Math.cos(theta), -r * Math.sin(theta)],
            [Math.sin(theta), r * Math.cos(theta)],
          ],
          1e-14,
          1e-15,
          "J",
        );
        expectClose(J[0][0] * J[1][1] - J[0][1] * J[1][0], r, 1e-13, 1e-14, "det J");
      }),
      { numRuns: RUNS },
    );
  });
});

// ── Against forward mode ─────────────────────────────────────────────────────────────────────────

/** A function with every kind of coupling: products, transcendental chains, division, pow, atan2. */
const mixed: GenericFn = <T>(S: Scalar<T>, [a, b, c]: readonly T[]): T => {
  const u = S.mul(S.sin(S.mul(a, b)), S.exp(S.mul(-0.3, c)));
  const v = S.div(S.hypot(a, c), S.add(2, S.tanh(b)));
  const w = S.pow(S.add(S.sigmoid(c), 0.5), S.atan(a));
  return S.add(S.add(S.mul(u, v), S.log1p(S.mul(w, w))), S.atan2(b, S.add(3, S.cos(c))));
};

const mixedRows = <T>(S: Scalar<T>, [a, b, c]: readonly T[]): T[] => [
  S.mul(a, S.sin(b)),
  S.add(S.exp(S.mul(-0.5, S.mul(c, c))), a),
  S.div(S.sqrt(S.add(S.mul(a, a), S.add(S.mul(b, b), 1))), S.add(2, S.cos(c))),
  S.from(4),
];
const mixedVector: VectorFn = <T extends Numeric<T>>(xs: readonly T[], S: Scalar<T>): readonly T[] => mixedRows(S, xs);

describe("against forward mode and finite differences", () => {
  // hypot(a, c) has a kink at a = c = 0: keep the finite-difference steps clear of it.
  const point = vector(3, 2).filter(([a, , c]) => Math.hypot(a, c) > 0.1);

  it("gradient = gradientForward = finite differences; value is the plain-number value", () => {
    fc.assert(
      fc.property(point, (x) => {
        const vg = valueAndGradient(lift(mixed), x);
        const fwd = gradientForward(lift(mixed), x);
        expect(vg.value).toBe(mixed(numberScalar, x));
        expect(fwd.value).toBe(vg.value);
        expectAllClose(vg.gradient, fwd.gradient, 1e-12, 1e-14, "reverse vs forward");
        const report = checkGradient((v) => mixed(numberScalar, v), x, { gradient: vg.gradient });
        expect(report.ok, report.summary).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it("jacobian = jacobianForward = finite differences of each output", () => {
    fc.assert(
      fc.property(point, (x) => {
        const rev = jacobian(mixedVector, x);
        const fwd = jacobianForward(mixedVector, x);
        expect(rev.value).toEqual(fwd.value);
        expectMatrixClose(rev.jacobian, fwd.jacobian, 1e-13, 1e-15, "reverse vs forward Jacobian");
        expect(rev.jacobian[3]).toEqual([0, 0, 0]);
        for (let i = 0; i < 3; i++) {
          const report = checkGradient((v) => mixedRows(numberScalar, v)[i], x, { gradient: rev.jacobian[i] });
          expect(report.ok, `row ${i}: ${report.summary}`).toBe(true);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("hessian = nested duals = finite differences of the gradient, and is symmetric", () => {
    fc.assert(
      fc.property(point, (x) => {
        const H = hessian(lift(mixed), x);
        const nested = hessianByNestedDual(mixed, x);
        const scale = 1 + Math.max(...nested.flat().map(Math.abs));
        expectMatrixClose(H, nested, 1e-10, 1e-12 * scale, "forward over reverse vs nested Dual");
        for (let i = 0; i < 3; i++) {
          for (let j = 0; j < 3; j++) {
            expect(Math.abs(H[i][j] - H[j][i]), `H[${i}][${j}] vs H[${j}][${i}]`).toBeLessThanOrEqual(1e-12 * scale);
            const fd = centralDifference((v) => gradientForward(lift(mixed), v).gradient[i], x, j);
            expectClose(H[i][j], fd, 1e-6, 1e-8 * scale, `H[${i}][${j}] vs differences of the gradient`);
          }
        }
      }),
      { numRuns: 15 },
    );
  });

  it("hessianVectorProduct is H·v, linear in v", () => {
    fc.assert(
      fc.property(point, vector(3), vector(3), coord(3), coord(3), (x, v, w, alpha, beta) => {
        const H = hessianByNestedDual(mixed, x);
        const scale = 1 + Math.max(...H.flat().map(Math.abs));
        const hv = hessianVectorProduct(lift(mixed), x, v);
        const hw = hessianVectorProduct(lift(mixed), x, w);
        expectAllClose(hv, matVec(H, v), 0, 1e-11 * scale, "H·v vs nested Dual");
        const combined = hessianVectorProduct(
          lift(mixed),
          x,
          v.map((vi, i) => alpha * vi + beta * w[i]),
        );
        const vScale = scale * (1 + Math.abs(alpha) + Math.abs(beta)) * 2;
        expectAllClose(
          combined,
          hv.map((h, i) => alpha * h + beta * hw[i]),
          0,
          1e-11 * vScale,
          "H·(αv + βw) = αHv + βHw",
        );
        expect(hessianVectorProduct(lift(mixed), x, [0, 0, 0])).toEqual([0, 0, 0]);
        // The columns of the Hessian are H·eⱼ.
        const Hrev = hessian(lift(mixed), x);
        for (let j = 0; j < 3; j++) {
          const e = [0, 0, 0];
          e[j] = 1;
          expect(hessianVectorProduct(lift(mixed), x, e)).toEqual(Hrev.map((row) => row[j]));
        }
      }),
      { numRuns: 15 },
    );
  });
});

// ── Degenerate shapes and constant results ───────────────────────────────────────────────────────

describe("constant results and empty inputs", () => {
  it("f returning a number: value it, every derivative zero", () => {
    const f: MultivariateFn = () => 7;
    expect(valueAndGradient(f, [1, 2])).toEqual({ value: 7, gradient: [0, 0] });
    expect(gradient(f, [1, 2, 3])).toEqual([0, 0, 0]);
    expect(hessian(f, [1, 2])).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(hessianVectorProduct(f, [1, 2], [3, 4])).toEqual([0, 0]);
    expect(jacobian(() => [1, 2], [5])).toEqual({ value: [1, 2], jacobian: [[0], [0]] });
    // A result computed from constants only is a number in disguise.
    expect(valueAndGradient((_xs, S) => S.exp(S.from(0)), [1])).toEqual({ value: 1, gradient: [0] });
  });

  it("zero inputs: gradient [], Hessian [], H·v [], Jacobian rows []", () => {
    const f: MultivariateFn = (_xs, S) => S.sin(S.from(1));
    expect(valueAndGradient(f, [])).toEqual({ value: Math.sin(1), gradient: [] });
    expect(gradient(f, [])).toEqual([]);
    expect(hessian(f, [])).toEqual([]);
    expect(hessianVectorProduct(f, [], [])).toEqual([]);
    expect(jacobian((_xs, S) => [S.from(1), 2], [])).toEqual({ value: [1, 2], jacobian: [[], []] });
    expect(jacobian(() => [], [1, 2])).toEqual({ value: [], jacobian: [] });
  });

  it("x may be a typed array; the caller's x is not modified", () => {
    const x = new Float64Array([1, 2]);
    const g = gradient((xs) => xs[0].mul(xs[1]), x as unknown as number[]);
    expect(g).toEqual([2, 1]);
    expect([...x]).toEqual([1, 2]);
  });
});

// ── Errors ───────────────────────────────────────────────────────────────────────────────────────

describe("errors", () => {
  const f: MultivariateFn = (xs, S) => S.mul(xs[0], xs[1]);

  it("hessianVectorProduct: ShapeMismatch naming both lengths when v's length differs", () => {
    for (const [x, v] of [
      [[1, 2], [1]],
      [
        [1, 2],
        [1, 2, 3],
      ],
      [[], [1]],
    ] as const) {
      const e = thrown(() => hessianVectorProduct(f, [...x], [...v]));
      expect(e.code).toBe("ShapeMismatch");
      expect(e.details.op).toBe("hessianVectorProduct");
      expect(e.details.xLength).toBe(x.length);
      expect(e.details.vLength).toBe(v.length);
      expect(e.message).toContain(String(x.length));
      expect(e.message).toContain(String(v.length));
    }
  });

  it("checkFinite: NonFinite naming the op that produced it while recording (log at 0)", () => {
    for (const [name, call] of [
      ["gradient", () => gradient((xs) => xs[0].log(), [0], { checkFinite: true })],
      ["valueAndGradient", () => valueAndGradient((xs) => xs[0].log(), [0], { checkFinite: true })],
      ["jacobian", () => jacobian((xs) => [xs[0].log()], [0], { checkFinite: true })],
      ["hessian", () => hessian((xs) => xs[0].log(), [0], { checkFinite: true })],
      ["hessianVectorProduct", () => hessianVectorProduct((xs) => xs[0].log(), [0], [1], { checkFinite: true })],
    ] as const) {
      const e = thrown(call);
      expect(e.code, name).toBe("NonFinite");
      expect(e.details.op, name).toBe("Tape.log");
      expect(e.details.inputs, name).toEqual([0]);
    }
    // Without the option: the infinite value goes through.
    expect(valueAndGradient((xs) => xs[0].log(), [0]).value).toBe(-Infinity);
  });

  it("checkFinite: during backward, details.producedBy names the op whose partial blew up (sqrt at 0)", () => {
    const sqrtAt0: MultivariateFn = (xs) => xs[0].sqrt().mul(3);
    const e = thrown(() => gradient(sqrtAt0, [0], { checkFinite: true }));
    expect(e.code).toBe("NonFinite");
    expect(e.details.op).toBe("Tape.backward");
    expect(e.details.producedBy).toBe("sqrt");
    expect(e.details.partial).toBe(Infinity);
    expect(gradient(sqrtAt0, [0])).toEqual([Infinity]);
    // On a tangent tape the infinite tangent of the value is caught while recording.
    const h = thrown(() => hessian(sqrtAt0, [0], { checkFinite: true }));
    expect(h.code).toBe("NonFinite");
    expect(h.details.op).toBe("Tape.sqrt");
    // A finite computation passes the check unchanged.
    expect(gradient(f, [2, 3], { checkFinite: true })).toEqual([3, 2]);
    expect(hessian(f, [2, 3], { checkFinite: true })).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it("junk arguments give InvalidArgument naming the functional", () => {
    const calls: [string, () => unknown][] = [];
    for (const junkF of [undefined, null, 1, "f", {}]) {
      calls.push(["gradient", () => gradient(junkF as never, [1])]);
      calls.push(["valueAndGradient", () => valueAndGradient(junkF as never, [1])]);
      calls.push(["jacobian", () => jacobian(junkF as never, [1])]);
      calls.push(["hessian", () => hessian(junkF as never, [1])]);
      calls.push(["hessianVectorProduct", () => hessianVectorProduct(junkF as never, [1], [1])]);
    }
    for (const junkX of [undefined, null, 1, "x", {}, [NaN], [Infinity], ["1"], [1, undefined]]) {
      calls.push(["gradient", () => gradient(f, junkX as never)]);
      calls.push(["valueAndGradient", () => valueAndGradient(f, junkX as never)]);
      calls.push(["jacobian", () => jacobian(() => [], junkX as never)]);
      calls.push(["hessian", () => hessian(f, junkX as never)]);
      calls.push(["hessianVectorProduct", () => hessianVectorProduct(f, junkX as never, [1, 2])]);
      calls.push(["hessianVectorProduct", () => hessianVectorProduct(f, [1, 2], junkX as never)]);
    }
    for (const junkOptions of [null, 1, "o"]) {
      calls.push(["gradient", () => gradient(f, [1, 2], junkOptions as never)]);
      calls.push(["hessian", () => hessian(f, [1, 2], junkOptions as never)]);
    }
    for (const junkResult of [undefined, null, "y", {}, [1], Symbol("y")]) {
      calls.push(["gradient", () => gradient(() => junkResult as never, [1])]);
      calls.push(["hessianVectorProduct", () => hessianVectorProduct(() => junkResult as never, [1], [1])]);
    }
    for (const junkRows of [undefined, null, 1, "ys", {}, ["y"], [{}], [undefined]]) {
      calls.push(["jacobian", () => jacobian(() => junkRows as never, [1])]);
    }
    for (const [name, call] of calls) {
      const e = thrown(call);
      expect(e.code, `${name}: ${e.message}`).toBe("InvalidArgument");
      expect(e.details.op).toBe(name);
    }
  });

  it("f returning another tape's variable gives ForeignVariable", () => {
    const other = new Tape();
    const stranger = other.variable(1);
    for (const [name, call] of [
      ["gradient", () => gradient(() => stranger as never, [1])],
      ["valueAndGradient", () => valueAndGradient(() => stranger as never, [1])],
      ["hessian", () => hessian(() => stranger as never, [1])],
      ["hessianVectorProduct", () => hessianVectorProduct(() => stranger as never, [1], [1])],
      ["jacobian", () => jacobian(() => [stranger] as never, [1])],
    ] as const) {
      const e = thrown(call);
      expect(e.code, name).toBe("ForeignVariable");
      expect(e.details.op, name).toBe(name);
    }
    // And a variable of another tape used inside f fails in the op that used it.
    const e = thrown(() => gradient((xs) => xs[0].mul(stranger as never), [1]));
    expect(e.code).toBe("ForeignVariable");
    expect(e.details.op).toBe("Tape.mul");
  });

  it("a variable escaping one call is foreign to the next (each call records on a tape of its own)", () => {
    let escaped: unknown;
    gradient(
      (xs) => {
        escaped = xs[0];
        return xs[0];
      },
      [1],
    );
    const e = thrown(() => gradient(() => escaped as never, [1]));
    expect(e.code).toBe("ForeignVariable");
  });
});
