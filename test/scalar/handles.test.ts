/**
 * `tape.handles`: plain-number handles record exactly what the `Var` styles record, and keep the
 * run-time checks (another tape, another generation, junk) as `AdError`s.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BINARY_OPS, UNARY_OPS } from "../../src/scalar/scalar.js";
import type { Handle } from "../../src/scalar/tape/handles.js";
import { Tape } from "../../src/scalar/tape/tape.js";
import { thrown } from "../support/errorCode.js";
import { chainByMethods } from "../support/scalarChain.js";

const coordinate = fc.double({ min: -2, max: 2, noNaN: true }).map((x) => x + 0);

describe("tape.handles", () => {
  it("the chain function: the same value and gradient as the Var style, bit for bit", () => {
    const tape = new Tape();
    fc.assert(
      fc.property(fc.array(coordinate, { minLength: 2, maxLength: 20 }), (x) => {
        tape.reset();
        const h = tape.handles;
        const hs = x.map((v) => h.variable(v));
        let acc = h.constant(0);
        for (let i = 0; i < x.length - 1; i++) acc = h.add(acc, h.add(h.mul(h.sin(hs[i]), hs[i + 1]), h.mul(hs[i], hs[i])));
        h.backward(acc);
        const viaHandles = [h.value(acc), ...hs.map((xi) => h.gradient(xi))];
        const viaVars = chainByMethods(x);
        expect(viaHandles).toEqual(viaVars);
      }),
    );
  });

  it("every op of the table, by name or written out, agrees with the tape's own", () => {
    const a0 = 0.4;
    const b0 = 0.7;
    for (const name of UNARY_OPS) {
      const tape = new Tape();
      const h = tape.handles;
      const x = h.variable(a0);
      // The ones written out as methods, else by name; both ways give the same value.
      const method = (h as unknown as Record<string, unknown>)[name];
      const y = typeof method === "function" ? (method as (a: Handle) => Handle).call(h, x) : h.unary(name, x);
      h.backward(y);
      const viaHandles = [h.value(y), h.gradient(x), h.value(h.unary(name, x))];
      const viaVars = Tape.with((t) => {
        const x = t.variable(a0);
        const y = t[name](x);
        return [y.value, t.backward(y).wrt(x), y.value];
      });
      expect(viaHandles, name).toEqual(viaVars);
    }
    for (const name of BINARY_OPS) {
      const viaHandles = Tape.with((t) => {
        const h = t.handles;
        const a = h.variable(a0);
        const b = h.variable(b0);
        const y = h.binary(name, a, b);
        h.backward(y);
        return [h.value(y), h.gradient(a), h.gradient(b)];
      });
      const viaVars = Tape.with((t) => {
        const [a, b] = t.variables([a0, b0]);
        const y = t[name](a, b);
        const g = t.backward(y);
        return [y.value, g.wrt(a), g.wrt(b)];
      });
      expect(viaHandles, name).toEqual(viaVars);
    }
  });

  it("h.variables(x) records what n calls of h.variable record, into a reused Int32Array, from any capacity", () => {
    fc.assert(
      fc.property(fc.array(coordinate, { minLength: 0, maxLength: 40 }), fc.constantFrom(undefined, 1), fc.boolean(), (x, capacity, typed) => {
        const run = (bulk: boolean) => {
          const tape = new Tape(capacity === undefined ? {} : { capacity });
          const h = tape.handles;
          const first = h.variable(0.5);
          const hs = bulk ? (Array.from(h.variables(typed ? Float64Array.from(x) : x, new Int32Array(x.length))) as Handle[]) : x.map((v) => h.variable(v));
          let acc = h.sin(first);
          for (const xi of hs) acc = h.add(h.mul(acc, xi), h.cos(xi));
          h.backward(acc);
          // Nodes, not handles: two tapes' handles differ in their tag bits.
          return [tape.size, tape.edges, h.value(acc), ...hs.map((xi) => xi & (2 ** 26 - 1)), ...hs.map((xi) => h.gradient(xi))];
        };
        expect(run(true)).toEqual(run(false));
      }),
    );
  });

  it("h.variables' handles carry their tape's brand: another tape's are a compile error in Tape.with, ForeignVariable at run time", () => {
    const code = Tape.with((outer) => {
      const xs = outer.handles.variables([1, 2]);
      return Tape.with((inner) => {
        const h = inner.handles;
        const ys = h.variables(new Float64Array([3]));
        h.backward(h.mul(ys[0], ys[0]));
        expect(h.gradient(ys[0])).toBe(6);
        // @ts-expect-error a handle of the outer tape in the inner tape's ops
        return thrown(() => h.mul(xs[0], ys[0])).code;
      });
    });
    expect(code).toBe("ForeignVariable");
  });

  it("h.variables checks everything before recording anything", () => {
    const tape = new Tape();
    const h = tape.handles;
    const x = h.variable(1);
    const cases: [() => unknown, string][] = [
      [() => h.variables([1, "2"] as never), "InvalidArgument"],
      [() => h.variables(new BigInt64Array(2) as never), "InvalidArgument"],
      [() => h.variables("12" as never), "InvalidArgument"],
      [() => h.variables([1, 2], new Int32Array(3)), "InvalidArgument"],
      [() => h.variables([1, 2], [0, 0] as never), "InvalidArgument"],
    ];
    for (const [call, code] of cases) {
      const e = thrown(call);
      expect([e.code, e.details.op]).toEqual([code, "Handles.variables"]);
    }
    h.begin();
    expect(thrown(() => h.variables([1])).details.op).toBe("Handles.variables");
    h.end(h.mul(x, x));
    expect(tape.size).toBe(2);
    // Fresh handles every call, stale after a reset.
    const a = h.variables([3])[0];
    tape.reset();
    expect(thrown(() => h.value(a)).code).toBe("StaleVariable");
  });

  it("another tape's handle is ForeignVariable; one from before reset is StaleVariable; junk is InvalidArgument", () => {
    const t1 = new Tape();
    const t2 = new Tape();
    const x1 = t1.handles.variable(1);
    const x2 = t2.handles.variable(2);
    expect(thrown(() => t2.handles.mul(x1, x2)).details).toMatchObject({ op: "Handles.mul" });
    expect(thrown(() => t2.handles.mul(x1, x2)).code).toBe("ForeignVariable");
    expect(x1 | 0).toBe(x1); // a small integer: no boxing
    t1.reset();
    expect(thrown(() => t1.handles.sin(x1)).code).toBe("StaleVariable");
    const h = t1.handles;
    const y = h.variable(3);
    for (const junk of [0, 3, 2 ** 40, NaN, Infinity, -1, -3, 0.5, y + 1, y + 0.5, "1", undefined]) {
      const e = thrown(() => h.add(y, junk as Handle));
      expect(e.code, String(junk)).toBe("InvalidArgument");
      expect(e.details.op).toBe("Handles.add");
    }
    for (const junk of [t1.variable(2), Symbol("h"), 3n, { valueOf: () => y }]) {
      expect(thrown(() => h.sin(junk as unknown as Handle)).code).toBe("InvalidArgument");
    }
    expect(thrown(() => h.gradient(y)).code).toBe("InvalidArgument"); // no backward yet
    expect(thrown(() => h.unary("nope" as never, y)).details).toMatchObject({ op: "Handles.unary" });
    expect(thrown(() => new Tape({ tangents: true }).handles).code).toBe("UnsupportedOp");
    Tape.with((t) => {
      const escaped = t.handles.variable(1);
      t.handles.backward(escaped);
      expect(t.handles.gradient(escaped)).toBe(1);
      return 0;
    });
  });

  it("checkFinite: a NaN value or adjoint is NonFinite naming the op", () => {
    const tape = new Tape({ checkFinite: true });
    const h = tape.handles;
    const x = h.variable(-1);
    expect(thrown(() => h.log(x)).details).toMatchObject({ op: "Handles.log" });
    const z = h.variable(0);
    const s = h.sqrt(z);
    expect(thrown(() => h.backward(s)).code).toBe("NonFinite");
  });

  it("add, sub, mul and sin record inline; from capacity 1 (every growth on the slow path), with checkFinite and in statements they record the same, bit for bit", () => {
    type Step = { op: "add" | "sub" | "mul" | "div" | "sin" | "cos"; a: number; b: number };
    const step = fc.record({ op: fc.constantFrom("add", "sub", "mul", "div", "sin", "cos"), a: fc.nat(), b: fc.nat() }) as fc.Arbitrary<Step>;
    /** The program on a tape made with `options`, each step's operands picked among the nodes so far; null when it throws. */
    const run = (x: number[], steps: Step[], options: { capacity?: number; checkFinite?: boolean }, statements = false): number[] | null => {
      const tape = new Tape(options);
      const h = tape.handles;
      const nodes = x.map((v) => h.variable(v));
      try {
        for (const { op, a, b } of steps) {
          const ha = nodes[a % nodes.length];
          const hb = nodes[b % nodes.length];
          if (statements) h.begin();
          const y = op === "sin" || op === "cos" ? h[op](ha) : h[op](ha, hb);
          nodes.push(statements ? h.end(y) : y);
        }
        const out = nodes[nodes.length - 1];
        const finite = nodes.every((n) => Number.isFinite(h.value(n))) ? 1 : 0;
        h.backward(out);
        return [h.value(out), tape.size, finite, ...nodes.slice(0, x.length).map((xi) => h.gradient(xi))];
      } catch {
        return null;
      }
    };
    fc.assert(
      fc.property(fc.array(coordinate, { minLength: 1, maxLength: 4 }), fc.array(step, { minLength: 1, maxLength: 40 }), (x, steps) => {
        const inline = run(x, steps, {});
        expect(inline).not.toBeNull();
        expect(run(x, steps, { capacity: 1 })).toEqual(inline);
        // With checkFinite: the same where every value and adjoint is finite, NonFinite (null) otherwise.
        const allFinite = (inline as number[]).every((v) => Number.isFinite(v)) && (inline as number[])[2] === 1;
        const checked = run(x, steps, { checkFinite: true });
        if (allFinite) expect(checked).toEqual(inline);
        else expect(checked).toBeNull();
        // One node per statement: the same value, and gradients equal up to the statements' reassociation.
        const perStatement = run(x, steps, {}, true) as number[];
        expect(perStatement[0]).toBe((inline as number[])[0]);
      }),
    );
  });

  it("a statement longer than its scratch (which grows on the slow path) records what op by op records", () => {
    fc.assert(
      fc.property(fc.array(coordinate, { minLength: 2, maxLength: 3 }), fc.integer({ min: 60, max: 300 }), (x, length) => {
        const record = (statement: boolean): number[] => {
          const tape = new Tape();
          const h = tape.handles;
          const xs = x.map((v) => h.variable(v));
          if (statement) h.begin();
          let y = xs[0];
          for (let k = 0; k < length; k++) y = k % 3 === 0 ? h.sin(h.add(y, xs[1])) : k % 3 === 1 ? h.mul(y, xs[k % xs.length]) : h.sub(y, xs[0]);
          if (statement) y = h.end(y);
          h.backward(y);
          return [h.value(y), ...xs.map((xi) => h.gradient(xi))];
        };
        const [value, ...gradient] = record(true);
        const [opValue, ...opGradient] = record(false);
        expect(value).toBe(opValue);
        gradient.forEach((g, i) => expect(g).toBeCloseTo(opGradient[i], 9));
      }),
      { numRuns: 30 },
    );
  });

  it("the inline ops check their operands as the others do: junk is never coerced, non-finite values are NonFinite with checkFinite", () => {
    const tape = new Tape();
    const h = tape.handles;
    const y = h.variable(1);
    let coerced = false;
    const junk = {
      valueOf: () => {
        coerced = true;
        return y;
      },
    } as unknown as Handle;
    for (const op of ["add", "sub", "mul"] as const) {
      expect(thrown(() => h[op](y, junk)).details).toMatchObject({ op: `Handles.${op}` });
      expect(thrown(() => h[op](junk, y)).code).toBe("InvalidArgument");
    }
    expect(thrown(() => h.sin(junk)).code).toBe("InvalidArgument");
    expect(coerced).toBe(false);
    const checked = new Tape({ checkFinite: true }).handles;
    const big = checked.variable(1e200);
    const inf = checked.constant(Infinity);
    expect(thrown(() => checked.mul(big, big)).details).toMatchObject({ op: "Handles.mul" });
    expect(thrown(() => checked.sub(inf, inf)).details).toMatchObject({ op: "Handles.sub" });
    expect(thrown(() => checked.add(inf, big)).code).toBe("NonFinite");
    expect(thrown(() => checked.sin(inf)).details).toMatchObject({ op: "Handles.sin" });
  });

  it("a node recorded after the output has gradient 0; handles and Vars share the arena", () => {
    const tape = new Tape();
    const h = tape.handles;
    const x = h.variable(2);
    const y = h.mul(x, x);
    h.backward(y);
    const later = h.sin(x);
    expect(h.gradient(x)).toBe(4);
    expect(h.gradient(later)).toBe(0);
    expect(tape.size).toBe(3);
  });
});
