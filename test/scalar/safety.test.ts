/**
 * Run-time tape safety: a variable of another tape (ForeignVariable) or from before a reset
 * (StaleVariable) is refused by every op, `.value`, `backward` and `Gradient.wrt`, naming the op;
 * a variable escaping `Tape.with` is stale; coercing a variable to a number is UnsupportedOp;
 * `checkFinite` reports the first op that produced NaN/±Inf while recording, and the op whose local
 * partial blew up during `backward`; a failed call records nothing; without `checkFinite` nothing
 * throws.
 */
import { describe, expect, it } from "vitest";
import { AdError, type AdErrorCode } from "../../src/errors.js";
import { numberScalar } from "../../src/scalar/number.js";
import { BINARY_OPS, UNARY_OPS, type BinaryOp, type UnaryOp } from "../../src/scalar/scalar.js";
import { gradientForward, derivative } from "../../src/scalar/forward.js";
import { gradient, hessian, jacobian } from "../../src/scalar/functionals.js";
import type { MultivariateFn } from "../../src/scalar/scalar.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import type { Var } from "../../src/scalar/tape/variable.js";
import { thrown } from "../support/errorCode.js";

/** Expects `fn` to throw an AdError of `code` with `details.op === op`, and to record nothing on the tapes. */
function expectRefused(fn: () => unknown, code: AdErrorCode, op: string, tapes: readonly Tape[], what = op): AdError {
  const before = tapes.map((t) => [t.size, t.edges]);
  const e = thrown(fn);
  expect(e.code, `${what}: ${e.message}`).toBe(code);
  expect(e.details.op, what).toBe(op);
  expect(
    tapes.map((t) => [t.size, t.edges]),
    `${what} recorded something`,
  ).toEqual(before);
  return e;
}

// ── ForeignVariable ──────────────────────────────────────────────────────────────────────────────

describe("ForeignVariable: a variable of another tape", () => {
  function twoTapes() {
    const a = new Tape({ tangents: true });
    const b = new Tape({ tangents: true });
    const xa = a.variable(0.5, 1);
    const ya = a.variable(0.25);
    const xb = b.variable(0.75, 1);
    return { a, b, xa, ya, xb };
  }

  it.each(UNARY_OPS.map((op) => [op] as const))("in %s", (op: UnaryOp) => {
    const { a, b, xa } = twoTapes();
    const e = expectRefused(() => b[op](xa), "ForeignVariable", `Tape.${op}`, [a, b]);
    expect(e.details.index).toBe(xa.index);
  });

  it.each(BINARY_OPS.map((op) => [op] as const))("in %s, in either position and either style", (op: BinaryOp) => {
    const { a, b, xa, xb } = twoTapes();
    const cases: [string, () => unknown][] = [
      ["b.op(foreign, own)", () => b[op](xa, xb)],
      ["b.op(own, foreign)", () => b[op](xb, xa)],
      ["b.op(foreign, number)", () => b[op](xa, 2)],
      ["b.op(number, foreign)", () => b[op](2, xa)],
      ["own.op(foreign)", () => xb[op](xa)],
      ["foreign.op(own)", () => xa[op](xb)],
    ];
    for (const [label, call] of cases) expectRefused(call, "ForeignVariable", `Tape.${op}`, [a, b], `${op}: ${label}`);
  });

  it("in sum, checkpoint, value, tangent and backward", () => {
    const { a, b, xa, xb } = twoTapes();
    expectRefused(() => b.sum([xb, 1, xa]), "ForeignVariable", "Tape.sum", [a, b]);
    expectRefused(() => b.checkpoint((ins) => ins, [xb, xa]), "ForeignVariable", "Tape.checkpoint", [a, b]);
    expectRefused(() => b.value(xa), "ForeignVariable", "Tape.value", [a, b]);
    expectRefused(() => b.tangent(xa), "ForeignVariable", "Tape.tangent", [a, b]);
    expectRefused(() => b.backward(xa), "ForeignVariable", "Tape.backward", [a, b]);
    expectRefused(() => b.backward(xa.sin()), "ForeignVariable", "Tape.backward", [b]);
  });

  it("in Gradient.wrt and tangentWrt, alone or in a list", () => {
    const { a, b, xa, ya, xb } = twoTapes();
    const g = b.backward(xb.mul(xb));
    expectRefused(() => g.wrt(xa), "ForeignVariable", "Gradient.wrt", [a, b]);
    expectRefused(() => g.wrt([xb, xa]), "ForeignVariable", "Gradient.wrt", [a, b]);
    expectRefused(() => g.tangentWrt(ya), "ForeignVariable", "Gradient.tangentWrt", [a, b]);
    expectRefused(() => g.tangentWrt([xa]), "ForeignVariable", "Gradient.tangentWrt", [a, b]);
    // The gradient itself is fine.
    expect(g.wrt(xb)).toBe(1.5);
    expect(g.tangentWrt(xb)).toBe(2);
  });

  it("tapes from nested Tape.with calls refuse each other's variables at run time too", () => {
    Tape.with((outer) => {
      const x = outer.variable(1);
      Tape.with((inner) => {
        const y = inner.variable(2);
        expectRefused(() => inner.mul(x as never, y), "ForeignVariable", "Tape.mul", [outer as Tape, inner as Tape]);
        expectRefused(() => y.add(x as never), "ForeignVariable", "Tape.add", [outer as Tape, inner as Tape]);
        expectRefused(() => inner.backward(y).wrt(x as never), "ForeignVariable", "Gradient.wrt", [outer as Tape]);
        return 0;
      });
      return 0;
    });
  });
});

describe("ForeignVariable: an explicit tape used on an outer tape's variables", () => {
  it("is refused, and the message says what nests (nested gradient calls do: test/scalar/nestedReverse.test.ts)", () => {
    const outer: MultivariateFn = (xs) => {
      const inner = new Tape();
      return inner.mul(inner.variable(1), xs[0] as never) as never;
    };
    const e = thrown(() => gradient(outer, [2]));
    expect(e.code).toBe("ForeignVariable");
    expect(e.details.op).toBe("Tape.mul");
    expect(e.message).toMatch(/gradient, valueAndGradient, jacobian, hessian, hessianVectorProduct inside gradient/);
  });

  // Inside a nested gradient the outer values are a nested tape's variables, inside derivative or
  // gradientForward they are duals: the same nesting, refused the same way, not as junk arguments.
  const inner = (use: (t: Tape, x: unknown) => unknown) => (x: unknown) => use(new Tape(), x) as never;
  const explicit = inner((t, x) => t.mul(t.variable(1), x as never));
  const handles = inner((t, x) => t.handles.mul(t.handles.variable(1), x as never));
  const cases: [string, string, () => unknown][] = [
    ["a nested gradient's variable", "Tape.mul", () => gradient(([x]) => x.mul(gradient(([y]) => explicit(y), [1])[0] as never), [2])],
    ["derivative's dual", "Tape.mul", () => derivative((x) => explicit(x), 2)],
    ["gradientForward's dual", "Tape.mul", () => gradientForward(([x]) => explicit(x), [2])],
    ["derivative's dual inside gradient", "Tape.mul", () => gradient(([x]) => x.mul(derivative((y) => explicit(y), 2).derivative as never), [2])],
    ["a handle op on gradient's variable", "Handles.mul", () => gradient(([x]) => handles(x), [2])],
    ["a handle op on derivative's dual", "Handles.mul", () => derivative((x) => handles(x), 2)],
  ];
  it.each(cases)("%s is ForeignVariable naming the op and what nests, as another tape's variable is", (_label, op, call) => {
    const e = thrown(call);
    expect([e.code, e.details.op], e.message).toEqual(["ForeignVariable", op]);
    expect(e.message).toMatch(/gradient, valueAndGradient, jacobian, hessian, hessianVectorProduct inside gradient/);
  });

  it("handles still refuse their own tape's Var as a mix of styles (InvalidArgument)", () => {
    const tape = new Tape();
    const h = tape.handles;
    const e = thrown(() => h.mul(h.variable(1), tape.variable(2) as never));
    expect([e.code, e.details.op]).toEqual(["InvalidArgument", "Handles.mul"]);
  });
});

// ── StaleVariable ────────────────────────────────────────────────────────────────────────────────

describe("StaleVariable: a variable from before reset", () => {
  function resetTape() {
    const tape = new Tape({ tangents: true });
    const old = tape.variable(0.5, 1);
    const oldY = old.sin();
    const oldGradient = tape.backward(oldY);
    tape.reset();
    // New nodes now sit at the old indices.
    const fresh = tape.variable(0.3, 1);
    const freshY = fresh.cos();
    expect(fresh.index).toBe(old.index);
    expect(freshY.index).toBe(oldY.index);
    return { tape, old, oldY, oldGradient, fresh, freshY };
  }

  it.each(UNARY_OPS.map((op) => [op] as const))("in %s, both styles, even with a new node at its index", (op: UnaryOp) => {
    const { tape, old } = resetTape();
    const e = expectRefused(() => tape[op](old), "StaleVariable", `Tape.${op}`, [tape]);
    expect(e.details.variableGeneration).toBe(0);
    expect(e.details.tapeGeneration).toBe(1);
    expect(e.details.index).toBe(old.index);
    expectRefused(() => old[op](), "StaleVariable", `Tape.${op}`, [tape]);
  });

  it.each(BINARY_OPS.map((op) => [op] as const))("in %s, in either position and either style", (op: BinaryOp) => {
    const { tape, old, oldY, fresh } = resetTape();
    const cases: [string, () => unknown][] = [
      ["tape.op(stale, fresh)", () => tape[op](old, fresh)],
      ["tape.op(fresh, stale)", () => tape[op](fresh, oldY)],
      ["tape.op(stale, number)", () => tape[op](old, 1)],
      ["tape.op(number, stale)", () => tape[op](1, oldY)],
      ["stale.op(fresh)", () => old[op](fresh)],
      ["fresh.op(stale)", () => fresh[op](old)],
    ];
    for (const [label, call] of cases) expectRefused(call, "StaleVariable", `Tape.${op}`, [tape], `${op}: ${label}`);
  });

  it("in .value, tape.value, tangent, sum, checkpoint and backward", () => {
    const { tape, old, oldY, fresh } = resetTape();
    expectRefused(() => old.value, "StaleVariable", "Tape.value", [tape]);
    expectRefused(() => oldY.value, "StaleVariable", "Tape.value", [tape]);
    expectRefused(() => tape.value(old), "StaleVariable", "Tape.value", [tape]);
    expectRefused(() => tape.tangent(oldY), "StaleVariable", "Tape.tangent", [tape]);
    expectRefused(() => tape.sum([fresh, old]), "StaleVariable", "Tape.sum", [tape]);
    expectRefused(() => tape.checkpoint((ins) => ins, [old]), "StaleVariable", "Tape.checkpoint", [tape]);
    expectRefused(() => tape.backward(oldY), "StaleVariable", "Tape.backward", [tape]);
    // The fresh node at the same index reads its own value.
    expect(fresh.value).toBe(0.3);
  });

  it("in Gradient.wrt: a new gradient refuses old variables, an old gradient refuses new ones but keeps its own", () => {
    const { tape, old, oldGradient, fresh, freshY } = resetTape();
    const g = tape.backward(freshY);
    expectRefused(() => g.wrt(old), "StaleVariable", "Gradient.wrt", [tape]);
    expectRefused(() => g.wrt([fresh, old]), "StaleVariable", "Gradient.wrt", [tape]);
    expectRefused(() => g.tangentWrt(old), "StaleVariable", "Gradient.tangentWrt", [tape]);
    expectRefused(() => oldGradient.wrt(fresh), "StaleVariable", "Gradient.wrt", [tape]);
    expect(g.wrt(fresh)).toBe(-Math.sin(0.3));
    // A Gradient is a copy: it stays valid for the variables of its own generation.
    expect(oldGradient.wrt(old)).toBe(Math.cos(0.5));
    expect(oldGradient.all()).toEqual([Math.cos(0.5)]);
    expect(oldGradient.tangentWrt(old)).toBe(-Math.sin(0.5));
  });

  it("after several resets, and whatever the index", () => {
    const tape = new Tape();
    const xs = tape.variables([1, 2, 3]);
    tape.reset();
    tape.reset();
    const e = expectRefused(() => xs[2].mul(2), "StaleVariable", "Tape.mul", [tape]);
    expect(e.details.variableGeneration).toBe(0);
    expect(e.details.tapeGeneration).toBe(2);
    // Nothing at index 2 now: still StaleVariable, not a read of garbage.
    expect(tape.size).toBe(0);
    expectRefused(() => xs[2].value, "StaleVariable", "Tape.value", [tape]);
  });

  it("a variable escaping gradient/jacobian/hessian is stale on its own tape afterwards (its arena now serves other calls)", () => {
    let escaped: Var | undefined;
    const keep: MultivariateFn = (xs) => {
      escaped = xs[0] as unknown as Var;
      return xs[0].mul(xs[1]);
    };
    for (const call of [() => gradient(keep, [2, 3]), () => hessian(keep, [2, 3]), () => jacobian((xs) => [keep(xs, numberScalar as never) as never], [2, 3])]) {
      escaped = undefined;
      call();
      const x = escaped as unknown as Var;
      // The next call reuses the arena the escaped variable's tape recorded into: it must not see it.
      expect(gradient(([a, b]) => a.mul(b).add(a.sin()), [0.5, 4])).toEqual([4 + Math.cos(0.5), 0.5]);
      expectRefused(() => x.mul(2), "StaleVariable", "Tape.mul", [x.tape]);
      expectRefused(() => x.value, "StaleVariable", "Tape.value", [x.tape]);
    }
  });

  it("tapes released one inside another's scope, and a released tape recording again, leave the other tapes' values alone", () => {
    let released: Tape | undefined;
    const [outer, inner] = Tape.with((t) => {
      const x = t.variable(2);
      const y = x.mul(x);
      const g = Tape.with((u) => {
        released = u as Tape;
        const z = u.variable(5);
        return u.backward(z.mul(z).sin()).wrt(z);
      });
      // A released tape still records (into memory of its own), and the scope's tape is untouched.
      const c = (released as Tape).constant(7);
      expect(c.value).toBe(7);
      expect(y.value).toBe(4);
      return [t.backward(y.mul(x)).wrt(x), g];
    });
    expect(outer).toBe(12);
    expect(inner).toBe(10 * Math.cos(25));
    expect(gradient(([a]) => a.mul(3), [1])).toEqual([3]);
    expect((released as Tape).constant(8).value).toBe(8);
  });

  it("a variable escaping Tape.with is stale afterwards, and the tape's memory is released", () => {
    let tape: Tape | undefined;
    let bytesInside = 0;
    const escaped = Tape.with((t) => {
      tape = t as Tape;
      bytesInside = t.byteLength;
      const x = t.variable(2);
      const y = x.mul(x);
      expect(y.value).toBe(4);
      return { x: x as Var, y: y as Var, gradient: t.backward(y).all() };
    });
    expect(tape).toBeDefined();
    expectRefused(() => escaped.x.value, "StaleVariable", "Tape.value", [tape!]);
    expectRefused(() => escaped.y.sin(), "StaleVariable", "Tape.sin", [tape!]);
    expectRefused(() => escaped.y.tape.backward(escaped.y), "StaleVariable", "Tape.backward", [tape!]);
    expect(escaped.gradient).toEqual([4]);
    expect(bytesInside).toBeGreaterThan(1000);
    expect(tape!.byteLength).toBeLessThan(64);
  });

  it("a variable escaping a Tape.with that threw is stale too", () => {
    let leaked: Var | undefined;
    expect(() =>
      Tape.with((t) => {
        leaked = t.variable(1) as Var;
        throw new Error("boom");
      }),
    ).toThrow("boom");
    expectRefused(() => leaked!.value, "StaleVariable", "Tape.value", []);
  });
});

// ── Coercion ─────────────────────────────────────────────────────────────────────────────────────

describe("a variable used as a plain number", () => {
  it("x * 2, x + 1, +x, x < 1 and Math.sin(x) throw UnsupportedOp; `${x}` and String(x) give Var(#i)", () => {
    const tape = new Tape();
    tape.variable(0);
    const x = tape.variable(3);
    const asNumber = x as unknown as number;
    for (const [label, coerce] of [
      ["x * 2", () => asNumber * 2],
      ["x + 1", () => asNumber + 1],
      ["+x", () => +asNumber],
      ["x < 1", () => asNumber < 1],
      ["Math.sin(x)", () => Math.sin(asNumber)],
      ["Math.max(x, 1)", () => Math.max(asNumber, 1)],
      ["Number(x)", () => Number(asNumber)],
    ] as const) {
      const before = tape.size;
      const e = thrown(coerce);
      expect(e.code, label).toBe("UnsupportedOp");
      expect(e.details.op, label).toBe("Var.toPrimitive");
      expect(e.details.index, label).toBe(1);
      expect(tape.size).toBe(before);
    }
    expect(`${x}`).toBe("Var(#1)");
    expect(String(x)).toBe("Var(#1)");
    expect(x.toString()).toBe("Var(#1)");
    expect(`${x.sin()}`).toBe("Var(#2)");
  });
});

// ── checkFinite while recording ──────────────────────────────────────────────────────────────────

/** Ops that give NaN/±Inf from finite inputs, with the inputs (the first one is the variable). */
const UNARY_BLOWUPS: readonly [UnaryOp, number][] = [
  ["sqrt", -1],
  ["log", -1],
  ["log", 0],
  ["log1p", -2],
  ["log1p", -1],
  ["log2", -1],
  ["log2", 0],
  ["asin", 2],
  ["acos", -2],
  ["acosh", 0.5],
  ["atanh", 2],
  ["atanh", 1],
  ["exp", 1000],
  ["expm1", 800],
  ["sinh", -1000],
  ["cosh", 1000],
];
const BINARY_BLOWUPS: readonly [BinaryOp, number, number][] = [
  ["add", 1e308, 1e308],
  ["sub", -1e308, 1e308],
  ["mul", 1e200, -1e200],
  ["div", 1, 0],
  ["div", 0, 0],
  ["pow", -2, 0.5],
  ["pow", 10, 400],
  ["hypot", 1.5e308, 1.5e308],
  ["atan2", 1, NaN],
  ["min", 1, NaN],
  ["max", 1, NaN],
];

describe("checkFinite while recording: NonFinite names the first op that produced NaN/±Inf and its inputs", () => {
  it.each(UNARY_BLOWUPS.map(([op, x]) => [op, x] as const))("%s(%s), on variables, constants and numbers, plain and tangent tapes", (op, x) => {
    for (const tangents of [false, true]) {
      const tape = new Tape({ checkFinite: true, tangents });
      const v = tape.variable(x);
      const c = tape.constant(x);
      for (const [label, call] of [
        ["tape.op(variable)", () => tape[op](v)],
        ["variable.op()", () => v[op]()],
        ["tape.op(constant)", () => tape[op](c)],
        ["tape.op(number)", () => tape[op](x)],
      ] as const) {
        const e = expectRefused(call, "NonFinite", `Tape.${op}`, [tape], `${op}(${x}) ${label}${tangents ? " (tangents)" : ""}`);
        expect(e.details.inputs).toEqual([x]);
        expect(e.details.value).toBe(numberScalar[op](x));
        expect(Number.isFinite(e.details.value as number)).toBe(false);
        expect(e.message).toContain(op);
      }
    }
  });

  it.each(BINARY_BLOWUPS.map(([op, a, b]) => [op, a, b] as const))("%s(%s, %s), in each operand style, plain and tangent tapes", (op, a, b) => {
    for (const tangents of [false, true]) {
      const tape = new Tape({ checkFinite: true, tangents });
      const va = tape.variable(a);
      const ca = tape.constant(a);
      const calls: [string, () => unknown][] = [
        ["tape.op(variable, number)", () => tape[op](va, b)],
        ["variable.op(number)", () => va[op](b)],
        ["tape.op(constant, number)", () => tape[op](ca, b)],
        ["constant.op(number)", () => ca[op](b)],
        ["tape.op(number, number)", () => tape[op](a, b)],
      ];
      if (Number.isFinite(b)) {
        const vb = tape.variable(b);
        calls.push(["tape.op(variable, variable)", () => tape[op](va, vb)], ["variable.op(variable)", () => va[op](vb)], ["tape.op(number, variable)", () => tape[op](a, vb)]);
      }
      for (const [label, call] of calls) {
        const e = expectRefused(call, "NonFinite", `Tape.${op}`, [tape], `${op}(${a}, ${b}) ${label}${tangents ? " (tangents)" : ""}`);
        expect(e.details.inputs).toEqual([a, b]);
        expect(Number.isFinite(e.details.value as number)).toBe(false);
      }
    }
  });

  it("in a chain, the first op that went non-finite is named, not a later one", () => {
    const tape = new Tape({ checkFinite: true });
    const x = tape.variable(1);
    const e = thrown(() => x.sub(2).sqrt().exp().log());
    expect(e.code).toBe("NonFinite");
    expect(e.details.op).toBe("Tape.sqrt");
    expect(e.details.inputs).toEqual([-1]);
    expect(e.details.value).toBeNaN();
    // The nodes before the failure were recorded: x and x − 2.
    expect(tape.size).toBe(2);
  });

  it("covers variable, constant, sum, the backward seed and a checkpoint's body", () => {
    const tape = new Tape({ checkFinite: true });
    const x = tape.variable(1);
    for (const bad of [NaN, Infinity, -Infinity]) {
      expectRefused(() => tape.variable(bad), "NonFinite", "Tape.variable", [tape]);
      expect(thrown(() => tape.variables([1, bad])).code).toBe("NonFinite");
      expectRefused(() => tape.constant(bad), "NonFinite", "Tape.constant", [tape]);
      expectRefused(() => tape.backward(x, bad), "NonFinite", "Tape.backward", [tape]);
    }
    expectRefused(() => tape.sum([x, 1e308, 1e308]), "NonFinite", "Tape.sum", [tape]);
    expectRefused(() => tape.sum([x, Infinity]), "NonFinite", "Tape.sum", [tape]);
    // The scratch tape of a checkpoint checks too, and the outer tape records nothing.
    expectRefused(() => tape.checkpoint((ins) => [ins[0].sub(2).log()], [x]), "NonFinite", "Tape.log", [tape]);
  });

  it("on a tangent tape, a finite value with a non-finite tangent is caught (sqrt at 0 seeded 1)", () => {
    const tape = new Tape({ checkFinite: true, tangents: true });
    const x = tape.variable(0, 1);
    const e = expectRefused(() => x.sqrt(), "NonFinite", "Tape.sqrt", [tape]);
    expect(e.details.value).toBe(0);
    expect(e.details.tangent).toBe(Infinity);
    // With a zero tangent there is nothing to report.
    const z = tape.variable(0, 0);
    expect(z.sqrt().value).toBe(0);
  });
});

// ── checkFinite during backward ──────────────────────────────────────────────────────────────────

describe("checkFinite during backward: producedBy names the op whose partial blew up", () => {
  it("pow's ∂/∂b at a negative base is NaN", () => {
    for (const tangents of [false, true]) {
      const tape = new Tape({ checkFinite: true, tangents });
      const [a, b] = tape.variables([-2, 2]);
      const y = tape.pow(a, b);
      expect(y.value).toBe(4);
      const e = thrown(() => tape.backward(y));
      expect(e.code).toBe("NonFinite");
      expect(e.details.op).toBe("Tape.backward");
      expect(e.details.producedBy).toBe("pow");
      expect(e.details.node).toBe(y.index);
      expect(e.details.value).toBe(4);
      expect(e.details.partial).toBeNaN();
      expect(e.message).toContain("pow");
      // With b a number only ∂/∂a is recorded: finite.
      expect(tape.backward(tape.pow(a, 2)).wrt(a)).toBe(-4);
    }
  });

  it("sqrt, acos and log at the edge of their domain, with a variable input, deep in a chain", () => {
    const cases: [string, number, (x: Var) => Var][] = [
      ["sqrt", 0, (x) => x.sqrt().mul(2).add(1).sin()],
      ["acos", 1, (x) => x.acos().exp()],
      ["cbrt", 0, (x) => x.cbrt().tanh()],
      // x/x = 1 at the smallest subnormal, but ∂/∂a = 1/x overflows.
      ["div", 5e-324, (x) => x.div(x).mul(2)],
    ];
    for (const [op, at, build] of cases) {
      for (const tangents of [false, true]) {
        const tape = new Tape({ checkFinite: true, tangents });
        const x = tape.variable(at);
        const y = build(x);
        const e = thrown(() => tape.backward(y));
        expect(e.code, op).toBe("NonFinite");
        expect(e.details.op).toBe("Tape.backward");
        expect(e.details.producedBy, op).toBe(op);
        // The tape is unchanged and still usable.
        expect(tape.backward(x.mul(3)).wrt(x)).toBe(3);
      }
    }
  });

  it("a zero cotangent stays zero against an infinite partial: no throw", () => {
    const tape = new Tape({ checkFinite: true });
    const x = tape.variable(0);
    const y = x.sqrt().mul(0).add(x);
    expect(tape.backward(y).wrt(x)).toBe(1);
    // A passive sqrt(0) never records its infinite partial.
    const z = tape.sqrt(tape.constant(0)).mul(x).add(x);
    expect(tape.backward(z).wrt(x)).toBe(1);
  });
});

// ── A failed call records nothing ────────────────────────────────────────────────────────────────

describe("a failed call records nothing", () => {
  it("the next node after any refusal gets the index the failed one would have had", () => {
    const tape = new Tape({ checkFinite: true });
    const other = new Tape();
    const x = tape.variable(1);
    const stranger = other.variable(1);
    const stale = (() => {
      const t = new Tape();
      const v = t.variable(1);
      t.reset();
      return v;
    })();
    const failures: [string, () => unknown][] = [
      ["NonFinite", () => tape.log(tape.sub(x, 1))],
      ["ForeignVariable", () => tape.mul(x, stranger)],
      ["StaleVariable", () => tape.atan2(x, stale as never)],
      ["InvalidArgument", () => tape.add(x, "1" as never)],
      ["InvalidArgument", () => tape.sum([x, {} as never])],
      ["InvalidArgument", () => tape.checkpoint(() => "junk" as never, [x])],
      [
        "Error",
        () =>
          tape.checkpoint(() => {
            throw new Error("user");
          }, [x]),
      ],
    ];
    for (const [what, fail] of failures) {
      const size = tape.size;
      const edges = tape.edges;
      // x − 1 is recorded by the first case before log fails.
      const expectedSize = what === "NonFinite" ? size + 1 : size;
      expect(fail, what).toThrow();
      expect(tape.size, what).toBe(expectedSize);
      expect(tape.edges - edges, what).toBe(what === "NonFinite" ? 1 : 0);
      const next = x.mul(2);
      expect(next.index).toBe(expectedSize);
    }
    expect(tape.backward(x.mul(x)).wrt(x)).toBe(2);
    expect(other.size).toBe(1);
  });
});

// ── Without checkFinite ──────────────────────────────────────────────────────────────────────────

describe("without checkFinite nothing throws: NaN and ±Inf flow through", () => {
  it("values, partials and seeds", () => {
    const tape = new Tape();
    for (const [op, x] of UNARY_BLOWUPS) {
      const v = tape.variable(x);
      expect(Number.isFinite(tape[op](v).value), `${op}(${x})`).toBe(false);
    }
    for (const [op, a, b] of BINARY_BLOWUPS) {
      expect(Number.isFinite(tape[op](tape.variable(a), b).value), `${op}(${a}, ${b})`).toBe(false);
    }
    expect(tape.variable(NaN).value).toBeNaN();
    expect(tape.constant(Infinity).value).toBe(Infinity);
    expect(tape.sum([tape.variable(1), Infinity]).value).toBe(Infinity);

    const [a, b] = tape.variables([-2, 2]);
    expect(tape.backward(a.pow(b)).wrt([a, b])).toEqual([-4, NaN]);
    const z = tape.variable(0);
    expect(tape.backward(z.sqrt()).wrt(z)).toBe(Infinity);
    const w = tape.variable(1);
    expect(tape.backward(w.mul(3), NaN).wrt(w)).toBeNaN();

    const tangent = new Tape({ tangents: true });
    const t = tangent.variable(0, 1);
    const s = t.sqrt();
    expect(tangent.tangent(s)).toBe(Infinity);
    expect(tangent.backward(s).wrt(t)).toBe(Infinity);
  });
});
