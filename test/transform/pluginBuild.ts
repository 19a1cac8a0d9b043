/** Builds fixtures with the plugin (esbuild, Vite) in a scratch directory, "adjoint" resolved to src/. */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type BuildResult, type Plugin } from "esbuild";
import { adjointPlugin } from "../../src/plugin/index.js";

const SRC = fileURLToPath(new URL("../../src", import.meta.url));
export const ADJOINT_PATHS: Record<string, string> = {
  "adjoint": join(SRC, "index.ts"),
  "adjoint/transform": join(SRC, "transform/index.ts"),
  "adjoint/transform/precompiled": join(SRC, "transform/precompiled.ts"),
};

const resolveAdjoint: Plugin = {
  name: "resolve-adjoint",
  setup(b) {
    b.onResolve({ filter: /^adjoint(\/.*)?$/ }, (args) => ({ path: ADJOINT_PATHS[args.path] }));
  },
};

export function scratch(files: Record<string, string>): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "adjoint-plugin-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Runs `f` in a scratch directory holding `files`, removed afterwards whatever `f` does. */
export async function inScratch(files: Record<string, string>, f: (dir: string) => Promise<void>): Promise<void> {
  const s = scratch(files);
  try {
    await f(s.dir);
  } finally {
    s.done();
  }
}

export interface Bundled {
  readonly code: string;
  readonly result: BuildResult;
}

/**
 * Bundles `entry` in `dir` with the plugin (or without it: the run-time path, for comparison);
 * rejects (esbuild's error) if the plugin refuses code.
 */
export async function bundle(dir: string, entry: string, format: "esm" | "iife" = "esm", withPlugin = true): Promise<Bundled> {
  const result = await build({
    entryPoints: [join(dir, entry)],
    bundle: true,
    platform: format === "esm" ? "node" : "neutral",
    format,
    write: false,
    logLevel: "silent",
    plugins: withPlugin ? [resolveAdjoint, adjointPlugin.esbuild()] : [resolveAdjoint],
  });
  return { code: result.outputFiles![0].text, result };
}

/** Runs an ESM bundle with node; its stdout parsed as JSON. */
export function runNode(dir: string, code: string): unknown {
  const file = join(dir, "bundle.mjs");
  writeFileSync(file, code);
  return JSON.parse(execFileSync(process.execPath, [file], { encoding: "utf8" }));
}
