/**
 * The data-parallel worker module for tests: Node cannot run src/parallel/worker.ts itself (it is
 * TypeScript), so it is bundled once per test process by esbuild into a temporary .mjs — the same
 * sources the test imports — and passed as `workerUrl` (a built package finds dist's worker.js by
 * default).
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { bundleForNode } from "./bundle.js";

const ROOT = resolve(import.meta.dirname, "../..");
const built = new Map<string, Promise<URL>>();

/** The URL of `entry` (a path from the repository's root; default the data-parallel worker) bundled. */
export function workerUrl(entry = "src/parallel/worker.ts"): Promise<URL> {
  let url = built.get(entry);
  if (url === undefined) built.set(entry, (url = bundleWorker(entry)));
  return url;
}

async function bundleWorker(entry: string): Promise<URL> {
  const outfile = join(mkdtempSync(join(tmpdir(), "adjoint-parallel-")), "worker.mjs");
  await bundleForNode(join(ROOT, entry), outfile);
  return pathToFileURL(outfile);
}
