/**
 * lbfgs within box constraints (L-BFGS-B, lbfgsb.test.ts has the classics): minima on a bound against the
 * analytic answer and SciPy's L-BFGS-B, a generated property on separable quadratics (whose
 * constrained minimiser is the unconstrained one clipped into the box), and the bounds' errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lbfgs } from "../../../src/optim/index.js";
import type { MultivariateFn } from "../../../src/scalar/scalar.js";
import { tensor } from "../../../src/tensor/creation.js";
import type { Tensor } from "../../../src/tensor/tensor.js";
import { thrown } from "../../support/errorCode.js";
import { extendedRosenbrock, rosenbrock, sumOfSquares } from "./problems.js";

const rosen = sumOfSquares(rosenbrock.residuals);
const tight = { gradientTolerance: 1e-10 };

describe("minima on a bound", () => {
  it("Rosenbrock with x₁ ≤ ½ stops at (½, ¼), f = ¼", () => {
    const r = lbfgs(rosen, [-1.2, 1], { upper: [0.5, Infinity], ...tight });
    expect(r.converged).toBe(true);
    expect(r.x[0]).toBe(0.5);
    expect(r.x[1]).toBeCloseTo(0.25, 8);
    expect(r.fun).toBeCloseTo(0.25, 12);
    // At a constrained minimum the gradient need not vanish: it pushes into the active bound.
    expect(r.grad[0]).toBeLessThan(0);
    expect(Math.abs(r.grad[1])).toBeLessThan(1e-8);
  });

  it("Rosenbrock in 10 dimensions in a box agrees with SciPy's L-BFGS-B", () => {
    const n = 10;
    const { residuals, x0 } = extendedRosenbrock(n);
    const upper = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 0.5 : 0.2));
    const r = lbfgs(sumOfSquares(residuals), x0, { lower: -2, upper, ...tight });
    // scipy.optimize.minimize(rosen, x0, method="L-BFGS-B", bounds=…): every a = 0.45388973, every b = 0.2, f = 1.5092775831925758.
    for (let i = 0; i < n; i++) expect(r.x[i]).toBeCloseTo(i % 2 === 0 ? 0.45388973 : 0.2, 7);
    expect(r.fun).toBeCloseTo(1.5092775831925758, 10);
  });

  it("projects an x0 outside the box, and works over tensors", () => {
    const target = tensor([3, -3, 0.5], { dtype: "float64" });
    const r = lbfgs((x: Tensor) => x.sub(target).pow(2).sum(), tensor([5, 5, 5], { dtype: "float64" }), { lower: -1, upper: 1 });
    expect(r.x.shape).toEqual([3]);
    expect(Array.from(r.x.data())).toEqual([1, -1, expect.closeTo(0.5, 8)]);
    expect(r.reason).toBe("gradient");
  });
});

describe("a separable quadratic's constrained minimiser is its minimiser clipped into the box", () => {
  it("for generated weights, centres and boxes", () => {
    const entry = fc.record({
      weight: fc.double({ min: 0.1, max: 100, noNaN: true }),
      centre: fc.double({ min: -10, max: 10, noNaN: true }),
      a: fc.double({ min: -10, max: 10, noNaN: true }),
      b: fc.double({ min: -10, max: 10, noNaN: true }),
    });
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 6 }), (entries) => {
        const lower = entries.map((e) => Math.min(e.a, e.b));
        const upper = entries.map((e) => Math.max(e.a, e.b));
        const f: MultivariateFn = (xs, S) => entries.reduce<ReturnType<typeof S.mul> | number>((s, e, i) => S.add(s, S.mul(e.weight, S.pow(S.sub(xs[i], e.centre), 2))), 0);
        const r = lbfgs(f, new Array<number>(entries.length).fill(0), { lower, upper, gradientTolerance: 1e-9, functionTolerance: 0 });
        entries.forEach((e, i) => {
          expect(r.x[i]).toBeGreaterThanOrEqual(lower[i]);
          expect(r.x[i]).toBeLessThanOrEqual(upper[i]);
          expect(r.x[i]).toBeCloseTo(Math.min(upper[i], Math.max(lower[i], e.centre)), 6);
        });
        expect(r.converged).toBe(true);
      }),
      {
        numRuns: 100,
        // Found by the property: a box 1e-9 wide, where the last decrease is below f's rounding.
        examples: [
          [
            [
              { weight: 0.1, centre: 0.5590169943749475, a: 0, b: 0 },
              { weight: 0.1, centre: 5.000000000000001e-9, a: 0, b: 1.0000000000000003e-9 },
            ],
          ],
        ],
      },
    );
  });
});

describe("bad bounds name lbfgs", () => {
  it.each([
    ["lower above upper", { lower: [0, 2], upper: [1, 1] }, "InvalidArgument"],
    ["NaN", { lower: NaN }, "InvalidArgument"],
    ["a NaN entry", { upper: [1, NaN] }, "InvalidArgument"],
    ["the wrong length", { lower: [0, 0, 0] }, "ShapeMismatch"],
    ["not numbers", { upper: "1" }, "InvalidArgument"],
  ])("%s", (_, options, code) => {
    expect(thrown(() => lbfgs(rosen, [0, 0], options as never))).toMatchObject({ code, details: { op: "lbfgs" } });
  });
});
