/**
 * `NestedDual<T>`: over numbers it is a plain dual and must agree with `Dual`; over duals it carries
 * second derivatives, checked for every elementary op against hand-written second derivatives and
 * against finite differences of the hand-written first derivative; levels must not mix.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Dual, dualScalar } from "../../src/scalar/dual.js";
import { derivatives } from "../../src/scalar/forward.js";
import { dualScalarOver, NestedDual } from "../../src/scalar/nestedDual.js";
import { numberScalar } from "../../src/scalar/number.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type Scalar, type UnaryOp } from "../../src/scalar/scalar.js";
import { centralDifference } from "../../src/testing/checkGradient.js";
import { expectClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";
import { binaryPoint, binarySpecs, fdStep, unaryPoint, unarySpecs, type BinarySpec, type UnarySpec } from "../support/elementarySpecs.js";

const S1 = dualScalarOver(numberScalar);
const S2 = dualScalarOver(S1);

/** x seeded in both levels of a dual over duals over numbers: f(x + ε₁ + ε₂) = f + f′(ε₁ + ε₂) + f″ε₁ε₂. */
function secondOrderVariable(x: number): NestedDual<NestedDual<number>> {
  return new NestedDual(S1, new NestedDual(numberScalar, x, 1), new NestedDual(numberScalar, 1, 0));
}

type Level2 = NestedDual<NestedDual<number>>;
const inner = (t: Level2): NestedDual<number> => t.x;
const outerTangent = (t: Level2): NestedDual<number> => t.dx;

describe("NestedDual over numbers agrees with Dual", () => {
  it.each(UNARY_OPS.map((op) => [op] as const))("%s", (op: UnaryOp) => {
    fc.assert(
      fc.property(unaryPoint(op), fc.double({ min: -3, max: 3, noNaN: true }), (x, dx) => {
        const nested = new NestedDual(numberScalar, x, dx)[op]();
        const dual = Dual.variable(x, dx)[op]();
        expect(nested.x).toBe(dual.x);
        expect(nested.value).toBe(dual.x);
        expectClose(nested.dx, dual.dx, 1e-14, 1e-300, `${op} tangent at ${x}`);
        const viaScalar = S1[op](new NestedDual(numberScalar, x, dx));
        expect([viaScalar.x, viaScalar.dx]).toEqual([nested.x, nested.dx]);
      }),
      { numRuns: 50 },
    );
  });

  it.each(BINARY_OPS.map((op) => [op] as const))("%s, in every operand form", (op: BinaryOp) => {
    fc.assert(
      fc.property(binaryPoint(op), fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true }), ([a, b], ta, tb) => {
        const pairs: [NestedDual<number>, Dual][] = [
          [new NestedDual(numberScalar, a, ta)[op](new NestedDual(numberScalar, b, tb)), Dual.variable(a, ta)[op](Dual.variable(b, tb))],
          [new NestedDual(numberScalar, a, ta)[op](b), Dual.variable(a, ta)[op](b)],
          [S1[op](a, new NestedDual(numberScalar, b, tb)), dualScalar[op](a, Dual.variable(b, tb))],
          [S1[op](new NestedDual(numberScalar, a, ta), b), dualScalar[op](Dual.variable(a, ta), b)],
        ];
        for (const [nested, dual] of pairs) {
          expect(nested.x).toBe(dual.x);
          // The terms may cancel: compare against their scale, not the sum.
          const scale = Math.abs(ta * binarySpecs[op].da(a, b)) + Math.abs(tb * binarySpecs[op].db(a, b));
          expect(Math.abs(nested.dx - dual.dx), `${op} at (${a}, ${b})`).toBeLessThanOrEqual(1e-14 * scale + 1e-300);
        }
      }),
      { numRuns: 50 },
    );
  });

  it("constants and from() carry a zero tangent; value reads the innermost primal", () => {
    const c = S1.from(2.5);
    expect([c.x, c.dx, c.value]).toEqual([2.5, 0, 2.5]);
    const c2 = S2.from(-1);
    expect(c2.value).toBe(-1);
    expect([c2.x.x, c2.x.dx, c2.dx.x, c2.dx.dx]).toEqual([-1, 0, 0, 0]);
    expect(S2.value(c2)).toBe(-1);
    expect(S2.value(7)).toBe(7);
    expect(S1.add(1, 2)).toEqual(new NestedDual(numberScalar, 3, 0));
  });

  it("dualScalarOver returns one scalar per domain, named after it", () => {
    expect(dualScalarOver(numberScalar)).toBe(S1);
    expect(dualScalarOver(S1)).toBe(S2);
    expect(S1.name).toBe("dual(number)");
    expect(S2.name).toBe("dual(dual(number))");
    expect(dualScalarOver(dualScalar).name).toBe("dual(dual)");
  });
});

describe("second derivatives of every unary op", () => {
  describe.each(UNARY_OPS.map((op) => [op] as const))("%s", (op: UnaryOp) => {
    const spec: UnarySpec = unarySpecs[op];

    it("dual over dual over numbers and derivatives(f, x, 2) give f, f′, f″ (analytic)", () => {
      fc.assert(
        fc.property(unaryPoint(op), (x) => {
          const y = secondOrderVariable(x)[op]();
          expect(inner(y).x).toBe(numberScalar[op](x));
          expectClose(inner(y).dx, spec.d1(x), 1e-12, 1e-15, `${op}′(${x}) from the inner level`);
          expectClose(outerTangent(y).x, spec.d1(x), 1e-12, 1e-15, `${op}′(${x}) from the outer level`);
          expectClose(outerTangent(y).dx, spec.d2(x), 1e-10, 1e-13, `${op}″(${x})`);

          const [v, d1, d2] = derivatives((t) => t[op](), x, 2);
          expect(v).toBe(numberScalar[op](x));
          expectClose(d1, spec.d1(x), 1e-12, 1e-15, `derivatives: ${op}′(${x})`);
          expectClose(d2, spec.d2(x), 1e-10, 1e-13, `derivatives: ${op}″(${x})`);
        }),
        { numRuns: 60 },
      );
    });

    it("f″ matches central differences of the analytic f′, and f‴ those of the analytic f″", () => {
      fc.assert(
        fc.property(unaryPoint(op, 1e-2), (x) => {
          const step = fdStep(x, spec.distance(x));
          const [, , d2, d3] = derivatives((t, S) => S[op](t), x, 3);
          expectClose(
            d2,
            centralDifference((v) => spec.d1(v[0]), [x], 0, step),
            1e-6,
            1e-9,
            `${op}″(${x}) vs differences of ${op}′`,
          );
          expectClose(
            d3,
            centralDifference((v) => spec.d2(v[0]), [x], 0, step),
            1e-6,
            1e-9,
            `${op}‴(${x}) vs differences of ${op}″`,
          );
        }),
        { numRuns: 40 },
      );
    });
  });
});

describe("second derivatives of every binary op", () => {
  /** The Hessian entries ∂²f/∂u∂w of f(a, b), u and w each "a" or "b": inner level seeds u, outer w. */
  function mixed(op: BinaryOp, a: number, b: number, u: 0 | 1, w: 0 | 1): number {
    const arg = (k: 0 | 1, value: number) => new NestedDual(dualScalar, Dual.variable(value, u === k ? 1 : 0), Dual.constant(w === k ? 1 : 0));
    const y = arg(0, a)[op](arg(1, b));
    return y.dx.dx;
  }

  it.each(BINARY_OPS.map((op) => [op] as const))("%s: each ∂²f/∂u∂w matches differences of the analytic partials", (op: BinaryOp) => {
    const spec: BinarySpec = binarySpecs[op];
    fc.assert(
      fc.property(binaryPoint(op, 1e-2), ([a, b]) => {
        const d = spec.distance(a, b);
        const steps = [fdStep(a, d), fdStep(b, d)];
        for (const u of [0, 1] as const) {
          const partial = (v: number[]) => (u === 0 ? spec.da(v[0], v[1]) : spec.db(v[0], v[1]));
          for (const w of [0, 1] as const) {
            const numeric = centralDifference(partial, [a, b], w, steps[w]);
            expectClose(mixed(op, a, b, u, w), numeric, 1e-6, 1e-9, `∂²${op}/∂${"ab"[u]}∂${"ab"[w]} at (${a}, ${b})`);
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe("higher order through nesting", () => {
  it("derivatives(f, x, n) for n = 1..5 all agree on their common prefix", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.2, max: 3, noNaN: true }), (x) => {
        const f = <T extends { mul(b: T | number): T; sin(): T; log(): T; add(b: T | number): T }>(t: T) => t.mul(t.sin()).add(t.log());
        const longest = derivatives(f, x, 5);
        for (let n = 1; n < 5; n++) {
          const shorter = derivatives(f, x, n);
          shorter.forEach((d, k) => expectClose(d, longest[k], 1e-13, 1e-13, `f^(${k}) with n = ${n}`));
        }
      }),
      { numRuns: 30 },
    );
  });

  it("nesting over numbers and over Dual give the same third derivative", () => {
    const S3 = dualScalarOver(S2);
    fc.assert(
      fc.property(fc.double({ min: -2, max: 2, noNaN: true }), (x) => {
        const f = <T>(S: Scalar<T>, t: T): T => S.mul(S.exp(S.mul(t, 0.5)), S.atan(t));
        // x + ε₁ + ε₂ + ε₃: the third level's tangent is the constant 1.
        const v = new NestedDual(S2, secondOrderVariable(x), S2.from(1));
        const y = f(S3, v);
        const third = y.dx.dx.dx;
        expectClose(third, derivatives((t, S) => f(S, t), x, 3)[3], 1e-12, 1e-13, `f‴(${x})`);
      }),
      { numRuns: 30 },
    );
  });
});

describe("mixing nesting levels is InvalidArgument", () => {
  const level1 = new NestedDual(numberScalar, 1, 1);
  const level2 = secondOrderVariable(1);
  const overDual = new NestedDual(dualScalar, Dual.variable(1), Dual.constant(1));
  /** Same structure and name as numberScalar, but a different object: duals over it are not S1's. */
  const foreign = new NestedDual({ ...numberScalar }, 1, 1);

  it.each(BINARY_OPS.map((op) => [op] as const))("%s: a level-2 operand to a level-1 value and back, as b and as a", (op: BinaryOp) => {
    for (const [fn, argument] of [
      [() => level1[op](level2 as never), "b"],
      [() => level2[op](level1 as never), "b"],
      [() => level1[op](overDual as never), "b"],
      [() => S1[op](level2 as never, level1), "a"],
      [() => S2[op](level2, level1 as never), "b"],
      [() => S2[op](level1 as never, 2), "a"],
    ] as const) {
      const e = thrown(fn);
      expect(e.code).toBe("InvalidArgument");
      expect(e.details.op).toBe(`NestedDual.${op}`);
      expect(e.details.argument).toBe(argument);
    }
  });

  it("the error names both domains", () => {
    const e = thrown(() => level1.mul(level2 as never));
    expect(e.details.expected).toBe("number");
    expect(e.details.got).toBe("dual(number)");
  });

  it("a dual over a different Scalar object is refused even when it looks the same", () => {
    for (const op of BINARY_OPS) {
      expect(thrown(() => level1[op](foreign)).code).toBe("InvalidArgument");
      expect(thrown(() => S1[op](foreign, level1)).code).toBe("InvalidArgument");
    }
  });

  it("a Dual in a NestedDual op, and a NestedDual in a Dual op", () => {
    const e = thrown(() => level1.add(Dual.variable(1) as never));
    expect(e.code).toBe("InvalidArgument");
    expect(e.details.op).toBe("NestedDual.add");
    const f = thrown(() => Dual.variable(1).mul(level1 as never));
    expect(f.code).toBe("InvalidArgument");
    expect(f.details.op).toBe("Dual.mul");
  });

  it("every unary op through the scalar refuses a value from another level", () => {
    for (const op of UNARY_OPS) {
      const e = thrown(() => S2[op](level1 as never));
      expect(e.code).toBe("InvalidArgument");
      expect(e.details.op).toBe(`NestedDual.${op}`);
    }
  });

  it("junk operands and junk domains", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== "number"),
        fc.constantFrom(...BINARY_OPS),
        (junk, op) => {
          expect(thrown(() => level1[op](junk as never)).code).toBe("InvalidArgument");
          expect(thrown(() => S1[op](junk as never, 1)).code).toBe("InvalidArgument");
          expect(thrown(() => S1.from(junk as never)).details.op).toBe("NestedDual.from");
          expect(thrown(() => S1.value(junk as never)).details.op).toBe("NestedDual.value");
          const e = thrown(() => dualScalarOver(junk as never));
          expect([e.code, e.details.op]).toEqual(["InvalidArgument", "dualScalarOver"]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a NestedDual refuses to be a plain number", () => {
    const e = thrown(() => (level1 as unknown as number) * 2);
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details.op).toBe("NestedDual.toPrimitive");
    expect(thrown(() => Math.exp(level2 as unknown as number)).code).toBe("UnsupportedOp");
    expect(`${level1}`).toBe("NestedDual(1, 1)");
  });
});

describe("nested immutability", () => {
  it("no op changes its operands at any level", () => {
    const a = secondOrderVariable(0.5);
    const b = S2.add(secondOrderVariable(0.25), 0.1);
    const snapshot = (t: Level2) => [t.x.x, t.x.dx, t.dx.x, t.dx.dx];
    const before = [snapshot(a), snapshot(b)];
    for (const op of UNARY_OPS) a[op]();
    for (const op of BINARY_OPS) {
      a[op](b);
      S2[op](2, b);
    }
    expect([snapshot(a), snapshot(b)]).toEqual(before);
  });
});
