/**
 * adjoint/plugin resolves names as JavaScript binds them: each fixture is bundled by esbuild with
 * the plugin and without it (the run-time path), and both bundles must print the same derivative.
 * A name the plugin cannot pin down leaves the call to run time, with a warning at its position.
 */
import { parse, type Node } from "acorn";
import { describe, expect, it } from "vitest";
import { rewrite } from "../../src/plugin/rewrite.js";
import { children, Scopes } from "../../src/plugin/scope.js";
import { bundle, inScratch, runNode } from "./pluginBuild.js";

const HEAD = `import { differentiate } from "adjoint";
const K = 3;
/* @differentiate */ function f(x) { return 3 * x * x; }
`;

interface Case {
  readonly name: string;
  /** Code after HEAD that sets `out`. */
  readonly body: string;
  /** What the run-time path prints (so the fixture tests what it means to). */
  readonly value: unknown;
  /** How many calls the plugin leaves to run time, each with a warning (0: all precompiled). */
  readonly warnings: number;
}

const CASES: Case[] = [
  {
    name: "a constant shadowed by a local const (resolved to the local)",
    body: `function make() {\n  const K = 5;\n  return differentiate((x) => K * x, { constants: { K } });\n}\nconst out = make()(2);`,
    value: { value: 10, gradient: [5] },
    warnings: 0,
  },
  {
    name: "a constant shadowed by a parameter",
    body: `function make(K) {\n  return differentiate((x) => K * x, { constants: { K } });\n}\nconst out = make(7)(2);`,
    value: { value: 14, gradient: [7] },
    warnings: 1,
  },
  {
    name: "a marked module function shadowed by a local",
    body: `function make() {\n  const f = (x) => 100 * x;\n  return differentiate(f);\n}\nconst out = make()(2);`,
    value: { value: 200, gradient: [100] },
    warnings: 1,
  },
  {
    name: "a constant shadowed by a catch parameter",
    body: `let out;\ntry {\n  throw 7;\n} catch (K) {\n  out = differentiate((x) => K * x, { constants: { K } })(2);\n}`,
    value: { value: 14, gradient: [7] },
    warnings: 1,
  },
  {
    name: "a constant shadowed by a destructured parameter",
    body: `function make({ a: [, K] = [] }) {\n  return differentiate((x) => K * x, { constants: { K } });\n}\nconst out = make({ a: [0, 7] })(2);`,
    value: { value: 14, gradient: [7] },
    warnings: 1,
  },
  {
    name: "a marked module function shadowed by a function declaration in a block",
    body: `let out;\n{\n  out = differentiate(f)(2);\n  function f(x) { return 100 * x; }\n}`,
    value: { value: 200, gradient: [100] },
    warnings: 1,
  },
  {
    name: "a constant shadowed by a var in a nested block (hoisted to the function)",
    body: `function make(n) {\n  if (n > 0) {\n    { var K = 5; }\n  }\n  return differentiate((x) => K * x, { constants: { K } });\n}\nconst out = make(1)(2);`,
    value: { value: 10, gradient: [5] },
    warnings: 1,
  },
  {
    name: "a constant shadowed by an inner function's parameter",
    body: `function make() {\n  const inner = (K) => differentiate((x) => K * x, { constants: { K } });\n  return inner(7);\n}\nconst out = make()(2);`,
    value: { value: 14, gradient: [7] },
    warnings: 1,
  },
  {
    name: "an inner function's parameter does not shadow outside it",
    body: `function make() {\n  const inner = (K, f) => K + f;\n  return [differentiate((x) => K * x, { constants: { K } }), differentiate(f), inner];\n}\nconst [a, b] = make();\nconst out = [a(2), b(2)];`,
    value: [
      { value: 6, gradient: [3] },
      { value: 12, gradient: [12] },
    ],
    warnings: 0,
  },
  {
    name: "names that are not shadowed (still rewritten)",
    body: `const dk = differentiate((x) => K * x, { constants: { K } });\nconst out = [dk(2), differentiate(f)(2)];`,
    value: [
      { value: 6, gradient: [3] },
      { value: 12, gradient: [12] },
    ],
    warnings: 0,
  },
  {
    name: "a marked function declaration assigned later",
    body: `f = (x) => 100 * x;\nconst out = differentiate(f)(2);`,
    value: { value: 200, gradient: [100] },
    warnings: 1,
  },
  {
    name: "a class declaration shadowing a constant",
    body: `function make() {\n  class K {}\n  return differentiate((x) => x, { constants: { K } });\n}\nlet out;\ntry {\n  make();\n} catch (e) {\n  out = e.code;\n}`,
    value: "UnsupportedOp",
    warnings: 1,
  },
  {
    name: "a parameter's default does not see the body's declarations",
    body: `function make(d = differentiate((x) => K * x, { constants: { K } })) {\n  const K = 5;\n  return d;\n}\nconst out = make()(2);`,
    value: { value: 6, gradient: [3] },
    warnings: 0,
  },
  {
    name: "a var in a class static block, a let in a for head",
    body: `const out = [];\nclass C {\n  static {\n    var K = 5;\n    out.push(differentiate((x) => K * x, { constants: { K } })(2));\n  }\n}\nfor (let K = 7; K < 8; K++) out.push(differentiate((x) => K * x, { constants: { K } })(2));`,
    value: [
      { value: 10, gradient: [5] },
      { value: 14, gradient: [7] },
    ],
    warnings: 2,
  },
  {
    name: "differentiate shadowed by a parameter is not adjoint's",
    body: `const run = (differentiate) => differentiate((x) => x * x);\nconst out = run((g) => ({ mine: g(3) }));`,
    value: { mine: 9 },
    warnings: 0,
  },
];

describe("adjoint/plugin resolves names like JavaScript (esbuild)", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const code = HEAD + c.body + `\nconsole.log(JSON.stringify(out));\n`;
      await inScratch({ "main.js": code }, async (dir) => {
        const runtime = runNode(dir, (await bundle(dir, "main.js", "esm", false)).code);
        expect(runtime).toEqual(c.value);
        const { code: bundled, result } = await bundle(dir, "main.js");
        expect(runNode(dir, bundled)).toEqual(runtime);
        const texts = result.warnings.map((w) => w.text);
        expect(texts, texts.join("\n")).toHaveLength(c.warnings);
      });
    });
  }
});

describe("rewrite: what it cannot resolve it leaves to run time, with the position", () => {
  const warned = (body: string) => rewrite(HEAD + body, "m.js")?.warnings.map((w) => `${w.line}:${w.column}: ${w.message}`) ?? [];

  it("a parameter: names the binding and its line", () => {
    const [w, ...rest] = warned(`function g(K) {\n  return differentiate((x) => K * x, { constants: { K } });\n}`);
    expect(rest).toEqual([]);
    expect(w).toMatch(/^5:10: differentiate left to run time .*options\.constants\.K is not a number literal or a const bound to one \(it is the parameter at line 4\)/);
  });

  it("a const read before its declaration runs (temporal dead zone)", () => {
    expect(warned(`const a = differentiate((x) => L * x, { constants: { L } });\nconst L = 2;`)).toEqual([
      expect.stringMatching(/^4:11: .*options\.constants\.L is read before its declaration \(line 5\) runs/),
    ]);
    expect(warned(`const a = differentiate(g);\nconst g = /* @differentiate */ (x) => x;`)).toEqual([
      expect.stringMatching(/^4:11: .*`g` is read before its declaration \(line 5\) runs/),
    ]);
    // A static block runs where its class stands; a method later.
    expect(
      warned(`class C {\n  static { differentiate((x) => L * x, { constants: { L } }); }\n  m() { return differentiate((x) => L * x, { constants: { L } }); }\n}\nconst L = 2;`),
    ).toEqual([expect.stringMatching(/^5:12: .*options\.constants\.L is read before its declaration \(line 8\) runs/)]);
  });

  it("a const in a switch (a case may jump over its declaration)", () => {
    expect(warned(`switch (1) {\n  case 0:\n    const L = 2;\n  case 1:\n    differentiate((x) => L * x, { constants: { L } });\n}`)).toEqual([
      expect.stringMatching(/^8:5: .*options\.constants\.L is declared in a switch/),
    ]);
  });

  it("a marked function a direct eval could reassign", () => {
    expect(warned(`eval("f = (x) => x");\nconst a = differentiate(f);`)).toEqual([expect.stringMatching(/^5:11: .*`f` is assigned .*\(or by eval\)/)]);
    // An eval that is not the global one, or that cannot see f, changes nothing.
    expect(warned(`const h = (eval) => eval("f = 1");\nconst a = differentiate(f);`)).toEqual([]);
  });

  it("a local const with a literal is read; a local let is not", () => {
    expect(warned(`{\n  const L = -2;\n  differentiate((x) => L * x, { constants: { L } });\n}`)).toEqual([]);
    expect(rewrite(HEAD + `{\n  const L = -2;\n  differentiate((x) => L * x, { constants: { L } });\n}`, "m.js")!.code).toContain("constants: { L: -2 }");
    expect(warned(`{\n  let L = 2;\n  differentiate((x) => L * x, { constants: { L } });\n}`)).toEqual([
      expect.stringMatching(/^6:3: .*options\.constants\.L is not a number literal .*\(it is the let at line 5\)/),
    ]);
  });
});

describe("Scopes", () => {
  type N = Node & Record<string, any>;
  const identifiers = (n: N): N[] => [...(n.type === "Identifier" ? [n] : []), ...children(n).flatMap(identifiers)];
  const analysed = (code: string) => {
    const program = parse(code, { ecmaVersion: "latest", sourceType: "module", locations: true }) as N;
    return { scopes: new Scopes(program), ids: identifiers(program) };
  };
  /** The binding of the identifier after the marker, as "kind@line". */
  const boundAt = (code: string) => {
    const { scopes, ids } = analysed(code);
    const b = scopes.resolve(ids.find((n) => n.start === code.indexOf("/*?*/") + 5)!);
    return b === undefined ? "global" : `${b.kind}@${b.declaration.loc!.start.line}`;
  };

  it.each([
    ["const K = 1;\n{ let K = 2; /*?*/K; }", "let@2"],
    ["const K = 1;\nfunction g({ a: [K] }) { return /*?*/K; }", "parameter@2"],
    ["const K = 1;\nconst h = function K() { return /*?*/K; };", "own name@2"],
    ["const K = 1;\nclass C { static { var K; } m() { return /*?*/K; } }", "const@1"],
    ["const K = 1;\nfunction g() { if (1) { var K; } return /*?*/K; }", "var@2"],
    ["const K = 1;\ntry {} catch ({ K }) { /*?*/K; }", "catch parameter@2"],
    ["const K = 1;\nlabel: for (const K of []) { /*?*/K; }", "const@2"],
    ['import { K } from "m";\nfunction g(a = /*?*/K) { const K = 1; }', "import@1"],
    ["const K = 1;\n{ /*?*/K; function K() {} }", "function@2"],
    ["const K = 1;\nclass C { K = /*?*/K; }", "const@1"],
    ["const K = 1;\nconst o = { K: 2, m() { return /*?*/K; } };", "const@1"],
    ["class K { m() { return /*?*/K; } }", "own name@1"],
    ["function g() { return /*?*/K; }", "global"],
  ])("%j: %s", (code, expected) => expect(boundAt(code)).toBe(expected));

  it("marks what assignments, updates, for-of heads and a direct eval reach", () => {
    const reassigned = (code: string) => {
      const { scopes } = analysed(code);
      return [...scopes.module.bindings.values()].filter((b) => b.reassigned).map((b) => b.name);
    };
    expect(reassigned("let a, b, c, d;\n({ x: a, y: [b] } = {});\nc++;\nfor (d of []);")).toEqual(["a", "b", "c", "d"]);
    expect(reassigned("let a;\nfunction g(a) { a = 2; }\nconst o = {};\no.a = 1;")).toEqual([]);
    expect(reassigned("let a;\nconst b = 1;\nfunction g() { eval(''); }")).toEqual(["a", "g"]);
  });
});
