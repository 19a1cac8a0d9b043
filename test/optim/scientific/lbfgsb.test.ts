/**
 * lbfgs with bounds is L-BFGS-B (src/optim/scientific/lbfgsb.ts): bounded classics against their
 * published minima (Hock & Schittkowski 1981, "Test examples for nonlinear programming codes",
 * problems 3, 4, 5, 38, 110; SciPy's own L-BFGS-B bounds test; Rosenbrock with active bounds), and
 * the evaluations each takes against SciPy's L-BFGS-B on the same problem from the same start
 * (test/golden/lbfgsb.py writes SciPy's figures once; SciPy is not a test dependency).
 */
import fc from "fast-check";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { lbfgs } from "../../../src/optim/index.js";
import type { MultivariateFn, Numeric, Scalar } from "../../../src/scalar/scalar.js";

interface Scipy {
  readonly x: number[];
  readonly fun: number;
  readonly nit: number;
  readonly nfev: number;
}
const golden = JSON.parse(readFileSync(new URL("../../golden/lbfgsb.json", import.meta.url), "utf8")) as { cases: Record<string, Scipy> };

type Objective = <T extends Numeric<T>>(xs: readonly T[], S: Scalar<T>) => T | number;

interface Bounded {
  readonly f: Objective;
  readonly x0: number[];
  readonly lower: number[];
  readonly upper: number[];
  /** The published minimiser and value. */
  readonly x: number[];
  readonly fun: number;
}

const rosenbrock =
  (n: number): Objective =>
  (xs, S) => {
    let sum: ReturnType<typeof S.mul> | number = 0;
    for (let i = 0; i < n; i += 2) sum = S.add(sum, S.add(S.mul(100, S.pow(S.sub(xs[i + 1], S.mul(xs[i], xs[i])), 2)), S.pow(S.sub(1, xs[i]), 2)));
    return sum;
  };

const ten = (v: number) => new Array<number>(10).fill(v);
const hs110Minimiser = 9.35025655;

const problems: Record<string, Bounded> = {
  "Rosenbrock, x1 <= 1/2": { f: rosenbrock(2), x0: [-1.2, 1], lower: [-Infinity, -Infinity], upper: [0.5, Infinity], x: [0.5, 0.25], fun: 0.25 },
  // The minimum has every b on its bound 0.2 and a = 0.45388973 (f′(a) = 0 there).
  "extended Rosenbrock 10-D in a box": {
    f: rosenbrock(10),
    x0: [-1.2, 1, -1.2, 1, -1.2, 1, -1.2, 1, -1.2, 1],
    lower: ten(-2),
    upper: Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 0.5 : 0.2)),
    x: Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? 0.45388973 : 0.2)),
    fun: 1.5092775831925758,
  },
  "SciPy TestLBFGSBBounds": { f: ([a, b], S) => S.mul(0.5, S.add(S.mul(a, a), S.mul(b, b))), x0: [0, -1], lower: [1, -Infinity], upper: [Infinity, Infinity], x: [1, 0], fun: 0.5 },
  "Hock-Schittkowski 3": { f: ([a, b], S) => S.add(b, S.mul(1e-5, S.pow(S.sub(b, a), 2))), x0: [10, 1], lower: [-Infinity, 0], upper: [Infinity, Infinity], x: [0, 0], fun: 0 },
  "Hock-Schittkowski 4": { f: ([a, b], S) => S.add(S.div(S.pow(S.add(a, 1), 3), 3), b), x0: [1.125, 0.125], lower: [1, 0], upper: [Infinity, Infinity], x: [1, 0], fun: 8 / 3 },
  "Hock-Schittkowski 5": {
    f: ([a, b], S) => S.add(S.add(S.sin(S.add(a, b)), S.pow(S.sub(a, b), 2)), S.add(S.sub(S.mul(2.5, b), S.mul(1.5, a)), 1)),
    x0: [0, 0],
    lower: [-1.5, -3],
    upper: [4, 3],
    x: [-Math.PI / 3 + 0.5, -Math.PI / 3 - 0.5],
    fun: -Math.sqrt(3) / 2 - Math.PI / 3,
  },
  "Hock-Schittkowski 38": {
    f: ([a, b, c, d], S) =>
      S.add(
        S.add(S.add(S.mul(100, S.pow(S.sub(b, S.mul(a, a)), 2)), S.pow(S.sub(1, a), 2)), S.add(S.mul(90, S.pow(S.sub(d, S.mul(c, c)), 2)), S.pow(S.sub(1, c), 2))),
        S.add(S.mul(10.1, S.add(S.pow(S.sub(b, 1), 2), S.pow(S.sub(d, 1), 2))), S.mul(19.8, S.mul(S.sub(b, 1), S.sub(d, 1)))),
      ),
    x0: [-3, -1, -3, -1],
    lower: [-10, -10, -10, -10],
    upper: [10, 10, 10, 10],
    x: [1, 1, 1, 1],
    fun: 0,
  },
  "Hock-Schittkowski 110": {
    f: (xs, S) => {
      let sum: ReturnType<typeof S.mul> | number = 0;
      let product: ReturnType<typeof S.mul> | number = 1;
      for (const x of xs) {
        sum = S.add(sum, S.add(S.pow(S.log(S.sub(x, 2)), 2), S.pow(S.log(S.sub(10, x)), 2)));
        product = S.mul(product, x);
      }
      return S.sub(sum, S.pow(product, 0.2));
    },
    x0: ten(9),
    lower: ten(2.001),
    upper: ten(9.999),
    x: ten(hs110Minimiser),
    fun: -45.77846971,
  },
};

describe("L-BFGS-B on bounded classics: the published minima, with evaluations beside SciPy's", () => {
  for (const [name, p] of Object.entries(problems)) {
    it(name, () => {
      const r = lbfgs(p.f, p.x0, { lower: p.lower, upper: p.upper });
      const scipy = golden.cases[name];
      expect(r.converged).toBe(true);
      // x to what the default gradient tolerance (1e−5) determines; f to far better.
      p.x.forEach((v, i) => expect(Math.abs(r.x[i] - v)).toBeLessThan(1e-3));
      expect(Math.abs(r.fun - p.fun)).toBeLessThan(1e-7);
      // Every iterate in the box: the bounds hold exactly, not to rounding.
      r.x.forEach((v, i) => expect(v >= p.lower[i] && v <= p.upper[i]).toBe(true));
      // The same algorithm: SciPy's evaluations, give or take the line searches' different first trials.
      expect(r.evaluations).toBeLessThanOrEqual(scipy.nfev + 3);
    });
  }

  it("a minimum on the bound is reached by the Cauchy step at once when the model says so", () => {
    // ½(x₀² + x₁²) from (0, −1) with x₀ ≥ 1: SciPy takes one iteration; so does L-BFGS-B here.
    const r = lbfgs(problems["SciPy TestLBFGSBBounds"].f, [0, -1], { lower: [1, -Infinity] });
    expect([r.iterations, r.x[0], r.x[1]]).toEqual([1, 1, 0]);
  });
});

describe("convex quadratics in generated boxes: L-BFGS-B stops at the KKT point", () => {
  it("½xᵀQx + cᵀx with Q = BᵀB + I coupled across variables: in the box, projected gradient within tolerance", () => {
    const problem = fc.integer({ min: 2, max: 6 }).chain((n) =>
      fc.record({
        b: fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: n * n, maxLength: n * n }),
        c: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
        ends: fc.array(fc.tuple(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true })), { minLength: n, maxLength: n }),
      }),
    );
    fc.assert(
      fc.property(problem, ({ b, c, ends }) => {
        const n = c.length;
        const q = Array.from({ length: n * n }, (_, k) => {
          const [i, j] = [Math.floor(k / n), k % n];
          let sum = i === j ? 1 : 0;
          for (let r = 0; r < n; r++) sum += b[r * n + i] * b[r * n + j];
          return sum;
        });
        const lower = ends.map(([a, z]) => Math.min(a, z));
        const upper = ends.map(([a, z]) => Math.max(a, z));
        const f: MultivariateFn = (xs, S) => {
          let sum: ReturnType<typeof S.mul> | number = 0;
          for (let i = 0; i < n; i++) {
            sum = S.add(sum, S.mul(c[i], xs[i]));
            for (let j = 0; j < n; j++) sum = S.add(sum, S.mul(0.5 * q[i * n + j], S.mul(xs[i], xs[j])));
          }
          return sum;
        };
        const r = lbfgs(f, new Array<number>(n).fill(0), { lower, upper, gradientTolerance: 1e-8, functionTolerance: 0 });
        expect(r.reason).toBe("gradient");
        for (let i = 0; i < n; i++) {
          expect(r.x[i] >= lower[i] && r.x[i] <= upper[i]).toBe(true);
          // KKT: ∇f_i = Q·x + c vanishes inside the box and points into an active bound.
          let gi = c[i];
          for (let j = 0; j < n; j++) gi += q[i * n + j] * r.x[j];
          const projected = Math.min(upper[i], Math.max(lower[i], r.x[i] - gi)) - r.x[i];
          expect(Math.abs(projected)).toBeLessThanOrEqual(1e-7);
        }
      }),
      { numRuns: 60 },
    );
  });
});
