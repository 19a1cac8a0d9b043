/**
 * The pieces under adjoint/plugin: `generate` (build time) and `precompiled` (run time) give what
 * `differentiate` gives; `precompiled` bundles without the parser; the rewrite's source map.
 */
import { build, transform } from "esbuild";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { rewrite } from "../../src/plugin/rewrite.js";
import { compose, decode, originalPosition, type SourceMap } from "../../src/plugin/sourcemap.js";
import { generate } from "../../src/transform/generate.js";
import { differentiate, type ForwardDerivative, type ReverseDerivative } from "../../src/transform/index.js";
import { precompiled, type PrecompiledSpec } from "../../src/transform/precompiled.js";

/** What the plugin writes into a bundle, evaluated here (the test may use `new Function`). */
function fromGenerated(text: string, options: Parameters<typeof generate>[1] = {}): PrecompiledSpec {
  const g = generate(text, options);
  const evaluate = (code: string) => new Function(`return ${code}`)() as never;
  const base = { kinds: g.kinds, source: g.source, kernel: evaluate(g.kernelFactoryCode), constants: options.constants };
  return g.entryCode === undefined ? { mode: "forward", ...base } : { mode: "reverse", entry: evaluate(g.entryCode), ...base };
}

function thrown(f: () => unknown): AdError {
  try {
    f();
  } catch (e) {
    if (e instanceof AdError) return e;
    throw e;
  }
  throw new Error("did not throw");
}

describe("precompiled", () => {
  const loss = (w: number[], b: number) => {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += (w[i] * b - k) ** 2;
    return s + Math.tanh(b);
  };
  const k = 0.5;
  const runtime = differentiate(loss, { constants: { k } });
  const built = precompiled(fromGenerated(loss.toString(), { constants: { k } }), loss) as ReverseDerivative;

  it("returns what differentiate returns, on the fast and the slow path", () => {
    expect(built.source).toBe(runtime.source);
    for (const w of [Float64Array.from([1, -2, 3]), [1, -2, 3]]) expect(built(w, 0.7)).toEqual(runtime(w, 0.7));
    const g = new Float64Array(3);
    expect(built.into([g, 0], [1, -2, 3], 0.7)).toEqual(runtime(Float64Array.from([1, -2, 3]), 0.7));
    expect(thrown(() => built.into([new Float64Array(2), 0], [1, -2, 3], 0.7)).message).toBe(thrown(() => runtime.into([new Float64Array(2), 0], [1, -2, 3], 0.7)).message);
  });

  it("checks its arguments as differentiate does", () => {
    for (const bad of [
      [[1], 2, 3],
      [[1, "x"], 2],
      [{}, 2],
    ] as unknown as Parameters<ReverseDerivative>[]) {
      expect(thrown(() => built(...bad)).message).toBe(thrown(() => runtime(...bad)).message);
    }
    expect(thrown(() => built(1, 2)).message).toBe(thrown(() => runtime(1, 2)).message);
  });

  it("refuses argument kinds it has no kernel for (differentiate would compile one)", () => {
    const f = (x: number, _y: number) => x * 2;
    const df = precompiled(fromGenerated(f.toString()), f) as ReverseDerivative;
    expect(differentiate(f)(1, [1, 2]).gradient[1]).toEqual(new Float64Array(2));
    expect(thrown(() => df(1, [1, 2])).message).toMatch(/argument 1 must be a number/);
  });

  it("forward mode, and forward over reverse of a precompiled gradient", () => {
    const f = (x: number, y: number) => Math.exp(x) * Math.sin(y);
    const fwd = precompiled(fromGenerated(f.toString(), { mode: "forward" }), f) as ForwardDerivative;
    expect(fwd([0.3, 1.1], [1, 2])).toEqual(differentiate(f, { mode: "forward" })([0.3, 1.1], [1, 2]));
    const rev = precompiled(fromGenerated(f.toString()), f) as ReverseDerivative;
    expect(differentiate(rev, { mode: "forward" })([0.3, 1.1], [1, 0])).toEqual(differentiate(differentiate(f), { mode: "forward" })([0.3, 1.1], [1, 0]));
  });

  it("bundles without acorn and without compiling strings", async () => {
    const result = await build({
      stdin: { contents: `import { precompiled } from "./src/transform/precompiled.ts"; console.log(precompiled);`, resolveDir: fileURLToPath(new URL("../..", import.meta.url)) },
      bundle: true,
      write: false,
      format: "esm",
      metafile: true,
      logLevel: "silent",
    });
    expect(Object.keys(result.metafile.inputs).filter((p) => /acorn|parse\.ts|lower\.ts|emit\.ts/.test(p))).toEqual([]);
    expect(result.outputFiles[0].text).not.toMatch(/new Function|[^\w$.]Function\(|[^\w$.]eval\(/);
  });
});

describe("generate", () => {
  it("reports a refusal at the file's line and column", () => {
    const e = thrown(() => generate("(x) => {\n  return x + this.y;\n}", { at: { line: 10, column: 5 } }));
    expect(e.details).toMatchObject({ line: 11, column: 14 });
    expect(e.message).toContain("line 11, column 14");
  });

  it("a local spelled like a generated name, a write checked against the length and a Proxy argument: as in differentiate", () => {
    const f = new Function("x", "const $arrays = [0, 0];\n$arrays[x.length - 1] = x[0] * 2;\nreturn $arrays[0] + $arrays[1] * x[0];") as (x: number[]) => number;
    const built = precompiled(fromGenerated(Function.prototype.toString.call(f)), f) as ReverseDerivative;
    const runtime = differentiate(f);
    expect(built.source).toBe(runtime.source);
    for (const x of [[3], [3, 4]]) expect(built(x)).toEqual(runtime(x));
    for (const bad of [[3, 4, 5], new Proxy(new Float64Array([3]), {})]) {
      const e = thrown(() => built(bad as number[]));
      expect([e.code, e.message]).toEqual([thrown(() => runtime(bad as number[])).code, thrown(() => runtime(bad as number[])).message]);
    }
    expect(thrown(() => built([3, 4, 5])).details).toMatchObject({ construct: "a write outside an array's length", line: 4, index: 2, length: 2 });
  });

  it("refuses constants that are not numbers", () => {
    expect(thrown(() => generate("(x) => x * a[0]", { constants: { a: [1] as unknown as number } })).code).toBe("UnsupportedOp");
  });
});

describe("the rewrite's source map", () => {
  it("maps the kept function back to where it was", () => {
    const code = `import { differentiate } from "adjoint";\nexport const df = differentiate(\n  (x) => x * Math.sin(x),\n  { mode: "reverse" },\n);\nexport const after = 1;\n`;
    const out = rewrite(code, "m.js")!;
    expect(out.code).not.toContain(`from "adjoint"`);
    const lines = decode(out.map.mappings);
    const find = (needle: string) => {
      const at = out.code.lastIndexOf(needle);
      const before = out.code.slice(0, at);
      return originalPosition(lines, before.split("\n").length - 1, at - (before.lastIndexOf("\n") + 1));
    };
    expect(find("Math.sin")).toEqual({ line: 2, column: 13 });
    expect(find("after")).toEqual({ line: 5, column: 13 });
    expect(out.map.sourcesContent).toEqual([code]);
  });

  it("composed with esbuild's map when types were stripped first, points into the .ts file", async () => {
    const ts = `import { differentiate } from "adjoint";\ntype N = number;\nexport const df = differentiate((x: N): N => x * Math.cosh(x));\n`;
    const stripped = await transform(ts, { loader: "ts", sourcefile: "m.ts", sourcemap: "external" });
    const out = rewrite(stripped.code, "m.ts")!;
    const lines = decode(compose(out.map, JSON.parse(stripped.map) as SourceMap).mappings);
    const at = out.code.lastIndexOf("Math.cosh");
    const before = out.code.slice(0, at);
    expect(originalPosition(lines, before.split("\n").length - 1, at - (before.lastIndexOf("\n") + 1))).toEqual({ line: 2, column: ts.split("\n")[2].indexOf("Math.cosh") });
  });
});
