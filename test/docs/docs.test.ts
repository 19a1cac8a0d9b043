/**
 * Runs every ```ts block of README.md and docs/*.md as written (conventions in codeBlocks.ts), so the
 * documentation cannot drift from the code. Each block becomes a module under test/docs/.blocks/
 * (git-ignored) and is imported; its `// →` comments are its assertions.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { codeBlocks, toModule } from "./codeBlocks.js";

const root = resolve(__dirname, "../..");
const outDir = join(__dirname, ".blocks");
const files = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

// Start empty: a block that moved leaves no module of its old line behind.
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

it("finds the README's code blocks", () => expect(codeBlocks(join(root, "README.md")).length).toBeGreaterThan(5));

it("lists every package.json export in the README's imports table, and nothing else", () => {
  const exports = Object.keys(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).exports as object).map((k) => k.replace(/^\./, "adjoint"));
  const rows = [...readFileSync(join(root, "README.md"), "utf8").matchAll(/^\| `(adjoint[\w/]*)` \|/gm)].map((m) => m[1]);
  expect(rows.sort()).toEqual(exports.sort());
});

for (const file of files) {
  const blocks = codeBlocks(join(root, file));
  if (blocks.length === 0) continue;
  describe(file, () => {
    for (const block of blocks) {
      const name = `line ${block.line}`;
      if (block.skipReason !== undefined) {
        // Not run (it needs what the test machine may lack, e.g. a GPU adapter), but checked: it parses,
        // and every name it imports is exported where it imports it from.
        it(`${name} parses and imports what exists (no-run: ${block.skipReason})`, async () => {
          const source = toModule({ ...block, file }, join(root, "src"), join(__dirname, "expectDoc.js"));
          const { diagnostics } = ts.transpileModule(source, { reportDiagnostics: true, compilerOptions: { module: ts.ModuleKind.ESNext } });
          expect(diagnostics?.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")) ?? []).toEqual([]);
          for (const [, names, from] of source.matchAll(/^import\s*\{([^}]*)\}\s*from\s*"([^"]+)";/gm)) {
            const module = (await import(pathToFileURL(from.replace(/\.js$/, ".ts")).href)) as Record<string, unknown>;
            for (const n of names
              .split(",")
              .map(
                (s) =>
                  s
                    .trim()
                    .replace(/^type\s+/, "")
                    .split(/\s+as\s+/)[0],
              )
              .filter((s) => s !== "" && !s.startsWith("__"))) {
              expect(n in module, `${file}:${block.line}: ${n} is not exported by ${from}`).toBe(true);
            }
          }
        });
        continue;
      }
      it(name, async () => {
        const module = join(outDir, `${file.replace(/[/.]/g, "_")}_${block.line}.ts`);
        writeFileSync(module, toModule({ ...block, file }, join(root, "src"), join(__dirname, "expectDoc.js")));
        await import(pathToFileURL(module).href);
      });
    }
  });
}
