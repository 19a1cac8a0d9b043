/**
 * Tagged perturbations: forward-mode calls nested inside each other keep their tangents apart. The
 * cases are the "perturbation confusion" examples from the literature (Siskind & Pearlmutter 2005,
 * "Perturbation confusion and referential transparency"; Manzyuk et al. 2019), each checked against
 * its closed form and, for random points, against finite differences of the same nesting.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dual, dualScalar } from "../../src/scalar/dual.js";
import { derivative, directionalDerivative, gradientForward, jacobianForward } from "../../src/scalar/forward.js";
import { MixedDual, setLastTag } from "../../src/scalar/taggedDual.js";
import { centralDifference } from "../../src/testing/checkGradient.js";
import { expectClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";

const point = fc.double({ min: -3, max: 3, noNaN: true }).map((x) => x + 0);

describe("nested derivative (perturbation confusion)", () => {
  it("d/dx [x · (d/dy (x + y))(1)] = 1 for every x (Siskind & Pearlmutter)", () => {
    fc.assert(
      fc.property(point, (x0) => {
        const r = derivative((x: Dual) => x.mul(derivative((y: Dual) => x.add(y), 1).derivative), x0);
        expect(r.derivative).toBe(1);
        expect(r.value).toBe(x0);
      }),
    );
  });

  it("d/dx [x · (d/dy (x · y))(2)] = 2x: the inner derivative depends on the outer variable", () => {
    fc.assert(
      fc.property(point, (x0) => {
        const r = derivative((x: Dual) => x.mul(derivative((y: Dual) => x.mul(y), 2).derivative), x0);
        expectClose(r.value, x0 * x0, 1e-15, 0, "value");
        expectClose(r.derivative, 2 * x0, 1e-15, 0, "derivative");
      }),
    );
  });

  it("the same nesting in generic style through one shared Scalar", () => {
    const r = derivative((x, S) => S.mul(x, derivative((y: Dual) => dualScalar.add(x as unknown as Dual, y), 1).derivative), 3);
    expect(r).toEqual({ value: 3, derivative: 1 });
  });

  it("three levels: d/dx [x · d/dy [y · d/dz (x·y·z)]] = 4·x·y₀", () => {
    const y0 = 3;
    const r = derivative((x: Dual) => x.mul(derivative((y: Dual) => y.mul(derivative((z: Dual) => x.mul(y).mul(z), 5).derivative), y0).derivative), 2);
    expect(r.value).toBe(2 * 2 * 2 * y0);
    expect(r.derivative).toBe(4 * 2 * y0);
  });

  it("nonlinear inner functions: d/dx (d/dy sin(x·y))(1) at random x matches finite differences of the nesting", () => {
    // d/dy sin(xy) at y = 1 is x cos x; its derivative in x is cos x − x sin x.
    const inner = (x: number) => derivative((y: Dual) => Dual.constant(x).mul(y).sin(), 1).derivative;
    fc.assert(
      fc.property(point, (x0) => {
        const r = derivative((x: Dual) => derivative((y: Dual) => x.mul(y).sin(), 1).derivative, x0);
        expectClose(r.value, x0 * Math.cos(x0), 1e-14, 1e-15, "value");
        expectClose(r.derivative, Math.cos(x0) - x0 * Math.sin(x0), 1e-13, 1e-14, "closed form");
        expectClose(
          r.derivative,
          centralDifference((v) => inner(v[0]), [x0], 0),
          1e-7,
          1e-8,
          "finite differences",
        );
      }),
    );
  });

  it("an inner call that ignores its own variable has derivative 0, and the outer tangent survives", () => {
    const r = derivative((x: Dual) => x.mul(derivative(() => x.mul(x), 7).value), 2);
    expect(r).toEqual({ value: 8, derivative: 12 });
    expect(derivative((x: Dual) => derivative(() => x.mul(x), 7).derivative, 2)).toEqual({ value: 0, derivative: 0 });
  });

  it("the table's binary rules nest too: pow, atan2, hypot, min, max, div", () => {
    // d/dx [ d/dy f(x, y) at y0 ] against finite differences of the un-nested inner derivative.
    const cases: [string, (x: Dual, y: Dual) => Dual][] = [
      ["pow", (x, y) => x.pow(y)],
      ["atan2", (x, y) => x.atan2(y)],
      ["hypot", (x, y) => x.hypot(y)],
      ["div", (x, y) => x.div(y.mul(y))],
      ["max", (x, y) => x.mul(y).max(y)],
      ["tanh·erf", (x, y) => x.mul(y).tanh().mul(y.add(x).erf())],
    ];
    const x0 = 1.3;
    const y0 = 0.7;
    for (const [name, f] of cases) {
      const nested = derivative((x: Dual) => derivative((y: Dual) => f(x, y), y0).derivative, x0).derivative;
      const plain = (x: number) => derivative((y: Dual) => f(Dual.constant(x), y), y0).derivative;
      expectClose(
        nested,
        centralDifference((v) => plain(v[0]), [x0], 0),
        1e-7,
        1e-8,
        name,
      );
    }
  });

  it("gradientForward, directionalDerivative and jacobianForward nested in derivative", () => {
    // d/dx Σⱼ ∂/∂yⱼ (x·y₀·y₁) at y = (2, 3) = d/dx [x·(3 + 2)] = 5
    const g = derivative((x: Dual) => {
      const { gradient } = gradientForward((ys: readonly Dual[]) => x.mul(ys[0]).mul(ys[1]), [2, 3]);
      return x.mul(0).add(gradient[0]).add(gradient[1]);
    }, 4);
    expect(g).toEqual({ value: 20, derivative: 5 });
    const d = derivative((x: Dual) => x.mul(directionalDerivative((ys: readonly Dual[]) => x.add(ys[0]).mul(ys[1]), [1, 1], [1, 0]).derivative), 2);
    expect(d).toEqual({ value: 2, derivative: 1 });
    const j = derivative((x: Dual) => jacobianForward((ys: readonly Dual[]) => [x.mul(x).mul(ys[0])], [1]).jacobian[0][0] as unknown as Dual, 3);
    expect(j).toEqual({ value: 9, derivative: 6 });
  });

  it("a nested result is a dual of the outer call: using it as a plain number is an AdError, never a wrong number", () => {
    const e = thrown(() => derivative((x: Dual) => x.mul(derivative((y: Dual) => x.mul(y), 1).derivative * 2), 1));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details.op).toBe("Dual.toPrimitive");
  });

  it("a mixed dual's methods check their operand like Dual's", () => {
    let seen: unknown;
    derivative(
      (x: Dual) =>
        derivative((y: Dual) => {
          seen = x.mul(y);
          return y;
        }, 1).value,
      1,
    );
    expect(seen).toBeInstanceOf(MixedDual);
    const e = thrown(() => (seen as Dual).add("1" as unknown as number));
    expect(e.code).toBe("InvalidArgument");
    expect(e.details.op).toBe("Dual.add");
  });

  it("duals of one tag still add tangents as before (your own Dual.variable is tag 0)", () => {
    const x = Dual.variable(2);
    const y = Dual.variable(3);
    expect(x.add(y)).toMatchObject({ x: 5, dx: 2, tag: 0 });
  });
});

describe("Dual's tag", () => {
  it("must be a non-negative integer: anything else is an InvalidArgument, not a runaway recursion", () => {
    for (const tag of [-1, 0.5, NaN, Infinity, 2 ** 33, "1"]) {
      const e = thrown(() => new Dual(1, 1, tag as number));
      expect(e.code, String(tag)).toBe("InvalidArgument");
      expect(e.details).toMatchObject({ op: "Dual", argument: "tag" });
    }
    expect(new Dual(1, 1, 7).add(new Dual(2, 1, 3))).toBeInstanceOf(MixedDual);
  });

  it("the numbering starts over when tags run high, but never under a call in progress", () => {
    setLastTag(2 ** 31 + 5);
    const tags: number[] = [];
    const r = derivative((x: Dual) => {
      tags.push(x.tag);
      return x.mul(
        derivative((y: Dual) => {
          tags.push(y.tag);
          return x.mul(y);
        }, 1).derivative,
      );
    }, 3);
    expect(r).toEqual({ value: 9, derivative: 6 });
    // Restarted at the outer call (nothing in flight), then increasing inside it.
    expect(tags).toEqual([1, 2]);
    // An inner call never starts over, even past the mark: its tag must stay above the outer one's.
    let inner = 0;
    const nested = derivative((x: Dual) => {
      setLastTag(2 ** 31 + 5);
      return x.mul(
        derivative((y: Dual) => {
          inner = y.tag;
          return y.mul(x);
        }, 1).derivative,
      );
    }, 3);
    expect(inner).toBe(2 ** 31 + 6);
    expect(nested).toEqual({ value: 9, derivative: 6 });
    setLastTag(0);
  });
});
