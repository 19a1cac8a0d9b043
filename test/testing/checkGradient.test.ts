import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAdError } from "../../src/errors.js";
import { centralDifference, checkGradient } from "../../src/testing/checkGradient.js";

const rosenbrock = (x: number[]) => (1 - x[0]) ** 2 + 100 * (x[1] - x[0] ** 2) ** 2;
const rosenbrockGrad = (x: number[]) => [-2 * (1 - x[0]) - 400 * x[0] * (x[1] - x[0] ** 2), 200 * (x[1] - x[0] ** 2)];

describe("checkGradient", () => {
  it("accepts a correct gradient at random points, tightly", () => {
    fc.assert(
      fc.property(fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true }), (a, b) => {
        const report = checkGradient(rosenbrock, [a, b], { gradient: rosenbrockGrad, rtol: 1e-8, atol: 1e-8 });
        expect(report.ok, report.summary).toBe(true);
      }),
    );
  });

  it("rejects a gradient that is wrong in one component and names it", () => {
    const wrong = (x: number[]) => {
      const g = rosenbrockGrad(x);
      return [g[0], g[1] * 1.001];
    };
    const report = checkGradient(rosenbrock, [0.5, 0.7], { gradient: wrong });
    expect(report.ok).toBe(false);
    expect(report.components[0].ok).toBe(true);
    expect(report.components[1].ok).toBe(false);
    expect(report.worst?.index).toBe(1);
    expect(report.summary).toContain("x[1]");
  });

  it("treats a NaN gradient as a failure, never as close", () => {
    const report = checkGradient((x) => x[0] * x[0], [2], { gradient: [NaN] });
    expect(report.ok).toBe(false);
  });

  it("is accurate to ~1e-10 on smooth functions (Richardson extrapolation)", () => {
    for (const x of [-2.5, -0.3, 0.1, 1, 7]) {
      const d = centralDifference((v) => Math.sin(v[0]) * Math.exp(v[0] / 3), [x], 0);
      const exact = Math.cos(x) * Math.exp(x / 3) + (Math.sin(x) * Math.exp(x / 3)) / 3;
      expect(Math.abs(d - exact)).toBeLessThan(1e-10 * Math.max(1, Math.abs(exact)));
    }
  });

  it("reports a length mismatch as ShapeMismatch and junk as InvalidArgument", () => {
    expect(() => checkGradient(rosenbrock, [1, 2], { gradient: [1] })).toThrow(expect.objectContaining({ code: "ShapeMismatch" }));
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (f, x, opts) => {
        try {
          checkGradient(f as never, x as never, opts as never);
        } catch (e) {
          expect(isAdError(e), String(e)).toBe(true);
        }
      }),
    );
  });
});
