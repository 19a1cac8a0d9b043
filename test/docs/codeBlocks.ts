/**
 * Extracts the ```ts code blocks of a Markdown file and turns each into a module the docs test can
 * import. The conventions a block may use (documented in docs/architecture.md):
 * - ```ts no-run: <reason>    not run (needs a browser, a file system, a GPU), but type-checked;
 * - ```ts type-error: <reason> not run, and the type check must fail (a block showing what the
 *                             compiler refuses);
 * - ```ts continued           appended to the previous block of the same file, run as one;
 * - `expr; // → expected`     a line that is one expression statement is checked against `expected`
 *                             (a JS literal; `2.727…` matches to the digits shown);
 * - `expr; // throws Code`    the expression must throw an AdError with that code.
 * Specifiers "adjoint" and "adjoint/<subpath>" resolve to src/, as package.json's exports would.
 */
import { readFileSync } from "node:fs";

export interface CodeBlock {
  readonly file: string;
  readonly line: number;
  readonly source: string;
  readonly skipReason?: string;
  /** Marked `type-error`: the type check must report an error in it. */
  readonly typeError?: true;
}

const fence = /^```(\S*)\s*(.*)$/;

/** The ts blocks of a Markdown file, `continued` blocks merged into the one before. */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = fence.exec(lines[i]);
    if (open === null) continue;
    const end = lines.indexOf("```", i + 1);
    if (end < 0) throw new Error(`${file}:${i + 1}: unclosed code block`);
    const body = lines.slice(i + 1, end).join("\n");
    const [lang, info] = [open[1], open[2].trim()];
    if (lang === "ts" || lang === "typescript") {
      const marker = ["no-run", "type-error"].find((m) => info.startsWith(m));
      if (marker !== undefined) {
        const reason = info.slice(marker.length).replace(/^:/, "").trim();
        if (reason === "") throw new Error(`${file}:${i + 1}: a ${marker} block says why`);
        blocks.push({ file, line: i + 1, source: body, skipReason: reason, ...(marker === "type-error" ? { typeError: true as const } : {}) });
      } else if (info === "continued") {
        const previous = blocks.pop();
        if (previous === undefined || previous.skipReason !== undefined) throw new Error(`${file}:${i + 1}: nothing runnable to continue`);
        blocks.push({ ...previous, source: `${previous.source}\n${body}` });
      } else if (info === "") {
        blocks.push({ file, line: i + 1, source: body });
      } else throw new Error(`${file}:${i + 1}: unknown block marker "${info}"`);
    }
    i = end;
  }
  return blocks;
}

const checked = /^(\s*)([^\s].*?);?\s*\/\/ (→|throws) (.+)$/;
const declaration = /^(const|let|var|return|for|if|while|import|export|type|interface|function|class|}|\))\b/;

/** The block as a module: imports mapped to src/, checked lines turned into calls of the checker. */
export function toModule(block: CodeBlock, srcDir: string, checker: string): string {
  const body = block.source
    .replace(/from "adjoint(\/[\w/]+)?"/g, (_, sub: string | undefined) => `from "${srcDir}${sub ?? ""}/index.js"`)
    .replace(`from "${srcDir}/errors/index.js"`, `from "${srcDir}/errors.js"`)
    .replace(`from "${srcDir}/transform/precompiled/index.js"`, `from "${srcDir}/transform/precompiled.js"`)
    .replace(`from "${srcDir}/webgpu/index.js"`, `from "${srcDir}/backends/webgpu/index.js"`)
    .split("\n")
    .map((line, k) => {
      const m = checked.exec(line);
      if (m === null || declaration.test(m[2])) return line;
      const [, indent, expr, kind, expected] = m;
      const where = JSON.stringify(`${block.file}:${block.line + 1 + k}`);
      return kind === "→"
        ? `${indent}__expectDoc(${expr}, ${JSON.stringify(expected.trim())}, ${where});`
        : `${indent}__expectThrows(() => ${expr}, ${JSON.stringify(expected.trim())}, ${where});`;
    })
    .join("\n");
  return `import { __expectDoc, __expectThrows } from "${checker}";\n${body}\n`;
}
