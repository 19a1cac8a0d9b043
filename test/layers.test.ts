/**
 * The layer check of `npm run lint:deps` (.dependency-cruiser.cjs) catches what it is there for:
 * an upward import and a run-time cycle, on a small planted tree, while a cycle closed only by
 * `import type` (erased at run time) and a downward import pass.
 */
import { mkdtempSync, mkdirSync, writeFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { cruise, type ICruiseResult } from "dependency-cruiser";
import { afterAll, describe, expect, it } from "vitest";

const config = createRequire(import.meta.url)("../.dependency-cruiser.cjs");
const root = mkdtempSync(join(tmpdir(), "adjoint-layers-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Writes `files` (path → source) under a fresh folder and returns the rules each import broke. */
async function violations(name: string, files: Record<string, string>): Promise<string[]> {
  const base = join(root, name);
  for (const [path, source] of Object.entries(files)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), source);
  }
  const { output } = await cruise(
    ["src"],
    {
      baseDir: base,
      validate: true,
      ruleSet: { forbidden: config.forbidden },
      includeOnly: "^src/",
      tsPreCompilationDeps: true,
    },
    { extensions: [".ts", ".js"] },
  );
  const result = output as ICruiseResult;
  return result.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`);
}

describe("the layer check", () => {
  it("flags an upward import: scalar importing tensor", async () => {
    expect(
      await violations("upward", {
        "src/errors.ts": "export const e = 1;\n",
        "src/scalar/number.ts": 'import { t } from "../tensor/tensor";\nexport const n = t;\n',
        "src/tensor/tensor.ts": "export const t = 1;\n",
      }),
    ).toEqual(["scalar-downward: src/scalar/number.ts → src/tensor/tensor.ts"]);
  });

  it("passes downward imports", async () => {
    expect(
      await violations("downward", {
        "src/errors.ts": "export const e = 1;\n",
        "src/scalar/number.ts": 'import { e } from "../errors";\nexport const n = e;\n',
        "src/tensor/tensor.ts": 'import { n } from "../scalar/number";\nexport const t = n;\n',
        "src/nn/module.ts": 'import { t } from "../tensor/tensor";\nexport const m = t;\n',
      }),
    ).toEqual([]);
  });

  it("flags a run-time cycle and lets a type-only one pass", async () => {
    const found = await violations("cycle", {
      "src/tensor/a.ts": 'import { b } from "./b";\nexport const a = () => b;\n',
      "src/tensor/b.ts": 'import { a } from "./a";\nexport const b = () => a;\n',
      "src/tensor/c.ts": 'import type { D } from "./d";\nexport type C = { d?: D };\nexport const c = 1;\n',
      "src/tensor/d.ts": 'import { c } from "./c";\nexport type D = number;\nexport const d = c;\n',
    });
    expect(found.every((v) => v.startsWith("no-runtime-cycle:"))).toBe(true);
    expect(found.some((v) => v.includes("src/tensor/a.ts") || v.includes("src/tensor/b.ts"))).toBe(true);
    expect(found.some((v) => v.includes("src/tensor/c.ts") || v.includes("src/tensor/d.ts"))).toBe(false);
  });
});
