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
