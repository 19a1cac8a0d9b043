/**
 * adjoint/plugin end to end: fixtures bundled by esbuild (and Vite) with the plugin, run by node and
 * in a vm context that forbids code generation (a strict CSP), their gradients checked against the
 * run-time `differentiate` and central differences.
 */
import { runInContext, createContext } from "node:vm";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { differentiate } from "../../src/transform/index.js";
import { adjointPlugin } from "../../src/plugin/index.js";
import { ADJOINT_PATHS, bundle, inScratch, runNode } from "./pluginBuild.js";

// Line 3 holds the marked declaration, so the refusal test below can name its position.
const STATIC = `import { differentiate as d } from "adjoint";
const SCALE = 3;
/* @differentiate */ function rosen(x, y) { return (1 - x) ** 2 + SCALE * 100 * (y - x * x) ** 2; }
const energy = /* @differentiate */ (w) => {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += Math.sin(w[i]) * w[i];
  return s;
};
const drosen = d(rosen, { constants: { SCALE } });
const denergy = d(energy);
const dtan = d((x, y) => Math.exp(x) * y, { mode: "forward" });
const g = denergy(Float64Array.from([0.5, -1, 2]));
const out = {
  rosen: drosen(0.3, 0.7),
  energy: { value: g.value, gradient: [Array.from(g.gradient[0])] },
  energyList: Array.from(denergy([0.5, -1, 2]).gradient[0]),
  tangent: dtan([0.2, 1.5], [1, -2]),
  source: drosen.source.split("\\n")[0],
};
`;
const PRINT = `console.log(JSON.stringify(out));\n`;

const rosen = (x: number, y: number) => (1 - x) ** 2 + 3 * 100 * (y - x * x) ** 2;
const energy = (w: number[]) => w.reduce((s, v) => s + Math.sin(v) * v, 0);

function central(f: (...xs: number[]) => number, xs: number[]): number[] {
  const h = 1e-6;
  return xs.map((_, i) => {
    const up = xs.slice();
    const down = xs.slice();
    up[i] += h;
    down[i] -= h;
    return (f(...up) - f(...down)) / (2 * h);
  });
}

interface Out {
  rosen: { value: number; gradient: number[] };
  energy: { value: number; gradient: number[][] };
  energyList: number[];
  tangent: { value: number; tangent: number };
  source: string;
}

function checkOut(out: Out) {
  const runtime = differentiate((x: number, y: number) => (1 - x) ** 2 + SCALE * 100 * (y - x * x) ** 2, { constants: { SCALE: 3 } })(0.3, 0.7);
  expect(out.rosen.value).toBe(runtime.value);
  expect(out.rosen.gradient).toEqual(runtime.gradient);
  central(rosen, [0.3, 0.7]).forEach((g, i) => expect(out.rosen.gradient[i]).toBeCloseTo(g, 4));
  central((...w) => energy(w), [0.5, -1, 2]).forEach((g, i) => {
    expect(out.energy.gradient[0][i]).toBeCloseTo(g, 6);
    expect(out.energyList[i]).toBeCloseTo(g, 6);
  });
  expect(out.energy.value).toBeCloseTo(energy([0.5, -1, 2]), 12);
  expect(out.tangent.value).toBeCloseTo(Math.exp(0.2) * 1.5, 12);
  expect(out.tangent.tangent).toBeCloseTo(Math.exp(0.2) * 1.5 - 2 * Math.exp(0.2), 12);
  expect(out.source).toContain("reverse mode of rosen(x, y)");
}
const SCALE = 3;

/** acorn's code in a bundle: its module path (esbuild's comments) or its option names. */
function hasParser(code: string): boolean {
  return /node_modules\/acorn|ecmaVersion|allowHashBang/.test(code);
}

/** Code (comments aside) that compiles a string: what a strict CSP forbids. */
function compilesStrings(withComments: string): boolean {
  const code = withComments.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  return /\bnew\s+Function(Constructor)?\b/.test(code) || /(^|[^\w$.])Function\s*\(/.test(code) || /(^|[^\w$.])eval\s*\(/.test(code);
}

describe("adjoint/plugin with esbuild", () => {
  it("rewrites literal and marked functions: same gradients as differentiate, no parser, no new Function", async () => {
    await inScratch({ "main.js": STATIC + PRINT }, async (dir) => {
      const { code, result } = await bundle(dir, "main.js");
      expect(result.warnings).toEqual([]);
      expect(hasParser(code)).toBe(false);
      expect(compilesStrings(code)).toBe(false);
      checkOut(runNode(dir, code) as Out);
    });
  });

  it("runs where code generation from strings throws (vm codeGeneration: { strings: false })", async () => {
    await inScratch(
      {
        "main.js": STATIC + "globalThis.out = out;\n",
        "runtime.js": `import { differentiate } from "adjoint/transform";\nlet k = 2;\nglobalThis.run = () => differentiate((x) => k * x, { constants: { k } })(2);\n`,
      },
      async (dir) => {
        const context = createContext({}, { codeGeneration: { strings: false, wasm: false } });
        expect(() => runInContext(`new Function("return 1")`, context)).toThrow(/Code generation from strings disallowed/);
        runInContext((await bundle(dir, "main.js", "iife")).code, context);
        checkOut(JSON.parse(runInContext("JSON.stringify(globalThis.out)", context)) as Out);
        // The run-time path, for contrast, is what such a page cannot use.
        const runtime = (await bundle(dir, "runtime.js", "iife")).code;
        expect(hasParser(runtime) && compilesStrings(runtime)).toBe(true);
        runInContext(runtime, context);
        expect(() => runInContext("run()", context)).toThrow(/Code generation from strings disallowed/);
      },
    );
  });

  it("strips a .ts file's types first, and reports a refusal at the .ts file's line and column", async () => {
    const ts = `import { differentiate } from "adjoint/transform";
interface Point { x: number }
const p: Point = { x: 2 };
const df = differentiate((x: number, y: number): number => x * Math.cos(y) + 0, {});
console.log(JSON.stringify(df(p.x, 0.5)));
`;
    const bad = `import { differentiate } from "adjoint";
type Num = number;
/* @differentiate */
function f(x: Num): Num {
  const y: Num = x * 2;
  return y + Math.random();
}
export const df = differentiate(f);
`;
    await inScratch({ "main.ts": ts, "bad.ts": bad }, async (dir) => {
      const { code } = await bundle(dir, "main.ts");
      expect(hasParser(code)).toBe(false);
      const out = runNode(dir, code) as { value: number; gradient: number[] };
      expect(out.value).toBeCloseTo(2 * Math.cos(0.5), 12);
      expect(out.gradient[0]).toBeCloseTo(Math.cos(0.5), 12);
      expect(out.gradient[1]).toBeCloseTo(-2 * Math.sin(0.5), 12);
      const error = await bundle(dir, "bad.ts").then(
        () => null,
        (e: { errors: { text: string; location: { line: number; column: number } | null }[] }) => e,
      );
      expect(error).not.toBeNull();
      const [first] = error!.errors;
      expect(first.text).toContain(`${join(dir, "bad.ts")}:6:14`);
      expect(first.text).toMatch(/Math\.random/);
      expect(first.location).toMatchObject({ line: 6, column: 13 });
    });
  });

  it("a refused construct in a marked function fails the build with file:line:column", async () => {
    const bad = STATIC.replace("return (1 - x) ** 2", "return this.k + (1 - x) ** 2");
    await inScratch({ "main.js": bad + PRINT }, async (dir) => {
      const column = bad.split("\n")[2].indexOf("this.k") + 1;
      await expect(bundle(dir, "main.js")).rejects.toThrow(`${join(dir, "main.js")}:3:${column}`);
    });
  });

  it("leaves a call with non-static options to run time, with a warning saying why", async () => {
    const mixed = `import { differentiate } from "adjoint";
const opts = { mode: "forward" };
let k = 2;
const a = differentiate((x) => x * x * x, opts);
const b = differentiate((x) => k * x, { constants: { k } });
const c = differentiate((x) => 5 * x * x);
const cc = differentiate(c, { mode: "forward" });
console.log(JSON.stringify({ a: a([2], [1]), b: b(1), c: c(1), cc: cc([1], [1]) }));
`;
    await inScratch({ "main.js": mixed }, async (dir) => {
      const { code, result } = await bundle(dir, "main.js");
      const texts = result.warnings.map((w) => w.text);
      expect(texts).toHaveLength(3);
      expect(texts[0]).toMatch(/main\.js:4:11: .*the options are not an object literal/);
      expect(texts[1]).toMatch(/main\.js:5:11: .*options\.constants\.k is not a number literal/);
      expect(texts[2]).toMatch(/main\.js:7:12: .*not a function literal or a module function marked/);
      // c is precompiled; forward over reverse of it runs at run time, from the function it remembers.
      expect(runNode(dir, code)).toEqual({ a: { value: 8, tangent: 12 }, b: { value: 2, gradient: [2] }, c: { value: 5, gradient: [10] }, cc: { value: [10], tangent: [10] } });
    });
  });
});

describe("adjoint/plugin's file filter", () => {
  it("takes scripts (also with a query), not node_modules or other files", () => {
    const hooks = adjointPlugin.raw(undefined, { framework: "vite", versions: {} }) as { transformInclude(id: string): boolean };
    for (const id of ["/a/m.js", "/a/m.mjs", "/a/m.ts", "/a/m.mts", "/a/m.jsx", "/a/m.tsx", "/a/m.ts?v=123"]) expect(hooks.transformInclude(id)).toBe(true);
    for (const id of ["/a/node_modules/x/m.js", "/a/m.css", "/a/m.json", "/a/m.d.ts.map"]) expect(hooks.transformInclude(id)).toBe(false);
  });
});

describe("adjoint/plugin with Vite", () => {
  it("builds a library bundle whose derivative runs without the parser", async () => {
    const { build } = await import("vite");
    await inScratch(
      { "main.ts": `import { differentiate } from "adjoint";\nexport const df = differentiate((x: number) => x * Math.sin(x));\nconsole.log(JSON.stringify(df(1)));\n` },
      async (dir) => {
        const output = (await build({
          root: dir,
          logLevel: "silent",
          configFile: false,
          resolve: { alias: Object.entries(ADJOINT_PATHS).map(([find, replacement]) => ({ find: new RegExp(`^${find}$`), replacement })) },
          plugins: [adjointPlugin.vite()],
          build: { write: false, minify: false, lib: { entry: join(dir, "main.ts"), formats: ["es"], fileName: "main" } },
        })) as { output: { code?: string }[] }[];
        const code = output[0].output[0].code!;
        expect(hasParser(code)).toBe(false);
        expect(compilesStrings(code)).toBe(false);
        const out = runNode(dir, code) as { value: number; gradient: number[] };
        expect(out.gradient[0]).toBeCloseTo(Math.sin(1) + Math.cos(1), 12);
      },
    );
  });
});

describe("adjoint/plugin with Rollup", () => {
  /**
   * What a Rollup project puts before the plugin: a TypeScript plugin (here TypeScript's own
   * transpileModule, which keeps comments, as @rollup/plugin-typescript does), with "adjoint"
   * resolved to src/ and its ".js" imports to the .ts files, and acorn (which the run-time path
   * imports) to its ES module, as a node-resolve plugin would.
   */
  const typescript = {
    name: "strip-types",
    resolveId(source: string, importer: string | undefined) {
      if (source in ADJOINT_PATHS) return ADJOINT_PATHS[source];
      if (source === "acorn") return join(dirname(createRequire(import.meta.url).resolve("acorn/package.json")), "dist", "acorn.mjs");
      if (importer?.endsWith(".ts") && source.startsWith(".") && source.endsWith(".js")) return join(importer, "..", source.replace(/\.js$/, ".ts"));
      return null;
    },
    async transform(code: string, id: string) {
      if (!id.endsWith(".ts")) return null;
      const ts = (await import("typescript")).default;
      const out = ts.transpileModule(code, { fileName: id, compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: true } });
      return { code: out.outputText.replace(/\/\/# sourceMappingURL=.*$/m, ""), map: out.sourceMapText };
    },
  };

  async function rollupBundle(dir: string, entry: string): Promise<{ code: string; warnings: string[] }> {
    const { rollup } = await import("rollup");
    const warnings: string[] = [];
    const b = await rollup({
      input: join(dir, entry),
      plugins: [typescript, adjointPlugin.rollup()],
      external: (id) => id.startsWith("node:"),
      onwarn: (w) => {
        if (w.code !== "CIRCULAR_DEPENDENCY") warnings.push(w.message);
      },
    });
    try {
      const { output } = await b.generate({ format: "es" });
      return { code: output[0].code, warnings };
    } finally {
      await b.close();
    }
  }

  it("rewrites literal and marked functions: same gradients as differentiate, no parser, no new Function", async () => {
    await inScratch({ "main.js": STATIC + PRINT }, async (dir) => {
      const { code, warnings } = await rollupBundle(dir, "main.js");
      expect(warnings.filter((w) => /adjoint|differentiate/.test(w))).toEqual([]);
      expect(hasParser(code)).toBe(false);
      expect(compilesStrings(code)).toBe(false);
      checkOut(runNode(dir, code) as Out);
    });
  });

  it("after the TypeScript plugin: a marked .ts function is rewritten", async () => {
    const ts = `import { differentiate } from "adjoint";
/* @differentiate */
function f(x: number, y: number): number {
  const t: number = x * y;
  return t * Math.sin(x);
}
console.log(JSON.stringify(differentiate(f)(0.5, 2)));
`;
    await inScratch({ "main.ts": ts }, async (dir) => {
      const { code } = await rollupBundle(dir, "main.ts");
      expect(hasParser(code)).toBe(false);
      expect(compilesStrings(code)).toBe(false);
      const out = runNode(dir, code) as { value: number; gradient: number[] };
      expect(out.value).toBeCloseTo(Math.sin(0.5), 12);
      expect(out.gradient[0]).toBeCloseTo(2 * Math.sin(0.5) + Math.cos(0.5), 12);
      expect(out.gradient[1]).toBeCloseTo(0.5 * Math.sin(0.5), 12);
    });
  });

  it("a refused construct fails the build with file:line:column, a non-static call warns", async () => {
    const bad = STATIC.replace("return (1 - x) ** 2", "return this.k + (1 - x) ** 2");
    const column = bad.split("\n")[2].indexOf("this.k") + 1;
    await inScratch(
      {
        "bad.js": bad + PRINT,
        "mixed.js": `import { differentiate } from "adjoint";\nconst opts = { mode: "forward" };\nconsole.log(JSON.stringify(differentiate((x) => x * x, opts)([3], [1])));\n`,
      },
      async (dir) => {
        await expect(rollupBundle(dir, "bad.js")).rejects.toThrow(`${join(dir, "bad.js")}:3:${column}`);
        const { code, warnings } = await rollupBundle(dir, "mixed.js");
        expect(
          warnings.some((w) => /mixed\.js:3:28: .*the options are not an object literal/.test(w)),
          warnings.join("\n"),
        ).toBe(true);
        expect(runNode(dir, code)).toEqual({ value: 9, tangent: 6 });
      },
    );
  });
});
