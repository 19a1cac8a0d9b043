/**
 * Type-checks every ```ts block of README.md and docs/*.md, the no-run ones too, as a user's project
 * would compile it (strict; "adjoint" imports mapped to src/ as in docs.test.ts): a snippet that does
 * not compile as shown fails here. A block marked `type-error` must fail the check. One program over
 * all the blocks, so the library is checked once.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";
import { expect, it } from "vitest";
import { codeBlocks, type CodeBlock } from "./codeBlocks.js";
import { toModule } from "./codeBlocks.js";

const root = resolve(__dirname, "../..");
// Its own folder: docs.test.ts empties .blocks when it starts, and the two files may run at once.
const outDir = join(__dirname, ".typecheck");
const files = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

it("every ts block in the docs compiles, and every type-error block does not", { timeout: 240_000 }, () => {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const modules = new Map<string, CodeBlock>();
  for (const file of files) {
    for (const block of codeBlocks(join(root, file))) {
      const path = join(outDir, `${file.replace(/[/.]/g, "_")}_${block.line}.ts`);
      // `export {}` makes each block a module, so blocks without imports do not share one scope.
      writeFileSync(path, `${toModule({ ...block, file }, join(root, "src"), join(__dirname, "expectDoc.js"))}export {};\n`);
      modules.set(path, { ...block, file });
    }
  }
  expect(modules.size).toBeGreaterThan(50);
  const program = ts.createProgram([...modules.keys()], {
    target: ts.ScriptTarget.ES2022,
    lib: ["lib.es2022.d.ts", "lib.dom.d.ts"],
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: ["node", "@webgpu/types"],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  });
  const failures: string[] = [];
  for (const [path, block] of modules) {
    const source = program.getSourceFile(path);
    const diagnostics = source === undefined ? [] : [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)];
    const where = `${block.file}:${block.line}`;
    if (block.typeError) {
      if (diagnostics.length === 0) failures.push(`${where}: marked type-error, but it compiles`);
      continue;
    }
    for (const d of diagnostics) {
      // Line k of the module is line k - 1 of the block (the module starts with the checker's import).
      const line = source !== undefined && d.start !== undefined ? source.getLineAndCharacterOfPosition(d.start).line : 0;
      failures.push(`${block.file}:${block.line + line}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`);
    }
  }
  expect(failures).toEqual([]);
});
