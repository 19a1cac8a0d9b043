/**
 * Compiled statements on handles: `h.statement(arity, fn)` traces fn once and records each call as
 * one node with an edge per input, its partials from generated code. Random straight-line statements
 * give op by op's values bit for bit and its gradients to rounding (the chain rule is associated per
 * statement); misuse is an AdError naming `Handles.statement`.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Handle, Handles } from "../../src/scalar/tape/handles.js";
import type { Scalar } from "../../src/scalar/scalar.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { expectChainGradients } from "../support/scalarChain.js";
import { expectAllClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";

const coordinate = fc.double({ min: -2, max: 2, noNaN: true }).map((x) => x + 0);
// Table ops too (sigmoid, max: a tie splits ½/½), but none singular within the domain: where partials
// are huge (atan2 and hypot near the origin) the association per statement cancels differently.
const OPS = ["add", "sub", "mul", "sin", "cos", "tanh", "sigmoid", "max"] as const;
type Op = (typeof OPS)[number];
const UNARY = new Set<Op>(["sin", "cos", "tanh", "sigmoid"]);
/** One op of a body: operands pick (mod the count) among the inputs, the body's results so far and one constant. */
const instruction = fc.record({ op: fc.constantFrom(...OPS), a: fc.nat(), b: fc.nat() });
const body = fc.record({ arity: fc.integer({ min: 1, max: 4 }), ops: fc.array(instruction, { minLength: 1, maxLength: 8 }), constant: coordinate });
const program = fc.record({
  x: fc.array(coordinate, { minLength: 1, maxLength: 5 }),
  bodies: fc.array(body, { minLength: 1, maxLength: 3 }),
  /** Each call: which body, and its arguments (mod the values so far). */
  calls: fc.array(fc.record({ body: fc.nat(), args: fc.array(fc.nat(), { minLength: 4, maxLength: 4 }) }), { minLength: 1, maxLength: 6 }),
});
type Body = { arity: number; ops: { op: Op; a: number; b: number }[]; constant: number };
type Program = { x: number[]; bodies: Body[]; calls: { body: number; args: number[] }[] };

/** A body as generic code: the same ops whatever the domain. */
function generic({ ops, constant }: Body): <T>(xs: readonly T[], S: Scalar<T>) => T {
  return <T>(xs: readonly T[], S: Scalar<T>): T => {
    const pool: (T | number)[] = [...xs, constant];
    let last: T | number = xs[0];
    for (const { op, a, b } of ops) {
      const x = pool[a % pool.length];
      const y = pool[b % pool.length];
      last = UNARY.has(op) ? S[op as "sin"](x) : S[op as "add"](x, y);
      pool.push(last);
    }
    return last as T;
  };
}

type Style = "ops" | "begin/end" | "compiled";

/**
 * The handles as a `Scalar`, op by op. A number is a body's constant, made a constant handle:
 * handles are negative int32s below −2²⁶, the constants are in [−2, 2].
 */
function handleScalar(h: Handles): Scalar<Handle> {
  const operand = (v: Handle | number) => (v > -3 ? h.constant(v) : (v as Handle));
  return new Proxy({} as Scalar<Handle>, {
    get: (_, name: string) => (a: Handle | number, b?: Handle | number) => (b === undefined ? h.unary(name as "sin", operand(a)) : h.binary(name as "add", operand(a), operand(b))),
  });
}

/** Runs the program on handles in one style; value, gradient and tape size. */
function run({ x, bodies, calls }: Program, style: Style, capacity?: number): { value: number; gradient: number[]; size: number } {
  const tape = new Tape(capacity === undefined ? {} : { capacity });
  const h: Handles = tape.handles;
  const inputs = x.map((v) => h.variable(v));
  const values: Handle[] = [...inputs];
  const fns = bodies.map(generic);
  const compiled = bodies.map((b, k) => h.statement(b.arity, fns[k]));
  // The handles as a Scalar, op by op, for the "ops" and "begin/end" styles.
  const S = handleScalar(h);
  for (const call of calls) {
    const k = call.body % bodies.length;
    const args = call.args.slice(0, bodies[k].arity).map((j) => values[j % values.length]);
    if (style === "compiled") values.push(compiled[k](...args));
    else if (style === "begin/end") {
      h.begin();
      values.push(h.end(fns[k](args, S)));
    } else values.push(fns[k](args, S));
  }
  const y = values[values.length - 1];
  h.backward(y);
  return { value: h.value(y), gradient: inputs.map((xi) => h.gradient(xi)), size: tape.size };
}

describe("compiled statements on handles", () => {
  it("random statements: op by op's value, its gradient to rounding, one node per call", () => {
    fc.assert(
      fc.property(program, fc.constantFrom(undefined, 1), (p, capacity) => {
        const ops = run(p, "ops");
        // A product of products can overflow; the comparison is for finite programs.
        fc.pre(Number.isFinite(ops.value) && ops.gradient.every(Number.isFinite));
        const compiled = run(p, "compiled", capacity);
        const statements = run(p, "begin/end");
        expect(compiled.value).toBe(ops.value);
        const scale = 1 + Math.max(...ops.gradient.map(Math.abs));
        expectAllClose(compiled.gradient, ops.gradient, 1e-12, 1e-13 * scale, "gradient");
        expectAllClose(compiled.gradient, statements.gradient, 1e-12, 1e-13 * scale, "gradient against begin/end");
        expect(compiled.size).toBe(p.x.length + p.calls.length);
      }),
    );
  });

  it("the chain function: one node and three edges per element, gradient as the Var style's", () => {
    const x = [0.3, -1.2, 2, 0.7];
    const tape = new Tape();
    const h = tape.handles;
    const step = h.statement(3, ([acc, xi, xj], S) => S.add(acc, S.add(S.mul(S.sin(xi), xj), S.mul(xi, xi))));
    const hs = x.map((v) => h.variable(v));
    let acc = h.constant(0);
    for (let i = 0; i < x.length - 1; i++) acc = step(acc, hs[i], hs[i + 1]);
    expect([tape.size, tape.edges]).toEqual([x.length + 1 + 3, 3 * 3]);
    expectChainGradients(h, acc, hs, x);
  });

  it("a constant result is a constant, an input as the result is one edge to it, no inputs at all is a constant", () => {
    const tape = new Tape();
    const h = tape.handles;
    const x = h.variable(3);
    const constant = h.statement(1, (_xs, S) => S.mul(S.from(2), 4));
    const same = h.statement(1, ([a]) => a);
    const none = h.statement(0, (_xs, S) => S.sin(1));
    const [c, s, n] = [constant(x), same(x), none()];
    expect([h.value(c), h.value(s), h.value(n)]).toEqual([8, 3, Math.sin(1)]);
    expect([tape.size, tape.edges]).toEqual([4, 1]);
    h.backward(h.mul(h.mul(c, s), n));
    expect(h.gradient(x)).toBe(8 * Math.sin(1));
  });

  it("inside h.begin() … h.end(out) a compiled statement is one of the statement's temporaries", () => {
    const tape = new Tape();
    const h = tape.handles;
    const x = h.variable(0.5);
    const y = h.variable(2);
    const square = h.statement(1, ([a], S) => S.mul(a, a));
    h.begin();
    const z = h.end(h.mul(square(x), h.sin(y)));
    expect(tape.size).toBe(3);
    h.backward(z);
    expectAllClose([h.gradient(x), h.gradient(y)], [2 * 0.5 * Math.sin(2), 0.25 * Math.cos(2)], 1e-15, 1e-15, "gradient");
  });

  it("a statement too large for generated code is interpreted: the same node", () => {
    const n = 2500;
    const long = <T>([a, b]: readonly T[], S: Scalar<T>): T => {
      let acc = S.mul(a, b);
      for (let k = 0; k < n; k++) acc = S.add(S.mul(acc, 0.999), S.sin(a));
      return acc;
    };
    const results = (["compiled", "begin/end"] as const).map((style) => {
      const tape = new Tape();
      const h = tape.handles;
      const [a, b] = [h.variable(0.3), h.variable(-0.7)];
      let y: Handle;
      if (style === "compiled") y = h.statement(2, long)(a, b);
      else {
        h.begin();
        y = h.end(long([a, b], handleScalar(h)));
      }
      h.backward(y);
      return [tape.size, h.value(y), h.gradient(a), h.gradient(b)];
    });
    expect(results[0][0]).toBe(3);
    expect(results[0]).toEqual(results[1]);
  });

  it("with checkFinite each op is checked; a failed statement leaves none open", () => {
    const tape = new Tape({ checkFinite: true });
    const h = tape.handles;
    const x = h.variable(-1);
    const bad = h.statement(1, ([a], S) => S.mul(S.log(a), 0));
    const e = thrown(() => bad(x));
    expect([e.code, e.details.op]).toEqual(["NonFinite", "Handles.log"]);
    expect(tape.size).toBe(1);
    const good = h.statement(1, ([a], S) => S.mul(a, a));
    h.backward(good(x));
    expect(h.gradient(x)).toBe(-2);
  });

  it("a compiled statement takes its tape's handles only: a compile error in Tape.with, ForeignVariable at run time", () => {
    const code = Tape.with((outer) => {
      const x = outer.handles.variable(1);
      return Tape.with((inner) => {
        const h = inner.handles;
        const square = h.statement(1, ([a], S) => S.mul(a, a));
        h.backward(square(h.variable(3)));
        expect(h.gradient(h.variable(0))).toBe(0);
        // @ts-expect-error a handle of the outer tape passed to the inner tape's statement
        return thrown(() => square(x)).code;
      });
    });
    expect(code).toBe("ForeignVariable");
  });

  it("misuse is an AdError naming Handles.statement", () => {
    const tape = new Tape();
    const h = tape.handles;
    const x = h.variable(1);
    const step = h.statement(2, ([a, b], S) => S.mul(a, b));
    const cases: [() => unknown, string][] = [
      [() => h.statement(-1, ([a]) => a), "InvalidArgument"],
      [() => h.statement(1.5, ([a]) => a), "InvalidArgument"],
      [() => h.statement(1, "f" as never), "InvalidArgument"],
      [() => h.statement(1, ([a], S) => (S.value(a) > 0 ? a : S.neg(a))), "InvalidArgument"],
      [() => h.statement(1, ([a], S) => S.mul(a, "2" as never)), "InvalidArgument"],
      // A handle captured instead of passed would be a constant of its bits: refused.
      [() => h.statement(1, ([a], S) => S.mul(a, x as never)), "InvalidArgument"],
      [() => step(x, 2 as never), "InvalidArgument"],
      [() => (step as (a: Handle) => Handle)(x), "InvalidArgument"],
      [() => step(x, new Tape().handles.variable(1) as never), "ForeignVariable"],
      // The generated checks take no arithmetic of a non-number (a TypeError for these, user code for an object).
      [() => step(x, Symbol("h") as never), "InvalidArgument"],
      [() => step(1n as never, x), "InvalidArgument"],
    ];
    for (const [call, code] of cases) {
      const e = thrown(call);
      expect([e.code, e.details.op]).toEqual([code, "Handles.statement"]);
    }
    let valueOfCalls = 0;
    const lookalike = { valueOf: () => (valueOfCalls++, x) };
    expect(thrown(() => step(x, lookalike as never)).code).toBe("InvalidArgument");
    expect(valueOfCalls).toBe(0);
    // A value of another statement's trace, kept from its fn.
    let kept: unknown;
    h.statement(1, ([a]) => (kept = a));
    expect(thrown(() => h.statement(1, ([a], S) => S.mul(a, kept as never))).details.op).toBe("Handles.statement");
    const before = h.mul(x, x);
    tape.reset();
    const y = h.variable(2);
    expect(thrown(() => step(before, y)).code).toBe("StaleVariable");
    expect(tape.size).toBe(1);
    // The statement outlives the reset: it records on the tape's new generation.
    h.backward(step(y, y));
    expect(h.gradient(y)).toBe(4);
  });
});
