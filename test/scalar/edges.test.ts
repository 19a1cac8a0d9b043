/**
 * The documented conventions at non-differentiable points and domain edges (the header of
 * `src/scalar/elementary.ts`), one named test each. Every convention is checked on `Dual`, on a
 * first-order `NestedDual` over numbers (which reads the table through the generic path rather than
 * Dual's fast paths) and, where it says something about higher order, through `derivatives`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dual, dualScalar } from "../../src/scalar/dual.js";
import { derivative, derivatives } from "../../src/scalar/forward.js";
import { NestedDual } from "../../src/scalar/nestedDual.js";
import { numberScalar } from "../../src/scalar/number.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from "../../src/scalar/scalar.js";

/** [value, derivative] of a unary op at x with tangent dx, on Dual and on NestedDual over numbers. */
function unaryBoth(op: UnaryOp, x: number, dx = 1): { dual: [number, number]; nested: [number, number] } {
  const d = Dual.variable(x, dx)[op]();
  const n = new NestedDual(numberScalar, x, dx)[op]();
  return { dual: [d.x, d.dx], nested: [n.x, n.dx] };
}

/** Same for a binary op with tangents ta, tb. */
function binaryBoth(op: BinaryOp, a: number, ta: number, b: number, tb: number): { dual: [number, number]; nested: [number, number] } {
  const d = Dual.variable(a, ta)[op](Dual.variable(b, tb));
  const n = new NestedDual(numberScalar, a, ta)[op](new NestedDual(numberScalar, b, tb));
  return { dual: [d.x, d.dx], nested: [n.x, n.dx] };
}

/** Exactly equal, where NaN matches NaN and 0 matches −0 (the sign of a zero tangent is not a convention). */
function expectSame(actual: readonly number[], expected: readonly number[], what: string): void {
  const same = actual.length === expected.length && actual.every((a, i) => a === expected[i] || (Number.isNaN(a) && Number.isNaN(expected[i])));
  expect(same, `${what}: got [${actual.join(", ")}], expected [${expected.join(", ")}]`).toBe(true);
}

function expectDerivative(r: { value: number; derivative: number }, value: number, slope: number): void {
  expectSame([r.value, r.derivative], [value, slope], "derivative");
}

/** Both domains give exactly [value, derivative]. */
function expectUnary(op: UnaryOp, x: number, value: number, slope: number, dx = 1): void {
  const r = unaryBoth(op, x, dx);
  expectSame(r.dual, [value, slope], `Dual ${op}(${x}) with tangent ${dx}`);
  expectSame(r.nested, [value, slope], `NestedDual ${op}(${x}) with tangent ${dx}`);
}

function expectBinary(op: BinaryOp, a: number, ta: number, b: number, tb: number, value: number, slope: number): void {
  const r = binaryBoth(op, a, ta, b, tb);
  expectSame(r.dual, [value, slope], `Dual ${op}(${a}, ${b}) with tangents (${ta}, ${tb})`);
  expectSame(r.nested, [value, slope], `NestedDual ${op}(${a}, ${b}) with tangents (${ta}, ${tb})`);
}

/** A zero tangent stays exactly zero (not NaN) on both domains. */
function expectZeroTangentUnary(op: UnaryOp, x: number): void {
  const r = unaryBoth(op, x, 0);
  expect(r.dual[1] === 0, `Dual ${op}(${x}) with tangent 0 gave ${r.dual[1]}`).toBe(true);
  expect(r.nested[1] === 0, `NestedDual ${op}(${x}) with tangent 0 gave ${r.nested[1]}`).toBe(true);
  expect(dualScalar[op](x).dx === 0, `dualScalar.${op}(${x}) (a constant)`).toBe(true);
}

describe("log at 0", () => {
  it("log at 0: value −∞, derivative +∞", () => {
    expectUnary("log", 0, -Infinity, Infinity);
    expectDerivative(
      derivative((t) => t.log(), 0),
      -Infinity,
      Infinity,
    );
  });

  it("log2 at 0 and log1p at −1 follow log", () => {
    expectUnary("log2", 0, -Infinity, Infinity);
    expectUnary("log1p", -1, -Infinity, Infinity);
  });

  it("a constant through log(0) keeps tangent 0", () => {
    expectZeroTangentUnary("log", 0);
    expectZeroTangentUnary("log2", 0);
    expectZeroTangentUnary("log1p", -1);
  });
});

describe("sqrt and cbrt at 0", () => {
  it("sqrt at 0: derivative +∞ (the one-sided derivative)", () => {
    expectUnary("sqrt", 0, 0, Infinity);
    expectUnary("sqrt", 0, 0, -Infinity, -1);
    expectDerivative(
      derivative((t) => t.sqrt(), 0),
      0,
      Infinity,
    );
  });

  it("sqrt at 0: a constant keeps tangent 0, not NaN", () => {
    expectZeroTangentUnary("sqrt", 0);
    // x − x and 0·x are constants: the derivative of √(x − x) + x is 1, at every order.
    expectDerivative(
      derivative((t) => t.sub(t).sqrt().add(t), 3),
      3,
      1,
    );
    expectDerivative(
      derivative((t) => t.mul(0).sqrt().add(t), 3),
      3,
      1,
    );
    expectDerivative(
      derivative((t, S) => t.mul(S.sqrt(S.from(0))), 3),
      0,
      0,
    );
    expectSame(
      derivatives((t) => t.sub(t).sqrt().add(t), 3, 3),
      [3, 1, 0, 0],
      "derivatives",
    );
    expectSame(
      derivatives((t, S) => S.add(S.sqrt(S.mul(t, 0)), t), 2, 4),
      [2, 1, 0, 0, 0],
      "derivatives",
    );
  });

  it("cbrt at 0: derivative +∞; a constant keeps tangent 0", () => {
    expectUnary("cbrt", 0, 0, Infinity);
    expectZeroTangentUnary("cbrt", 0);
    expectSame(
      derivatives((t) => t.sub(t).cbrt(), 1, 2),
      [0, 0, 0],
      "derivatives",
    );
  });
});

describe("pow", () => {
  it("pow with a negative base and an integer exponent: right value and ∂/∂a", () => {
    expectBinary("pow", -2, 1, 3, 0, -8, 12);
    expectBinary("pow", -2, 1, 2, 0, 4, -4);
    expectBinary("pow", -0.5, 1, -1, 0, -2, -4);
    expect(Dual.variable(-2).pow(3)).toEqual(new Dual(-8, 12));
    expectSame(
      derivatives((t) => t.pow(3), -2, 4),
      [-8, 12, -12, 6, 0],
      "derivatives",
    );
  });

  it("pow with a negative base: ∂/∂b is NaN (no real aᵇ for nearby non-integer b)", () => {
    expectBinary("pow", -2, 0, 3, 1, -8, NaN);
    expect(dualScalar.pow(-2, Dual.variable(2)).dx).toBeNaN();
    // The value itself is NaN for a non-integer exponent.
    expect(Dual.variable(-2).pow(2.5).x).toBeNaN();
  });

  it("pow with b = 0: ∂/∂a = 0, even at a = 0", () => {
    expectBinary("pow", 0, 1, 0, 0, 1, 0);
    expectBinary("pow", 3, 1, 0, 0, 1, 0);
    expectBinary("pow", -2, 1, 0, 0, 1, 0);
    expect(Dual.variable(0).pow(0)).toEqual(new Dual(1, 0));
    expectSame(
      derivatives((t) => t.pow(0), 0, 3),
      [1, 0, 0, 0],
      "derivatives",
    );
    // Every order down to b = 0 goes through the convention: (x²)″ at 0 is 2, not NaN.
    expectSame(
      derivatives((t) => t.pow(2), 0, 3),
      [0, 0, 2, 0],
      "derivatives",
    );
    expectSame(
      derivatives((t) => t.pow(1), 0, 2),
      [0, 1, 0],
      "derivatives",
    );
  });

  it("pow with b = 0 and a ≠ 0: ∂/∂a is 0 but still depends on b (∂²aᵇ/∂a∂b = 1/a there)", () => {
    // f(x) = x^(x−1) = e^((x−1)·ln x): f″(1) = 2, half of it through ∂/∂a's dependence on b.
    expectSame(
      derivatives((t) => t.pow(t.sub(1)), 1, 2),
      [1, 0, 2],
      "derivatives of x^(x−1) at 1",
    );
    for (const a of [0.5, 3, 1e-200]) {
      // Inner level seeds a, outer level seeds b: the result's tangent of tangent is ∂²/∂a∂b.
      const A = new NestedDual(dualScalar, Dual.variable(a), Dual.constant(0));
      const B = new NestedDual(dualScalar, Dual.constant(0), Dual.constant(1));
      const y = A.pow(B);
      expectSame([y.x.x, y.x.dx, y.dx.dx], [1, 0, 1 / a], `pow(${a}, 0)`);
    }
    // With b constant at 0, every derivative in a is 0, at every order.
    for (const a of [0, 2, -2, 1e-200])
      expectSame(
        derivatives((t) => t.pow(0), a, 3),
        [1, 0, 0, 0],
        `x⁰ at ${a}`,
      );
  });

  it("pow with a = 0: ∂/∂b = 0", () => {
    expectBinary("pow", 0, 0, 2, 1, 0, 0);
    expectBinary("pow", 0, 0, 0.5, 1, 0, 0);
    expectBinary("pow", 0, 0, 0, 1, 1, 0);
    // 0⁰ with both sides varying: both conventions at once.
    expectBinary("pow", 0, 1, 0, 1, 1, 0);
    expect(dualScalar.pow(0, Dual.variable(3)).dx).toBe(0);
  });

  it("pow at a = 0 with b > 0: ∂/∂a is b·0^(b−1) (0, 1 or +∞)", () => {
    expectBinary("pow", 0, 1, 2, 0, 0, 0);
    expectBinary("pow", 0, 1, 1, 0, 0, 1);
    expectBinary("pow", 0, 1, 0.5, 0, 0, Infinity);
  });
});

describe("abs and sign", () => {
  it("abs at 0: derivative 0", () => {
    expectUnary("abs", 0, 0, 0);
    expectUnary("abs", 0, 0, 0, -3);
    expect(Dual.variable(-0).abs().dx === 0).toBe(true);
    expectSame(
      derivatives((t) => t.abs(), 0, 2),
      [0, 0, 0],
      "derivatives",
    );
  });

  it("sign: derivative 0 everywhere, including at 0", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true }), (x, dx) => {
        const d = Dual.variable(x, dx).sign();
        const n = new NestedDual(numberScalar, x, dx).sign();
        expect(d.x).toBe(Math.sign(x));
        expect(d.dx === 0, `sign′(${x})·${dx} = ${d.dx}`).toBe(true);
        expect(n.dx === 0).toBe(true);
      }),
      { numRuns: 100 },
    );
    expectUnary("sign", 0, 0, 0);
    expectSame(
      derivatives((t) => t.sign(), 0, 2),
      [0, 0, 0],
      "derivatives",
    );
  });
});

describe("min and max at ties", () => {
  it("min/max at a tie: ½ to each operand", () => {
    for (const op of ["min", "max"] as const) {
      expectBinary(op, 2, 1, 2, 0, 2, 0.5);
      expectBinary(op, 2, 0, 2, 1, 2, 0.5);
      expect(Dual.variable(-1)[op](-1).dx).toBe(0.5);
      expect(dualScalar[op](-1, Dual.variable(-1)).dx).toBe(0.5);
    }
  });

  it("max(x, x) and min(x, x) have derivative 1", () => {
    fc.assert(
      fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (x) => {
        expect(derivative((t) => t.max(t), x)).toEqual({ value: x, derivative: 1 });
        expect(derivative((t, S) => S.min(t, t), x)).toEqual({ value: x, derivative: 1 });
      }),
      { numRuns: 50 },
    );
    expectSame(
      derivatives((t) => t.max(t), 1, 2),
      [1, 1, 0],
      "derivatives",
    );
  });

  it("max(x, 1 − x) at the tie x = ½: the tangents 1 and −1 average to 0", () => {
    expectDerivative(
      derivative((t, S) => S.max(t, S.sub(1, t)), 0.5),
      0.5,
      0,
    );
  });

  it("a NaN operand gives a NaN derivative, never a silent 0 or 1", () => {
    for (const op of ["min", "max"] as const) {
      expect(Dual.variable(NaN)[op](1).dx).toBeNaN();
      expect(Dual.constant(1)[op](Dual.variable(NaN)).dx).toBeNaN();
    }
  });
});

describe("hypot and atan2 at the origin", () => {
  it("hypot(0, 0): value 0, derivative 0 in each operand", () => {
    expectBinary("hypot", 0, 1, 0, 0, 0, 0);
    expectBinary("hypot", 0, 0, 0, 1, 0, 0);
    expectBinary("hypot", 0, 1, 0, 1, 0, 0);
  });

  it("atan2(0, 0): value 0, derivative 0 in each operand", () => {
    expectBinary("atan2", 0, 1, 0, 0, 0, 0);
    expectBinary("atan2", 0, 0, 0, 1, 0, 0);
    expectBinary("atan2", 0, 1, 0, 1, 0, 0);
  });
});

describe("inverse functions at the ends of their domains", () => {
  it("asin at ±1: derivative +∞", () => {
    expectUnary("asin", 1, Math.PI / 2, Infinity);
    expectUnary("asin", -1, -Math.PI / 2, Infinity);
  });

  it("acos at ±1: derivative −∞", () => {
    expectUnary("acos", 1, 0, -Infinity);
    expectUnary("acos", -1, Math.PI, -Infinity);
  });

  it("atanh at ±1: value ±∞, derivative +∞", () => {
    expectUnary("atanh", 1, Infinity, Infinity);
    expectUnary("atanh", -1, -Infinity, Infinity);
  });

  it("acosh at 1: value 0, infinite one-sided derivative", () => {
    expectUnary("acosh", 1, 0, Infinity);
    expectDerivative(
      derivative((t) => t.acosh(), 1),
      0,
      Infinity,
    );
  });

  it("constants at these edges keep tangent 0", () => {
    for (const [op, x] of [
      ["asin", 1],
      ["asin", -1],
      ["acos", 1],
      ["acos", -1],
      ["atanh", 1],
      ["atanh", -1],
      ["acosh", 1],
    ] as const) {
      expectZeroTangentUnary(op, x);
    }
  });
});

describe("a zero tangent stays zero against any local derivative", () => {
  /** Points where some op's local derivative is infinite, NaN or undefined. */
  const awkward = [0, -0, 1, -1, Infinity, -Infinity, NaN, 1e308, -2];

  it("every unary op at every awkward point, with tangent 0", () => {
    for (const op of UNARY_OPS) for (const x of awkward) expectZeroTangentUnary(op, x);
  });

  it("every binary op at every pair of awkward points, with both tangents 0", () => {
    for (const op of BINARY_OPS) {
      for (const a of awkward) {
        for (const b of awkward) {
          const r = binaryBoth(op, a, 0, b, 0);
          expect(r.dual[1] === 0, `Dual ${op}(${a}, ${b}) with tangents 0 gave ${r.dual[1]}`).toBe(true);
          expect(r.nested[1] === 0, `NestedDual ${op}(${a}, ${b}) with tangents 0 gave ${r.nested[1]}`).toBe(true);
        }
      }
    }
  });
});
