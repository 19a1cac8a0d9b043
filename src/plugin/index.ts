/**
 * adjoint/plugin: `differentiate` at build time, for Vite, esbuild and Rollup (unplugin). Each
 * `differentiate(fn, opts)` whose function is a literal (or a module function marked
 * `/* @differentiate *\/`) and whose options are static becomes `precompiled(<generated>, fn)`:
 * the bundle then has no parser and no `new Function`, so it runs under a strict CSP.
 *
 * It reads JavaScript. In Vite it runs after the TypeScript transform (`enforce: "post"`); under
 * esbuild, whose plugins see files as written, it strips a .ts file's types with esbuild's own
 * `transform` first, and maps locations and the source map back to the .ts file.
 */
import { createUnplugin, type UnpluginBuildContext, type UnpluginContext, type UnpluginOptions } from "unplugin";
import { describe, expectOptions, invalidArgument } from "../errors.js";
import { MARK_COMMENT, rewrite, type Diagnostic } from "./rewrite.js";
import { compose, decode, generatedPosition, originalPosition, type SourceMap } from "./sourcemap.js";

export interface AdjointPluginOptions {
  /** Where the rewritten code imports `precompiled` from (default "adjoint/transform/precompiled"). */
  readonly precompiledFrom?: string;
}

const SCRIPT = /\.(m?[jt]sx?)$/;
const TYPESCRIPT = /\.(m?tsx?)$/;

interface EsbuildModule {
  transform(code: string, options: { loader: "ts" | "tsx"; sourcefile: string; sourcemap: "external"; format?: "esm" }): Promise<{ code: string; map: string }>;
}

// `false`: one plugin per bundler, not an array, so `adjoint.vite().name` type-checks for users.
export const adjointPlugin = createUnplugin<AdjointPluginOptions | undefined, false>((options, meta) => {
  // Checked when the plugin is made, so a misspelt option fails the build's configuration, not silently.
  const { precompiledFrom } = expectOptions<AdjointPluginOptions>("adjointPlugin", options, ["precompiledFrom"]);
  if (precompiledFrom !== undefined && typeof precompiledFrom !== "string") {
    throw invalidArgument("adjointPlugin", `precompiledFrom must be a module specifier (a string), got ${describe(precompiledFrom)}`, {
      argument: "precompiledFrom",
      key: "precompiledFrom",
      got: describe(precompiledFrom),
    });
  }
  return pluginFor(precompiledFrom, meta.framework);
});

function pluginFor(precompiledFrom: string | undefined, framework: string): UnpluginOptions {
  return {
    name: "adjoint",
    enforce: "post",
    transformInclude(id) {
      const file = id.split("?")[0];
      return SCRIPT.test(file) && !file.includes("/node_modules/");
    },
    async transform(code, id) {
      if (!code.includes("differentiate")) return null;
      const file = id.split("?")[0];
      let js = code;
      let stripMap: SourceMap | undefined;
      let markedAt: Set<number> | undefined;
      if (framework === "esbuild" && TYPESCRIPT.test(file)) {
        const esbuild = (this.getNativeBuildContext?.() as { build?: { esbuild?: EsbuildModule } } | undefined)?.build?.esbuild;
        if (esbuild === undefined) return null;
        const stripped = await esbuild.transform(code, { loader: file.endsWith("x") ? "tsx" : "ts", sourcefile: file, sourcemap: "external" });
        js = stripped.code;
        stripMap = JSON.parse(stripped.map) as SourceMap;
        markedAt = marksAfterStripping(code, js, stripMap);
      }
      const out = rewrite(js, file, { precompiledFrom, markedAt });
      if (out === null) return null;
      const toFile = located(stripMap);
      for (const w of out.warnings) report(this, "warn", file, toFile(w));
      if (out.errors.length > 0) {
        // Rollup's and Vite's `error` throws; esbuild's (through unplugin) collects, so return too.
        for (const e of out.errors) report(this, "error", file, toFile(e));
        return null;
      }
      if (out.code === js) return null;
      return { code: out.code, map: stripMap === undefined ? out.map : compose(out.map, stripMap) };
    },
  };
}

/**
 * esbuild drops the `@differentiate` comments with the types: where each marked function starts in
 * the stripped code, found through the map from the first token after the comment.
 */
function marksAfterStripping(ts: string, js: string, stripMap: SourceMap): Set<number> {
  const lines = decode(stripMap.mappings);
  const jsLineStarts = [0];
  for (let i = js.indexOf("\n"); i >= 0; i = js.indexOf("\n", i + 1)) jsLineStarts.push(i + 1);
  const out = new Set<number>();
  for (const m of ts.matchAll(MARK_COMMENT)) {
    const end = m.index + m[0].length;
    const before = ts.slice(0, end);
    const line = before.split("\n").length - 1;
    const g = generatedPosition(lines, line, end - (before.lastIndexOf("\n") + 1));
    if (g !== undefined) out.add(jsLineStarts[g.line] + g.column);
  }
  return out;
}

/** Moves a diagnostic from the stripped JavaScript to the .ts file. */
function located(stripMap: SourceMap | undefined): (d: Diagnostic) => Diagnostic {
  if (stripMap === undefined) return (d) => d;
  const lines = decode(stripMap.mappings);
  return (d) => {
    const o = originalPosition(lines, d.line - 1, d.column - 1);
    if (o === undefined) return d;
    const line = o.line + 1;
    const column = o.column + 1;
    // The message repeats the location (AdError's "line L, column C"); keep it in the file's terms.
    return { message: d.message.replace(`line ${d.line}, column ${d.column}`, `line ${line}, column ${column}`), line, column };
  };
}

function report(ctx: UnpluginBuildContext & UnpluginContext, kind: "warn" | "error", file: string, d: Diagnostic): void {
  const message = { message: `${file}:${d.line}:${d.column}: ${d.message}`, id: file, loc: { file, line: d.line, column: d.column - 1 } };
  if (kind === "warn") ctx.warn(message);
  else ctx.error(message);
}

export default adjointPlugin;
