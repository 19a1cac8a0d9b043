/**
 * The transform's local derivatives are the shared table's (src/scalar/elementary.ts): staged from
 * it, or, for the rules that branch on a value (abs, pow, atan2, min, max, hypot), restated in
 * rules.ts. Here every Math function's reverse and forward derivative is compared with the table's
 * `df`/`da`/`db` evaluated on numbers, at many points including the edges (0, −0, ±1, ±∞, NaN),
 * and the second derivative with nested duals.
 */
import { describe, expect, it } from "vitest";
import { binaryRules, unaryRules, type BinaryRule, type UnaryRule } from "../../src/scalar/elementary.js";
import { derivatives } from "../../src/scalar/forward.js";
import { numberScalar } from "../../src/scalar/number.js";
import type { BinaryOp, Numeric, UnaryOp } from "../../src/scalar/scalar.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { differentiate, transformHessian } from "../../src/transform/index.js";
import { MATH_UNARY } from "../../src/transform/scope.js";

const same = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b));
const EDGES = [0, -0, 1, -1, 0.5, -0.5, 2, -2, 3.75, -7.25, 1e-300, 1e300, 0.999999, Infinity, -Infinity, NaN];
const POINTS = [...EDGES, ...Array.from({ length: 200 }, (_, i) => Math.sin(i * 12.9898) * 10 ** ((i % 7) - 3))];

describe.each(Object.entries(MATH_UNARY))("Math.%s", (name, op: UnaryOp) => {
  const fn = new Function("x", `return Math.${name}(x);`) as (x: number) => number;
  const df = differentiate(fn as never);
  const jvp = differentiate(fn as (...args: never[]) => number, { mode: "forward" });
  const rule: UnaryRule = unaryRules[op];

  it("reverse and forward derivatives are the table's df at every point", () => {
    for (const x of POINTS) {
      const expected = rule.df(numberScalar, x, rule.primal(x));
      const r = df(x);
      expect(same(r.value, rule.primal(x)), `value at ${x}`).toBe(true);
      expect(same(r.gradient[0] as number, expected), `reverse at ${x}: ${r.gradient[0]} vs ${expected}`).toBe(true);
      expect(same(jvp([x], [1]).tangent, expected), `forward at ${x}`).toBe(true);
      expect(jvp([x], [0]).tangent, `a zero tangent stays zero at ${x}`).toBe(0);
    }
  });

  it("the second derivative is the nested duals'", () => {
    const h = transformHessian(fn as never);
    for (const x of POINTS.filter(Number.isFinite)) {
      const [, , d2] = derivatives((t) => (t as unknown as Record<string, () => Numeric<never>>)[op]() as never, x, 2);
      const got = h(x).hessian[0][0];
      const ok = same(got, d2) || Math.abs(got - d2) <= 1e-12 * Math.max(1, Math.abs(d2));
      expect(ok, `second derivative at ${x}: ${got} vs ${d2}`).toBe(true);
    }
  });
});

const BINARY: [string, BinaryOp, string][] = [
  ["a + b", "add", "return a + b;"],
  ["a - b", "sub", "return a - b;"],
  ["a * b", "mul", "return a * b;"],
  ["a / b", "div", "return a / b;"],
  ["a ** b", "pow", "return a ** b;"],
  ["Math.pow", "pow", "return Math.pow(a, b);"],
  ["Math.atan2", "atan2", "return Math.atan2(a, b);"],
  ["Math.min", "min", "return Math.min(a, b);"],
  ["Math.max", "max", "return Math.max(a, b);"],
  ["Math.hypot", "hypot", "return Math.hypot(a, b);"],
];
const PAIRS = EDGES.flatMap((a) => EDGES.map((b) => [a, b] as const)).concat(POINTS.slice(16).map((a, i) => [a, POINTS[16 + ((i * 7) % 200)]] as const));

describe.each(BINARY)("%s", (_label, op, body) => {
  const fn = new Function("a", "b", body) as (a: number, b: number) => number;
  const df = differentiate(fn as never);
  const jvp = differentiate(fn as (...args: never[]) => number, { mode: "forward" });
  const rule: BinaryRule = binaryRules[op];

  it("both partials are the table's da and db at every pair of points", () => {
    for (const [a, b] of PAIRS) {
      const y = rule.primal(a, b);
      const da = rule.da(numberScalar, a, b, y);
      const db = rule.db(numberScalar, a, b, y);
      const [ga, gb] = df(a, b).gradient as number[];
      expect(same(ga, da) && same(gb, db), `at (${a}, ${b}): [${ga}, ${gb}] vs [${da}, ${db}]`).toBe(true);
      expect(same(jvp([a, b], [1, 0]).tangent, da), `forward ∂a at (${a}, ${b})`).toBe(true);
      expect(same(jvp([a, b], [0, 1]).tangent, db), `forward ∂b at (${a}, ${b})`).toBe(true);
    }
  });
});

describe("conventions at the edges", () => {
  it("a zero cotangent stays zero against an infinite partial (reverse, like the tape)", () => {
    const df = differentiate((x: number) => 0 * Math.sqrt(x));
    const tape = new Tape();
    const x = tape.variable(0);
    const expected = tape.backward(tape.mul(0, tape.sqrt(x))).wrt(x);
    expect(df(0).gradient[0]).toBe(expected);
    expect(expected).toBe(0);
  });

  it("x % y: ∂/∂x = 1, ∂/∂y = −trunc(x / y)", () => {
    const df = differentiate((x: number, y: number) => x % y);
    expect(df(7.5, 2).gradient).toEqual([1, -3]);
    expect(df(-7.5, 2).gradient).toEqual([1, 3]);
  });

  it("Math.floor, ceil, round, trunc and sign have derivative 0", () => {
    const df = differentiate((x: number) => Math.floor(x) + Math.ceil(x) + Math.round(x) + Math.trunc(x) + Math.sign(x));
    expect(df(1.3).gradient).toEqual([0]);
  });
});
