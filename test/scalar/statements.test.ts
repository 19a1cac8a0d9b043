/**
 * Statement-level preaccumulation on handles: `h.begin()` … `h.end(out)` records one node per
 * statement with its local partials. Random straight-line programs give the same values and
 * gradients (to rounding: the chain rule is associated differently) as op-by-op handles, with one
 * node per statement; temporaries of an ended statement and misuse are AdErrors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Handle, Handles } from "../../src/scalar/tape/handles.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { expectChainGradients } from "../support/scalarChain.js";
import { expectAllClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";

const coordinate = fc.double({ min: -2, max: 2, noNaN: true }).map((x) => x + 0);
const OPS = ["add", "sub", "mul", "sin", "cos", "tanh"] as const;
/** One op of a statement: operands pick (mod the count) among the leaves and the statement's temporaries so far. */
const instruction = fc.record({ op: fc.constantFrom(...OPS), a: fc.nat(), b: fc.nat() });
const program = fc.record({
  x: fc.array(coordinate, { minLength: 1, maxLength: 5 }),
  statements: fc.array(fc.array(instruction, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 6 }),
  /** Per statement: its result is its last temporary, or (when ≡ 0 mod 4) a value from before it. */
  results: fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
});
type Program = { x: number[]; statements: { op: (typeof OPS)[number]; a: number; b: number }[][]; results: number[] };

/** Runs the program on handles, each statement preaccumulated or op by op; value, gradient and tape size. */
function run({ x, statements, results }: Program, preaccumulate: boolean): { value: number; gradient: number[]; size: number } {
  const tape = new Tape();
  const h: Handles = tape.handles;
  const inputs = x.map((v) => h.variable(v));
  const values: Handle[] = [...inputs];
  for (const [s, body] of statements.entries()) {
    if (preaccumulate) h.begin();
    const temps: Handle[] = [];
    for (const { op, a, b } of body) {
      const pool = [...values, ...temps];
      const ha = pool[a % pool.length];
      const hb = pool[b % pool.length];
      temps.push(op === "add" || op === "sub" || op === "mul" ? h[op](ha, hb) : h[op](ha));
    }
    const out = results[s] % 4 === 0 ? values[results[s] % values.length] : temps[temps.length - 1];
    values.push(preaccumulate ? h.end(out) : out);
  }
  const y = values[values.length - 1];
  h.backward(y);
  return { value: h.value(y), gradient: inputs.map((xi) => h.gradient(xi)), size: tape.size };
}

describe("statements on handles", () => {
  it("random programs: the same value and gradient as op by op, one node per statement", () => {
    fc.assert(
      fc.property(program, (p) => {
        const plain = run(p, false);
        const stmt = run(p, true);
        expect(stmt.value).toBe(plain.value);
        const scale = 1 + Math.max(...plain.gradient.map(Math.abs));
        expectAllClose(stmt.gradient, plain.gradient, 1e-12, 1e-13 * scale, "gradient");
        expect(stmt.size).toBe(p.x.length + p.statements.length);
      }),
    );
  });

  it("the chain function: one node per element, gradient as the Var style's", () => {
    const x = [0.3, -1.2, 2, 0.7];
    const tape = new Tape();
    const h = tape.handles;
    const hs = x.map((v) => h.variable(v));
    let acc = h.constant(0);
    for (let i = 0; i < x.length - 1; i++) {
      h.begin();
      acc = h.end(h.add(acc, h.add(h.mul(h.sin(hs[i]), hs[i + 1]), h.mul(hs[i], hs[i]))));
    }
    expect(tape.size).toBe(x.length + 1 + (x.length - 1));
    expectChainGradients(h, acc, hs, x);
  });

  it("a statement records one edge per tape node it reads, however often, and none to a constant", () => {
    const x = [0.3, -1.2, 2, 0.7];
    const tape = new Tape();
    const h = tape.handles;
    const hs = x.map((v) => h.variable(v));
    let acc = h.constant(0);
    for (let i = 0; i < x.length - 1; i++) {
      h.begin();
      acc = h.end(h.add(acc, h.add(h.mul(h.sin(hs[i]), hs[i + 1]), h.mul(hs[i], hs[i]))));
    }
    // xᵢ (read three times) and xᵢ₊₁ by every statement, acc by all but the first (a constant there).
    expect([tape.size, tape.edges]).toEqual([x.length + 1 + 3, 2 + 3 + 3]);
    expectChainGradients(h, acc, hs, x);
  });

  it("a statement whose result is a tape node records one edge to it", () => {
    const tape = new Tape();
    const h = tape.handles;
    const x = h.variable(2);
    const c = h.constant(5);
    h.begin();
    h.mul(x, x); // a temporary the result does not use: dropped
    const y = h.end(x);
    h.begin();
    const k = h.end(c);
    expect([tape.size, tape.edges]).toEqual([4, 1]);
    expect([h.value(y), h.value(k)]).toEqual([2, 5]);
    h.backward(h.mul(y, k));
    expect(h.gradient(x)).toBe(5);
  });

  it("the Var styles may not record while a statement is open, and record again after it", () => {
    const tape = new Tape();
    const h = tape.handles;
    const v = tape.variable(3);
    const x = h.variable(2);
    h.begin();
    h.sin(x);
    for (const [call, op] of [
      [() => tape.mul(v, v), "Tape.mul"],
      [() => v.sin(), "Tape.sin"],
      [() => tape.mul(v, 2), "Tape.mul"],
      [() => tape.variable(1), "Tape.variable"],
      [() => tape.constant(1), "Tape.constant"],
      [() => tape.sum([v, v]), "Tape.sum"],
      [() => tape.checkpoint((s) => s, [v]), "Tape.checkpoint"],
    ] as const) {
      const e = thrown(call);
      expect([e.code, e.details.op]).toEqual(["InvalidArgument", op]);
    }
    const y = h.end(h.mul(h.sin(x), x));
    expect(tape.size).toBe(3);
    const w = v.mul(v).mul(v);
    expect(tape.backward(w).wrt(v)).toBe(27);
    h.backward(y);
    expect(h.gradient(x)).toBeCloseTo(Math.cos(2) * 2 + Math.sin(2), 15);
    // reset drops an open statement, and the Var styles record again.
    h.begin();
    tape.reset();
    const u = tape.variable(2);
    expect(tape.backward(u.mul(u).mul(3)).wrt(u)).toBe(12);
  });

  it("a statement of constants only is a constant", () => {
    const tape = new Tape();
    const h = tape.handles;
    const x = h.variable(2);
    h.begin();
    const c = h.end(h.mul(h.constant(3), h.constant(4)));
    expect(h.value(c)).toBe(12);
    h.backward(h.mul(c, x));
    expect(h.gradient(x)).toBe(12);
  });

  it("misuse is an AdError naming the op", () => {
    const tape = new Tape();
    const h = tape.handles;
    const x = h.variable(1);
    expect(thrown(() => h.end(x)).details.op).toBe("Handles.end");
    h.begin();
    const t = h.sin(x);
    for (const [call, op] of [
      [() => h.begin(), "Handles.begin"],
      [() => h.variable(2), "Handles.variable"],
      [() => h.backward(t), "Handles.backward"],
      [() => h.gradient(x), "Handles.gradient"],
    ] as const) {
      const e = thrown(call);
      expect([e.code, e.details.op]).toEqual(["InvalidArgument", op]);
    }
    const y = h.end(t);
    // The temporary is gone with its statement: stale, outside statements and in the next one.
    expect([thrown(() => h.mul(t, y)).code, thrown(() => h.mul(t, y)).details.op]).toEqual(["StaleVariable", "Handles.mul"]);
    h.begin();
    expect(thrown(() => h.mul(t, y)).code).toBe("StaleVariable");
    // Another tape's handle inside a statement is still foreign.
    const other = new Tape().handles;
    expect(thrown(() => h.mul(y, other.variable(1) as never)).code).toBe("ForeignVariable");
    // reset ends an open statement, unrecorded.
    tape.reset();
    const z = h.variable(3);
    h.backward(h.mul(z, z));
    expect(h.gradient(z)).toBe(6);
  });
});
