/**
 * `Dual`: every unary and binary op's tangent against a hand-written derivative (tight) and against
 * finite differences of the plain-number op (the independent oracle), in every operand position and
 * call style; construction, immutability, refusal of coercion, and refusal of junk operands.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isAdError } from "../../src/errors.js";
import { Dual, dualScalar } from "../../src/scalar/dual.js";
import { NestedDual } from "../../src/scalar/nestedDual.js";
import { numberScalar } from "../../src/scalar/number.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from "../../src/scalar/scalar.js";
import { centralDifference } from "../../src/testing/checkGradient.js";
import { expectClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";
import {
  ANALYTIC_ATOL,
  ANALYTIC_RTOL,
  binaryPoint,
  binarySpecs,
  FD_ATOL,
  FD_RTOL,
  fdStep,
  unaryPoint,
  unarySpecs,
  type BinarySpec,
  type UnarySpec,
} from "../support/elementarySpecs.js";

const RUNS = 100;

describe("Dual: every unary op", () => {
  it("has a spec for every op in UNARY_OPS and nothing else", () => {
    expect(Object.keys(unarySpecs).sort()).toEqual([...UNARY_OPS].sort());
  });

  describe.each(UNARY_OPS.map((op) => [op] as const))("%s", (op: UnaryOp) => {
    const spec: UnarySpec = unarySpecs[op];

    it("value is the plain-number op; tangent matches the analytic derivative", () => {
      fc.assert(
        fc.property(unaryPoint(op), fc.double({ min: -4, max: 4, noNaN: true }), (x, dx) => {
          const y = Dual.variable(x)[op]();
          expect(y.x).toBe(numberScalar[op](x));
          expectClose(y.dx, spec.d1(x), ANALYTIC_RTOL, ANALYTIC_ATOL, `${op}'(${x})`);
          // The tangent is linear in the seed.
          const seeded = Dual.variable(x, dx)[op]();
          expectClose(seeded.dx, dx * spec.d1(x), ANALYTIC_RTOL, ANALYTIC_ATOL, `${op}'(${x})·${dx}`);
        }),
        { numRuns: RUNS },
      );
    });

    it("tangent matches central differences of the plain-number op", () => {
      fc.assert(
        fc.property(unaryPoint(op), (x) => {
          const numeric = centralDifference((v) => numberScalar[op](v[0]), [x], 0, fdStep(x, spec.distance(x)));
          expectClose(Dual.variable(x)[op]().dx, numeric, FD_RTOL, FD_ATOL, `${op}'(${x}) vs finite differences`);
        }),
        { numRuns: RUNS },
      );
    });

    it("dualScalar form agrees with the method form, and a number operand is a constant", () => {
      fc.assert(
        fc.property(unaryPoint(op), (x) => {
          const viaMethod = Dual.variable(x)[op]();
          const viaScalar = dualScalar[op](Dual.variable(x));
          expect(viaScalar.x).toBe(viaMethod.x);
          expect(viaScalar.dx).toBe(viaMethod.dx);
          const constant = dualScalar[op](x);
          expect(constant).toBeInstanceOf(Dual);
          expect(constant.x).toBe(numberScalar[op](x));
          expect(constant.dx === 0, `tangent of a constant is ${constant.dx}`).toBe(true); // ±0: neg gives −0
        }),
        { numRuns: 30 },
      );
    });
  });
});

describe("Dual: every binary op", () => {
  it("has a spec for every op in BINARY_OPS and nothing else", () => {
    expect(Object.keys(binarySpecs).sort()).toEqual([...BINARY_OPS].sort());
  });

  describe.each(BINARY_OPS.map((op) => [op] as const))("%s", (op: BinaryOp) => {
    const spec: BinarySpec = binarySpecs[op];
    const plain = (v: number[]) => numberScalar[op](v[0], v[1]);

    it("∂/∂a and ∂/∂b match the analytic partials, in both operand positions", () => {
      fc.assert(
        fc.property(binaryPoint(op), ([a, b]) => {
          const expected = plain([a, b]);
          const wrtA = Dual.variable(a)[op](Dual.constant(b));
          const wrtB = Dual.constant(a)[op](Dual.variable(b));
          expect(wrtA.x).toBe(expected);
          expect(wrtB.x).toBe(expected);
          expectClose(wrtA.dx, spec.da(a, b), ANALYTIC_RTOL, ANALYTIC_ATOL, `∂${op}/∂a at (${a}, ${b})`);
          expectClose(wrtB.dx, spec.db(a, b), ANALYTIC_RTOL, ANALYTIC_ATOL, `∂${op}/∂b at (${a}, ${b})`);
        }),
        { numRuns: RUNS },
      );
    });

    it("both operands varying: the tangent is da·∂a + db·∂b", () => {
      fc.assert(
        fc.property(binaryPoint(op), fc.double({ min: -3, max: 3, noNaN: true }), fc.double({ min: -3, max: 3, noNaN: true }), ([a, b], ta, tb) => {
          const y = Dual.variable(a, ta)[op](Dual.variable(b, tb));
          const fromA = ta * spec.da(a, b);
          const fromB = tb * spec.db(a, b);
          // Scale the tolerance by the terms, not their sum, which may cancel.
          const scale = Math.abs(fromA) + Math.abs(fromB);
          expect(Math.abs(y.dx - (fromA + fromB)), `${op} at (${a}, ${b}) seeded (${ta}, ${tb})`).toBeLessThanOrEqual(1e-12 * scale + ANALYTIC_ATOL);
        }),
        { numRuns: RUNS },
      );
    });

    it("∂/∂a and ∂/∂b match central differences of the plain-number op", () => {
      fc.assert(
        fc.property(binaryPoint(op), ([a, b]) => {
          const d = spec.distance(a, b);
          const numA = centralDifference(plain, [a, b], 0, fdStep(a, d));
          const numB = centralDifference(plain, [a, b], 1, fdStep(b, d));
          expectClose(Dual.variable(a)[op](Dual.constant(b)).dx, numA, FD_RTOL, FD_ATOL, `∂${op}/∂a at (${a}, ${b}) vs finite differences`);
          expectClose(Dual.constant(a)[op](Dual.variable(b)).dx, numB, FD_RTOL, FD_ATOL, `∂${op}/∂b at (${a}, ${b}) vs finite differences`);
        }),
        { numRuns: RUNS },
      );
    });

    it("number operands: x.op(3), dualScalar.op(x, 3) and dualScalar.op(3, x) treat the number as a constant", () => {
      fc.assert(
        fc.property(binaryPoint(op), ([a, b]) => {
          const expected = plain([a, b]);
          const methodB = Dual.variable(a)[op](b);
          const scalarB = dualScalar[op](Dual.variable(a), b);
          const scalarA = dualScalar[op](a, Dual.variable(b));
          for (const y of [methodB, scalarB, scalarA]) expect(y.x).toBe(expected);
          expectClose(methodB.dx, spec.da(a, b), ANALYTIC_RTOL, ANALYTIC_ATOL, `x.${op}(${b}) at ${a}`);
          expectClose(scalarB.dx, spec.da(a, b), ANALYTIC_RTOL, ANALYTIC_ATOL, `dualScalar.${op}(x, ${b}) at ${a}`);
          expectClose(scalarA.dx, spec.db(a, b), ANALYTIC_RTOL, ANALYTIC_ATOL, `dualScalar.${op}(${a}, x) at ${b}`);
          const both = dualScalar[op](a, b);
          expect(both).toBeInstanceOf(Dual);
          expect(both.x).toBe(expected);
          expect(both.dx).toBe(0);
        }),
        { numRuns: RUNS },
      );
    });
  });

  it("the literal forms from the docs: x.mul(3) and dualScalar.mul(3, x)", () => {
    const x = Dual.variable(2);
    expect(x.mul(3)).toEqual(new Dual(6, 3));
    expect(dualScalar.mul(3, x)).toEqual(new Dual(6, 3));
    expect(dualScalar.sub(3, x)).toEqual(new Dual(1, -1));
    expect(dualScalar.div(3, x)).toEqual(new Dual(1.5, -0.75));
    expect(dualScalar.pow(2, Dual.variable(3))).toEqual(new Dual(8, 8 * Math.LN2));
  });
});

describe("Dual: construction", () => {
  it("variable seeds tangent 1 by default, or the given tangent; constant seeds 0", () => {
    fc.assert(
      fc.property(fc.double(), fc.double(), (x, dx) => {
        const v = Dual.variable(x);
        expect(v.x).toBe(x);
        expect(v.dx).toBe(1);
        expect(v.value).toBe(x);
        const w = Dual.variable(x, dx);
        expect(w.x).toBe(x);
        expect(w.dx).toBe(dx);
        const c = Dual.constant(x);
        expect(c.x).toBe(x);
        expect(c.dx).toBe(0);
        expect(dualScalar.from(x)).toEqual(c);
        expect(dualScalar.value(w)).toBe(x);
        expect(dualScalar.value(x)).toBe(x);
      }),
      { numRuns: 50 },
    );
  });

  it("constructor, variable, constant and dualScalar.value refuse non-numbers with InvalidArgument", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== "number"),
        (junk) => {
          const cases: [string, string, () => unknown][] = [
            ["Dual", "x", () => new Dual(junk as number, 0)],
            ["Dual", "dx", () => new Dual(0, junk as number)],
            ["Dual.variable", "x", () => Dual.variable(junk as number)],
            ["Dual.constant", "x", () => Dual.constant(junk as number)],
          ];
          // undefined is the default tangent (tested below), not junk.
          if (junk !== undefined) cases.push(["Dual.variable", "dx", () => Dual.variable(1, junk as number)]);
          for (const [op, argument, fn] of cases) {
            const e = thrown(fn);
            expect(e.code).toBe("InvalidArgument");
            expect(e.details.op).toBe(op);
            expect(e.details.argument).toBe(argument);
          }
          if (!(junk instanceof Dual)) {
            const e = thrown(() => dualScalar.value(junk as Dual));
            expect(e.code).toBe("InvalidArgument");
            expect(e.details.op).toBe("Dual.value");
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it("Dual.variable(x, undefined) takes the default tangent", () => {
    expect(Dual.variable(3, undefined).dx).toBe(1);
  });
});

describe("Dual: immutability", () => {
  it("no op changes its operands", () => {
    fc.assert(
      fc.property(fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.double({ min: 0.1, max: 0.9, noNaN: true }), fc.double({ min: -2, max: 2, noNaN: true }), (a, b, t) => {
        const x = Dual.variable(a, t);
        const y = Dual.variable(b, -t);
        for (const op of UNARY_OPS) {
          const r = x[op]();
          expect(r).not.toBe(x);
        }
        for (const op of BINARY_OPS) {
          x[op](y);
          x[op](3);
          dualScalar[op](x, y);
          dualScalar[op](2, y);
        }
        expect([x.x, x.dx, y.x, y.dx]).toEqual([a, t, b, -t]);
      }),
      { numRuns: 20 },
    );
  });

  it("x and dx are readonly to the type checker", () => {
    const d = Dual.variable(1);
    const mutate = (): void => {
      // @ts-expect-error x is readonly
      d.x = 2;
      // @ts-expect-error dx is readonly
      d.dx = 2;
    };
    expect(mutate).toBeTypeOf("function"); // never called: the assertions above are for tsc
    expect([d.x, d.dx]).toEqual([1, 1]);
  });
});

describe("Dual: refuses to be a plain number", () => {
  const x = Dual.variable(1.5, 2);
  const coercions: [string, () => unknown][] = [
    ["x * 2", () => (x as unknown as number) * 2],
    ["x + 1", () => (x as unknown as number) + 1],
    ["-x", () => -(x as unknown as number)],
    ["+x", () => +(x as unknown as number)],
    ["x < 1", () => (x as unknown as number) < 1],
    ["Math.sin(x)", () => Math.sin(x as unknown as number)],
    ["Math.max(x, 0)", () => Math.max(x as unknown as number, 0)],
    ["Number(x)", () => Number(x)],
  ];
  it.each(coercions)("%s throws AdError UnsupportedOp", (_label, fn) => {
    const e = thrown(fn);
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details.op).toBe("Dual.toPrimitive");
    expect(e.message).toContain("Dual.toPrimitive");
  });

  it("string conversion is allowed and shows both parts", () => {
    expect(`${x}`).toBe("Dual(1.5, 2)");
    expect(String(x)).toBe("Dual(1.5, 2)");
    expect(x.toString()).toBe("Dual(1.5, 2)");
  });
});

describe("Dual: junk operands are InvalidArgument naming the method", () => {
  const nested = new NestedDual(numberScalar, 1, 1);
  const named: [string, unknown][] = [
    ["a string", "2"],
    ["an object", { x: 1, dx: 1 }],
    ["undefined", undefined],
    ["null", null],
    ["an array", [1]],
    ["a boolean", true],
    ["a bigint", 2n],
    ["a NestedDual", nested],
  ];

  function expectRejected(fn: () => unknown, op: string, argument: string): void {
    const e = thrown(fn);
    expect(e.code).toBe("InvalidArgument");
    expect(e.details.op).toBe(op);
    expect(e.details.argument).toBe(argument);
    expect(e.message.startsWith(`${op}:`)).toBe(true);
  }

  it.each(named)("%s as b in every binary method and as either dualScalar operand", (_label, junk) => {
    const x = Dual.variable(0.5);
    for (const op of BINARY_OPS) {
      expectRejected(() => x[op](junk as Dual), `Dual.${op}`, "b");
      expectRejected(() => dualScalar[op](x, junk as Dual), `Dual.${op}`, "b");
      expectRejected(() => dualScalar[op](junk as Dual, x), `Dual.${op}`, "a");
      expectRejected(() => dualScalar[op](junk as Dual, 1), `Dual.${op}`, "a");
    }
    for (const op of UNARY_OPS) expectRejected(() => dualScalar[op](junk as Dual), `Dual.${op}`, "a");
  });

  it("anything that is neither a Dual nor a number (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== "number"),
        fc.constantFrom(...BINARY_OPS),
        fc.constantFrom(...UNARY_OPS),
        (junk, binaryOp, unaryOp) => {
          expectRejected(() => Dual.variable(2)[binaryOp](junk as Dual), `Dual.${binaryOp}`, "b");
          expectRejected(() => dualScalar[binaryOp](junk as Dual, 2), `Dual.${binaryOp}`, "a");
          expectRejected(() => dualScalar[unaryOp](junk as Dual), `Dual.${unaryOp}`, "a");
        },
      ),
      { numRuns: 200 },
    );
  });

  it("the error is an AdError the caller can branch on, and details.got describes the operand", () => {
    const e = thrown(() => Dual.variable(1).add(nested as unknown as Dual));
    expect(isAdError(e, "InvalidArgument")).toBe(true);
    expect(e.details.got).toBe("a NestedDual");
  });
});

describe("new Dual's tag", () => {
  it("a Symbol, boxed or not, a fraction or a negative number is an InvalidArgument naming the tag, not a TypeError", () => {
    for (const tag of [Symbol("t"), Object(Symbol("t")), 1.5, -1, "1", {}]) {
      const e = thrown(() => new Dual(0, 0, tag as never));
      expect([e.code, e.details.op, e.details.argument]).toEqual(["InvalidArgument", "Dual", "tag"]);
    }
    expect(new Dual(1, 2, 3).tag).toBe(3);
  });
});

describe("Dual: the ones ops make (unchecked constructor) are the same as new Dual", () => {
  it("same prototype, own keys, instanceof and methods; the public constructor still checks", () => {
    const made = new Dual(2, 3, 0);
    const results = [
      Dual.variable(2),
      Dual.constant(2),
      made.add(1),
      made.mul(made),
      made.sin(),
      made.div(2),
      made.sub(made),
      made.neg(),
      made.exp(),
      made.pow(2),
      dualScalar.add(1, made),
    ];
    for (const d of results) {
      expect(d).toBeInstanceOf(Dual);
      expect(Object.getPrototypeOf(d)).toBe(Dual.prototype);
      expect(Object.keys(d)).toEqual(Object.keys(made));
      expect(d.constructor).toBe(Dual);
      expect(d.mul(2).add(d).x).toBe(3 * d.x);
    }
    expect(made.mul(made)).toEqual(new Dual(4, 12, 0));
    // A number operand leaves the tangent as it was, sign of zero included.
    expect(Object.is(Dual.variable(2).mul(-0).dx, -0)).toBe(true);
    expect(Object.is(new Dual(1, -0).add(3).dx, -0)).toBe(true);
    expect(Object.is(new Dual(1, -0).sub(3).dx, -0)).toBe(true);
    expect(thrown(() => new Dual(1, 2, -1)).details).toMatchObject({ op: "Dual", argument: "tag" });
  });
});
