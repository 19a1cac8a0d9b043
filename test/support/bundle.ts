/**
 * One entry file bundled with esbuild into a single ES module Node runs (a worker's entry, a child
 * process's script): the test suites that start code in another thread or process share this.
 */
import { build } from "esbuild";

export async function bundleForNode(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    // The Node WebGPU binding is a native module: loaded from node_modules at run time.
    external: ["webgpu"],
    logLevel: "error",
  });
}
