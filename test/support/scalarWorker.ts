/**
 * The scalar worker script (src/parallel/scalarWorker.ts) as one ES module file, bundled as a user's
 * bundler would: Node cannot run the TypeScript source in a worker thread, and the package's own
 * script exists only in dist/. Built once per test file, into a temporary directory removed at exit.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

let built: Promise<string> | undefined;

/** The path of the bundled worker script (pass it as parallelGradient's `worker` option). */
export function scalarWorkerScript(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "adjoint-scalar-worker-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const outfile = join(dir, "scalarWorker.mjs");
    await build({ entryPoints: ["src/parallel/scalarWorker.ts"], bundle: true, format: "esm", platform: "node", target: "es2022", outfile, logLevel: "silent" });
    return outfile;
  })();
  return built;
}
