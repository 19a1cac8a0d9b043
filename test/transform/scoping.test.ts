/**
 * Names as JS scopes them: `var` is function-scoped and hoisted, `let`/`const` are not hoisted
 * (their temporal dead zone is refused), function declarations are. Each function runs as plain JS
 * and transformed, on random inputs: the value must be JS's (NaN where JS gives NaN), and the
 * gradient must match finite differences of the plain function.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkGradient } from "../../src/testing/checkGradient.js";
import { differentiate } from "../../src/transform/index.js";

// Functions with exactly known source text (no compiler in between, which might rewrite `var`).
const src = (body: string) => new Function("x", body) as (x: number) => number;

const cases: [string, string][] = [
  ["a var redeclared in a block", "var y = 1;\nif (x > 0) { var y = 2; }\nreturn y * x;"],
  ["a var redeclared in a loop body, reading itself", "var y = 1;\nfor (let i = 0; i < 3; i++) { var y = y * 2; }\nreturn y * x;"],
  ["a var assigned before its declaration", "y = x;\nvar y;\nreturn y * 2;"],
  ["a var read before its declaration (undefined)", "const r = y * x;\nvar y = 2;\nreturn r + x;"],
  ["the for-init var after the loop", "for (var i = 0; i < 3; i++) {}\nreturn i * x;"],
  ["a var declared in a block, read after it", "if (x > 0) { var y = 2 * x; }\nreturn y + x;"],
  ["a var without initializer in a loop keeps its value", "let s = 0;\nfor (let i = 0; i < 3; i++) {\n  var t;\n  if (i === 0) t = x * x;\n  s += t;\n}\nreturn s;"],
  ["a var redeclaring a parameter, without initializer", "var x;\nreturn x * 3;"],
  ["a var redeclaring a parameter, with one", "var x = x * 2;\nreturn x * x;"],
  ["a for-of var after the loop", "const a = [x, 2 * x];\nfor (var v of a) {}\nreturn v * x;"],
  ["each called function has its own vars", "function g(t) {\n  var u = t;\n  if (t > 0) { var u = 2 * t; }\n  return u;\n}\nreturn g(x) * g(-x);"],
  ["a var boolean at the top level", "var b = x > 0;\nreturn b ? x * x : -x;"],
  [
    "a var boolean at the top of a function called in a branch and a loop",
    "function g(t) { var b = t > 0; return b ? t * t : -t; }\nif (x > 1.5) return g(x);\nfor (let i = 0; i < 2; i++) x = x + g(-x);\nreturn x;",
  ],
  ["a var read by a function declared before it", "function g() { return y * x; }\nvar y = 3;\nreturn g();"],
  ["a var read by a function called before its declaration", "const r = g();\nvar y = 3;\nfunction g() { return y * x; }\nreturn r;"],
  ["a var loop counter and body var read after the loop", "let s = 0;\nfor (var i = 0; i < 3; i++) { var t = i * x; s += t; }\nreturn s + i * t;"],
  ["a let in a block shadows a var", "var y = x;\n{ let y = 5; x = y; }\nreturn y * x;"],
  ["a function declared after an early return", "if (x > 1.5) return 1;\nfunction g(t) { return t * t; }\nreturn g(x);"],
  ["a closure reading a let declared after it, called after", "const g = () => y * x;\nlet y = 3;\nreturn g();"],
];

describe("scoping as in JS", () => {
  it.each(cases)("%s", (_name, body) => {
    const f = src(body);
    const df = differentiate(f);
    fc.assert(
      fc.property(
        fc.double({ min: -2, max: 2, noNaN: true }).filter((x) => Math.abs(x) > 1e-3 && Math.abs(x - 1.5) > 1e-3),
        (x) => {
          const want = f(x);
          const r = df(x);
          if (Number.isNaN(want)) {
            expect(r.value).toBeNaN();
            return;
          }
          expect(r.value).toBeCloseTo(want, 12);
          const report = checkGradient((v) => f(v[0]), [x], { gradient: [r.gradient[0] as number], rtol: 1e-6, atol: 1e-7 });
          expect(report.ok, report.summary).toBe(true);
        },
      ),
      { numRuns: 20 },
    );
  });
});
