/**
 * Long and deeply nested programs. The passes are linear in the program's length (bench:transform
 * times them; no test here measures time), so these check that long programs of the usual shapes
 * compile and are right in every mode; and that code nested past the documented limit
 * (MAX_NESTING) is refused with an UnsupportedOp AdError at its position, never a RangeError from
 * a recursion that ran out of stack, however deep.
 */
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { Dual } from "../../src/scalar/dual.js";
import { generate } from "../../src/transform/generate.js";
import { differentiate, transformHessian } from "../../src/transform/index.js";
import { MAX_NESTING } from "../../src/transform/parse.js";
import { thrown } from "../support/errorCode.js";

/** `const a1 = a0 * y + Math.sin(a0) * 0.5; …`: n statements, each using the one before. */
function straightLine(n: number): (x: number, y: number) => number {
  const lines = Array.from({ length: n }, (_, i) => `const a${i + 1} = a${i} * y + Math.sin(a${i}) * 0.5;`);
  return new Function("x", "y", `const a0 = x;\n${lines.join("\n")}\nreturn a${n};`) as never;
}

/** The same recurrence on duals: the oracle for value and derivatives. */
function straightLineDual(n: number, x: Dual, y: Dual): Dual {
  let a = x;
  for (let i = 0; i < n; i++) a = a.mul(y).add(a.sin().mul(0.5));
  return a;
}

const close = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));

/** `Math.sin(Math.sin(…x…))`, n deep. */
const nestedSin = (n: number) => `${"Math.sin(".repeat(n)}x${")".repeat(n)}`;

describe("long programs", { timeout: 120_000 }, () => {
  it("a function of 1,000 straight-line statements: value and gradient right, forward mode agrees", () => {
    const n = 1000;
    const f = straightLine(n);
    const [x, y] = [0.3, 0.9];
    const dx = straightLineDual(n, Dual.variable(x, 1), Dual.variable(y, 0));
    const dy = straightLineDual(n, Dual.variable(x, 0), Dual.variable(y, 1));
    const r = differentiate(f)(x, y);
    close(r.value, f(x, y));
    close(r.gradient[0] as number, dx.dx);
    close(r.gradient[1] as number, dy.dx);
    const t = differentiate(f, { mode: "forward" })([x, y], [1, 2]);
    close(t.tangent, dx.dx + 2 * dy.dx);
  });

  it("a loop of 300 statements, reduced (fused) and not, agrees across reverse, forward and Hessian", () => {
    const body = Array.from({ length: 300 }, () => "t = t * y + Math.sin(t) * 0.5;").join("\n");
    const sum = new Function("x", "y", `let s = 0;\nfor (let i = 0; i < x.length; i++) {\nlet t = x[i];\n${body}\ns += t;\n}\nreturn s;`) as (x: number[], y: number) => number;
    const product = new Function("x", "y", `let s = 1;\nfor (let i = 0; i < x.length; i++) {\nlet t = x[i];\n${body}\ns = s * t;\n}\nreturn s;`) as (
      x: number[],
      y: number,
    ) => number;
    const x = [0.2, -0.4, 0.7];
    const y = 0.8;
    for (const f of [sum, product]) {
      const r = differentiate(f)(x, y);
      close(r.value, f(x, y));
      const g = [...(r.gradient[0] as Float64Array), r.gradient[1] as number];
      const fwd = differentiate(f, { mode: "forward" });
      for (let k = 0; k < 4; k++) {
        const tx = x.map((_, i) => (i === k ? 1 : 0));
        close(fwd([x, y], [tx, k === 3 ? 1 : 0]).tangent, g[k]);
      }
      const h = transformHessian(f)(x, y);
      close(h.gradient[1] as number, g[3]);
      for (let i = 0; i < 4; i++) for (let j = 0; j < i; j++) close(h.hessian[i][j], h.hessian[j][i]);
    }
  });

  it("a sum of 2,000 terms is one level of nesting, however long", () => {
    const f = new Function("x", `return ${Array.from({ length: 2000 }, (_, i) => `x * ${i % 7}`).join(" + ")};`) as (x: number) => number;
    const r = differentiate(f)(2);
    close(r.value, f(2));
    close(r.gradient[0] as number, f(1));
  });
});

describe(`nesting (at most ${MAX_NESTING} levels)`, () => {
  it("Math.sin nested 400 deep: value and gradient right in reverse, forward and Hessian modes", () => {
    const f = new Function("x", `return ${nestedSin(400)};`) as (x: number) => number;
    let d = Dual.variable(0.7);
    for (let i = 0; i < 400; i++) d = d.sin();
    const r = differentiate(f)(0.7);
    close(r.value, d.x);
    close(r.gradient[0] as number, d.dx);
    close(differentiate(f, { mode: "forward" })([0.7], [1]).tangent, d.dx);
    close(transformHessian(f)(0.7).gradient[0] as number, d.dx);
  });

  it("Math.sin nested 1,000 deep is refused with an UnsupportedOp AdError: the limit, line and column", () => {
    const f = new Function("x", `return ${nestedSin(1000)};`) as (x: number) => number;
    for (const transform of [() => differentiate(f), () => differentiate(f, { mode: "forward" }), () => transformHessian(f)]) {
      const e = thrown(transform);
      expect(e.code).toBe("UnsupportedOp");
      expect(e.details.limit).toBe(MAX_NESTING);
      expect(e.message).toMatch(new RegExp(`nested more than ${MAX_NESTING} levels deep.*line \\d+, column \\d+`));
      expect(typeof e.details.line).toBe("number");
      expect(typeof e.details.column).toBe("number");
    }
  });

  it("100,000 nested calls (source text, as the build-time plugin passes it) are an AdError, never a RangeError", () => {
    const e = thrown(() => generate(`function (x) { return ${nestedSin(100_000)}; }`));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.message).toMatch(/nested more than \d+ levels deep/);
    expect(e.details.limit).toBe(MAX_NESTING);
    expect(e.details.line).toBe(1);
  });

  it("deep statements and many early returns are refused past the limit, at the statement", () => {
    const ifs = new Function("x", `${"if (x > 0) { ".repeat(400)} x = x * 2; ${"}".repeat(400)} return x;`) as (x: number) => number;
    const returns = new Function("x", `${Array.from({ length: 600 }, (_, i) => `if (x > ${1000 + i}) return x;`).join("\n")}\nreturn x * x;`) as (x: number) => number;
    for (const f of [ifs, returns]) {
      const e = thrown(() => differentiate(f));
      expect(e.code).toBe("UnsupportedOp");
      expect(e.details.limit).toBe(MAX_NESTING);
    }
    const few = new Function("x", `${Array.from({ length: 200 }, (_, i) => `if (x > ${1000 + i}) return x;`).join("\n")}\nreturn x * x;`) as (x: number) => number;
    expect(differentiate(few)(3).gradient[0]).toBe(6);
  });

  it("called from deep in the stack, differentiate succeeds or throws an AdError, never a RangeError", () => {
    const f = new Function("x", `return ${nestedSin(400)};`) as (x: number) => number;
    // The error comes back as a value: a RangeError in this recursion itself ends the test's loop instead.
    const at = (depth: number): unknown => {
      if (depth > 0) return at(depth - 1);
      try {
        return differentiate(f);
      } catch (e) {
        return e;
      }
    };
    let refusals = 0;
    for (let depth = 0; ; depth += 500) {
      let outcome: unknown;
      try {
        outcome = at(depth);
      } catch {
        break;
      }
      if (typeof outcome !== "function") {
        expect(outcome).toBeInstanceOf(AdError);
        refusals++;
      }
    }
    expect(refusals).toBeGreaterThan(0);
  });
});
