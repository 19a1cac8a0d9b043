/**
 * Everything outside the covered language is refused with an UnsupportedOp AdError naming the
 * construct, with the line and column (both from 1) in the function's own source, in the message
 * and in `details`. The expected position is found in `Function.prototype.toString` of the function,
 * so the test does not depend on how the test file itself was compiled.
 */
/* eslint-disable */
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { defineDerivative, differentiate, transformHessian } from "../../src/transform/index.js";
import { thrown } from "../support/errorCode.js";

function where(fn: Function, marker: string, nth = 0): { line: number; column: number } {
  const source = Function.prototype.toString.call(fn);
  let at = -1;
  for (let i = 0; i <= nth; i++) at = source.indexOf(marker, at + 1);
  if (at < 0) throw new Error(`marker ${marker} not in ${source}`);
  const before = source.slice(0, at);
  return { line: before.split("\n").length, column: at - before.lastIndexOf("\n") };
}

/** fn is refused: UnsupportedOp, the construct named, at `marker`'s position. */
function refused(fn: Function, construct: RegExp, marker: string, options: object = {}, nth = 0): AdError {
  const e = thrown(() => differentiate(fn as never, options));
  expect(e.code).toBe("UnsupportedOp");
  expect(e.details.op).toBe("differentiate");
  expect(String(e.details.construct)).toMatch(construct);
  const { line, column } = where(fn, marker, nth);
  expect({ line: e.details.line, column: e.details.column }, e.message).toEqual({ line, column });
  expect(e.message).toContain(`line ${line}, column ${column}`);
  return e;
}

// Functions with exactly known source text (no compiler in between).
const src = (...args: string[]) => new Function(...args);

describe("refused constructs, with their position", () => {
  it.each<[string, Function, RegExp, string]>([
    ["a call to an unknown function", src("x", "const y = x * 2;\n  return foo(y);"), /unknown function foo/, "foo"],
    ["a method call", src("x", "return x.map(v => v);"), /\.map\(\)/, "x.map"],
    ["this", src("x", "return this.a * x;"), /^this$/, "this"],
    ["eval", src("x", "return eval('x') * 2;"), /^eval$/, "eval"],
    ["arguments", src("x", "return arguments[0];"), /^arguments$/, "arguments"],
    ["try/catch", src("x", "try { return x; } catch (e) { return 0; }"), /try\/catch/, "try"],
    ["throw", src("x", "if (x > 1) throw new Error('big');\nreturn x;"), /^throw$/, "throw"],
    ["object property mutation", src("x", "const o = x;\no.a = 1;\nreturn x;"), /object property mutation/, "o.a"],
    ["object property read", src("o", "return o.weight * 2;"), /\.weight/, "o.weight"],
    ["a free variable", src("x", "return x * k;"), /free variable k/, "k"],
    ["assignment to an undeclared variable", src("x", "y = x;\nreturn x;"), /free variable y/, "y = x"],
    ["a string literal", src("x", "return x + 'px';"), /a string/, "'px'"],
    ["a template literal", src("x", "return `${x}`;"), /template literal/, "`"],
    ["an object literal", src("x", "const o = { a: x };\nreturn x;"), /object literal/, "{ a"],
    ["null", src("x", "return x === null ? 0 : x;"), /^null$/, "null"],
    ["switch", src("x", "switch (x) { case 1: return 1; }\nreturn 0;"), /switch/, "switch"],
    ["a labelled statement", src("x", "outer: for (;;) { break outer; }\nreturn x;"), /labelled/, "outer:"],
    ["for-in", src("x", "for (const k in x) {}\nreturn 0;"), /for-in/, "for ("],
    ["new of an unknown constructor", src("x", "const d = new Date();\nreturn x;"), /new/, "new Date"],
    ["spread", src("x", "return Math.max(...x);"), /spread/, "..."],
    ["optional chaining", src("x", "return x?.length;"), /optional chaining/, "x?.length"],
    ["typeof", src("x", "return typeof x === 'number' ? x : 0;"), /typeof/, "typeof"],
    ["a bitwise operator", src("x", "return x | 0;"), /the \| operator/, "x | 0"],
    ["instanceof", src("x", "return x instanceof Object ? 1 : x;"), /instanceof/, "x instanceof"],
    ["??", src("x", "return x ?? 0;"), /\?\?/, "x ??"],
    ["Math.random", src("x", "return x * Math.random();"), /Math\.random/, "Math.random"],
    ["a Math function without a rule", src("x", "return Math.fround(x);"), /Math\.fround/, "Math.fround"],
    ["++ inside an expression", src("x", "let i = 0;\nreturn x * i++;"), /\+\+/, "i++"],
    ["the comma operator", src("x", "return (x, x * 2);"), /comma/, "x, x"],
    ["a function as a value", src("x", "return apply((t) => t, x);"), /unknown function apply/, "apply"],
    ["a number as a condition", src("x", "if (x) return 1;\nreturn x;"), /number used as a condition/, "x)"],
    ["an assignment to a const", src("x", "const y = x;\ny = 2;\nreturn y;"), /const y/, "y = 2"],
    ["a destructuring declaration", src("x", "const [a, b] = x;\nreturn a;"), /destructuring/, "[a, b]"],
    ["a destructuring parameter", src("{ a }", "return a;"), /destructuring parameter/, "{ a }"],
    ["a default parameter", src("x = 1", "return x;"), /default parameter/, "x = 1"],
    ["a rest parameter", src("...xs", "return 0;"), /rest parameter/, "...xs"],
    ["a recursive call", src("x", "function f(t) { return t < 1 ? t : f(t / 2); }\nreturn f(x);"), /recursive call to f/, "f(t / 2)"],
    ["with", src("x", "with (Math) { return sin(x); }"), /with/, "with"],
    ["debugger", src("x", "debugger;\nreturn x;"), /debugger/, "debugger"],
    ["delete", src("x", "return delete x.a ? 1 : 0;"), /delete/, "delete"],
    ["a class expression", src("x", "const C = class {};\nreturn x;"), /class/, "class"],
    ["new.target", src("x", "return new.target ? 1 : x;"), /new\.target/, "new.target"],
    ["a return without a value", src("x", "if (x > 0) return;\nreturn x;"), /return without a value/, "return;"],
    ["reassigning an array parameter", src("x", "x = [1];\nreturn x[0];"), /array x/, "x = [1]"],
    ["a BigInt", src("x", "return x * 2n;"), /BigInt/, "2n"],
    ["a regular expression", src("x", "return /a/.test(x) ? 1 : 0;"), /regular expression/, "/a/"],
    ["a boolean in arithmetic", src("x", "return (x > 1) * 2;"), /arithmetic on a boolean/, "x > 1"],
    ["&& on numbers", src("x", "return x && 2;"), /&&/, "x && 2"],
    ["a nested async function", src("x", "async function g(t) { return t; }\nreturn g(x);"), /async/, "async"],
    ["a nested generator", src("x", "function* g(t) { yield t; }\nreturn x;"), /generator/, "function*"],
    ["a let read before its declaration", src("x", "const r = k * x;\nconst k = 2;\nreturn r;"), /k read before its declaration/, "k * x"],
    [
      "a comparison with undefined (NaN here, equal to nothing)",
      src("x", "let y;\nif (x > 0) y = 1;\nreturn y === undefined ? 0 : x;"),
      /comparison with undefined/,
      "y === undefined",
    ],
    [
      "a var made a boolean in a branch (undefined, a number, on the other path)",
      src("x", "if (x > 0) {\n  var b = x > 1;\n  if (b) return x;\n}\nreturn 2 * x;"),
      /changing b between number and boolean/,
      "b = x > 1",
    ],
  ])("%s", (_name, fn, construct, marker) => {
    refused(fn, construct, marker);
  });

  it("positions count from the function's first line, also in arrows written over several lines", () => {
    const f = (x: number) => {
      const a = x * 2;
      const b = a + 1;
      return b * unknownHelper(a);
    };
    const e = refused(f, /unknown function unknownHelper/, "unknownHelper");
    expect(e.details.line).toBeGreaterThan(1);
    expect(e.details.snippet).toBe("unknownHelper");
  });

  it("refuses async functions, generators, natives, bound functions and classes at the top", () => {
    const cases: [unknown, RegExp][] = [
      [async (x: number) => x, /async/],
      [
        function* (x: number) {
          yield x;
        },
        /generator/,
      ],
      [Math.sin, /native/],
      [((x: number) => x).bind(null), /native/],
      [class {}, /class/],
    ];
    for (const [fn, construct] of cases) {
      const e = thrown(() => differentiate(fn as never));
      expect(e.code).toBe("UnsupportedOp");
      expect(String(e.details.construct)).toMatch(construct);
      expect(e.details.line).toBe(1);
    }
  });

  it("a free variable is named, and passing it in constants makes the same function work", () => {
    const f = src("x", "return k * x;");
    const e = refused(f, /free variable k/, "k");
    expect(e.message).toMatch(/options\.constants/);
    expect(differentiate(f as never, { constants: { k: 3 } })(2).gradient).toEqual([3]);
  });

  it("writing to an array from options.constants", () => {
    refused(src("x", "w[0] = x;\nreturn x;"), /constant array w/, "w[0] = x", { constants: { w: [1, 2] } });
  });

  it("errors in a callee from options.functions point into the callee's source", () => {
    const helper = src("t", "return t * this.scale;");
    const e = thrown(() => differentiate(src("x", "return helper(x);") as never, { functions: { helper: helper as never } }));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details.construct).toBe("this");
    expect({ line: e.details.line, column: e.details.column }).toEqual(where(helper, "this"));
  });

  it("second order through a defineDerivative function of two numbers, or one whose rule is outside the language, and reverse over reverse are refused", () => {
    const hyp = defineDerivative(
      (a: number, b: number) => Math.sqrt(a * a + b * b),
      (a: number, b: number) => [a / Math.sqrt(a * a + b * b), b / Math.sqrt(a * a + b * b)],
    );
    const source = src("x", "return hyp(x, 2) * x;");
    const e = thrown(() => transformHessian(source as never, { functions: { hyp: hyp as never } }));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details.construct).toMatch(/defineDerivative function hyp of 2 arguments/);
    expect({ line: e.details.line, column: e.details.column }).toEqual(where(source, "hyp(x, 2)"));
    expect(differentiate(source as never, { functions: { hyp: hyp as never } })(1).gradient[0]).toBeCloseTo(Math.sqrt(5) + 1 / Math.sqrt(5), 12);
    const scale = 2;
    const closure = defineDerivative(
      (t: number) => scale * t,
      () => scale,
    );
    const c = thrown(() => transformHessian((x: number) => closure(x) * x, { functions: { closure } }));
    expect([c.code, c.details.construct]).toEqual(["UnsupportedOp", "the free variable scale"]);
    const df = differentiate((x: number) => x * x);
    const r = thrown(() => differentiate(df as never));
    expect([r.code, r.details.construct]).toEqual(["UnsupportedOp", "reverse over reverse"]);
  });

  it("a transform of a derivative other than forward over reverse is refused, not read as the source function's", () => {
    const f = (x: number, y: number) => x * x * y + Math.sin(y);
    const fwd = differentiate(f, { mode: "forward" });
    const hvp = differentiate(differentiate(f), { mode: "forward" });
    const h = transformHessian(f);
    const cases: [() => unknown, string][] = [
      [() => differentiate(fwd as never, { mode: "forward" }), "forward over forward"],
      [() => differentiate(fwd as never), "reverse over forward"],
      [() => differentiate(hvp as never, { mode: "forward" }), "forward over hvp"],
      [() => differentiate(hvp as never), "reverse over hvp"],
      [() => differentiate(h as never, { mode: "forward" }), "forward over hessian"],
      [() => transformHessian(fwd as never), "hessian over forward"],
      [() => transformHessian(hvp as never), "hessian over hvp"],
      [() => transformHessian(h as never), "hessian over hessian"],
    ];
    for (const [run, construct] of cases) {
      const e = thrown(run);
      expect([e.code, e.details.construct]).toEqual(["UnsupportedOp", construct]);
      expect(e.message).toContain("transformHessian(f)");
    }
  });
});

describe("temporal dead zone", () => {
  it("a let or const read before its declaration is refused, not read from an outer name of the same spelling", () => {
    // JS throws a ReferenceError here; the constant k must not stand in for the local one.
    refused(src("x", "const r = k * x;\nconst k = 2;\nreturn r;"), /k read before its declaration/, "k * x", { constants: { k: 5 } });
    refused(src("x", "function g() { return y; }\nconst r = g();\nlet y = 2;\nreturn r * x;"), /y read before its declaration/, "y;", { constants: { y: 7 } });
  });
});

describe("a write outside an array's length is refused when it happens, at its position", () => {
  // JS grows an Array there (and drops the write to a Float64Array); the transform's arrays and their
  // adjoints keep their length, so such a write would give NaN or a wrong gradient.
  it.each<[string, string, string, unknown[], { index: number; length: number }]>([
    ["past the end of a literal", "const a = [x];\na[1] = 2 * x;\nreturn a[0] + a[1] * 3;", "a[1] = 2 * x", [2], { index: 1, length: 1 }],
    [
      "past the end of new Float64Array(n), in a loop",
      "const a = new Float64Array(2);\nfor (let i = 0; i <= 2; i++) a[i] = i * x;\nreturn a[0] + a[1];",
      "a[i] = i * x",
      [2],
      { index: 2, length: 2 },
    ],
    ["at a negative index", "const a = new Array(2).fill(0);\na[x - 3] = x;\nreturn a[0] + x;", "a[x - 3] = x", [2], { index: -1, length: 2 }],
    ["at a fractional index", "const a = new Array(2).fill(0);\na[x] += x;\nreturn a[0] + x;", "a[x] += x", [0.5], { index: 0.5, length: 2 }],
    ["past the end of an argument", "x[x.length] = 1;\nreturn x[0] * x[1];", "x[x.length] = 1", [[1, 2]], { index: 2, length: 2 }],
  ])("%s", (_name, body, marker, args, at) => {
    const f = src("x", body);
    const x = args[0];
    const runs: [string, () => unknown][] = [
      ["reverse", () => differentiate(f as never)(...(args as [number]))],
      ["forward", () => differentiate(f as never, { mode: "forward" })(args as never, [typeof x === "number" ? 1 : [1, 0]] as never)],
      ["hessian", () => transformHessian(f as never)(...(args as [number]))],
    ];
    for (const [mode, run] of runs) {
      const e = thrown(run);
      expect([mode, e.code, e.details.op, e.details.construct]).toEqual([mode, "UnsupportedOp", "differentiate", "a write outside an array's length"]);
      expect({ line: e.details.line, column: e.details.column, index: e.details.index, length: e.details.length }).toEqual({ ...where(f, marker), ...at });
      expect(e.message).toContain(marker);
    }
  });

  it("a literal index that is negative or fractional, when differentiating", () => {
    refused(src("x", "const a = new Array(2).fill(0);\na[-1] = x;\nreturn a[0] + x;"), /write outside an array's length/, "a[-1] = x");
    refused(src("x", "const a = new Array(2).fill(0);\na[0.5] = x;\nreturn a[0] + x;"), /write outside an array's length/, "a[0.5] = x");
  });

  it("writes within the length are unchanged", () => {
    const f = src("x", "const a = [x, 0];\na[1] = 2 * x;\nreturn a[0] + a[1] * 3;");
    expect(differentiate(f as never)(2)).toEqual({ value: 14, gradient: [7] });
  });
});

describe("an array too big for memory is an AdError naming its position, not a RangeError", () => {
  it("a valid length (2³² − 1 numbers, 34 GB) the program computes, in every mode", () => {
    const f = src("x", "const a = new Array(x * 4294967295).fill(0);\na[0] = x * x;\nreturn a[0];");
    for (const run of [() => differentiate(f as never)(1), () => differentiate(f as never, { mode: "forward" })([1], [1]), () => transformHessian(f as never)(1)]) {
      const e = thrown(run);
      expect([e.code, e.details.op, e.details.bytes]).toEqual(["InvalidArgument", "differentiate", 4294967295 * 8]);
      expect({ line: e.details.line, column: e.details.column }).toEqual(where(f, "new Array(x * 4294967295)"));
    }
    expect(differentiate(src("x", "const a = new Array(x * 2).fill(0);\na[0] = x * x;\nreturn a[0];") as never)(3)).toEqual({ value: 9, gradient: [6] });
  });
});

describe("an array length JS's constructor throws for is refused, not made", () => {
  it.each<[string, string, string, number]>([
    ["new Array(n) with a fractional n", "const a = new Array(x).fill(1);\nreturn a.length * x;", "new Array(x)", 2.5],
    ["new Array(n) with NaN", "const a = new Array(x * NaN).fill(1);\nreturn a.length * x;", "new Array(x * NaN)", 2],
    ["new Float64Array(n) with a negative n", "const a = new Float64Array(x - 5);\nreturn a.length * x;", "new Float64Array(x - 5)", 2],
  ])("%s: when it happens, at its position", (_name, body, marker, x) => {
    const f = src("x", body);
    expect(() => f(x)).toThrow(RangeError);
    for (const run of [() => differentiate(f as never)(x), () => differentiate(f as never, { mode: "forward" })([x], [1]), () => transformHessian(f as never)(x)]) {
      const e = thrown(run);
      expect([e.code, e.details.construct]).toEqual(["UnsupportedOp", "an invalid array length"]);
      expect({ line: e.details.line, column: e.details.column }).toEqual(where(f, marker));
    }
  });

  it("a literal length, and Float64Array(n) without new (a TypeError in JS), when differentiating", () => {
    refused(src("x", "const a = new Array(2.5).fill(0);\nreturn x;"), /invalid array length/, "new Array(2.5)");
    refused(src("x", "const a = new Float64Array(-1);\nreturn a.length * x;"), /invalid array length/, "new Float64Array(-1)");
    refused(src("x", "const a = Float64Array(2).fill(x);\nreturn a[0];"), /without new/, "Float64Array(2)");
  });

  it("new Float64Array(n) truncates n as in JS", () => {
    const f = src("x", "const a = new Float64Array(x);\nreturn a.length * x;");
    expect(differentiate(f as never)(2.5)).toEqual({ value: 5, gradient: [2] });
  });
});

describe("names the generated code uses cannot collide with the user's", () => {
  it.each(["$runtime", "$externals", "$arrays", "stack", "sp", "grow", "spare", "partials", "partial", "outOfRange", "badLength", "sigmoid", "erf"])("%s", (name) => {
    const square = (t: number) => t * t;
    const ruled = defineDerivative(square, (t) => 2 * t);
    // An array of constants, a number constant, a function, a defineDerivative function, a local
    // (with an array of computed length and a store, so the code has both checks) and the function's
    // own name.
    expect(differentiate(src("x", `return x * ${name}[1];`) as never, { constants: { [name]: [3, 4] } })(2)).toEqual({ value: 8, gradient: [4] });
    expect(differentiate(src("x", `return x * ${name}[1];`) as never, { mode: "forward", constants: { [name]: [3, 4] } })([2], [1])).toEqual({ value: 8, tangent: 4 });
    expect(differentiate(src("x", `return x * ${name};`) as never, { constants: { [name]: 3 } })(2)).toEqual({ value: 6, gradient: [3] });
    expect(differentiate(src("x", `return ${name}(x);`) as never, { functions: { [name]: square } })(3)).toEqual({ value: 9, gradient: [6] });
    expect(differentiate(src("x", `return ${name}(x) * x;`) as never, { functions: { [name]: ruled } })(3)).toEqual({ value: 27, gradient: [27] });
    const local = src("x", `const a = new Array(Math.floor(x / 8) + 1).fill(0);\na[0] = x;\nconst ${name} = a[0] * x;\nreturn ${name} * 3;`);
    const { source } = differentiate(local as never);
    expect([source.includes("badLength("), source.includes("outOfRange(")]).toEqual([true, true]);
    expect(differentiate(local as never)(2)).toEqual({ value: 12, gradient: [12] });
    const named = new Function(`return function ${name}(x) { return x * x * x; };`)() as (x: number) => number;
    expect(differentiate(named)(2)).toEqual({ value: 8, gradient: [12] });
  });
});

declare function unknownHelper(t: number): number;
