/**
 * Runs a GPU checks script (test/webgpu/*.checks.ts) in a child `node`: the software Vulkan driver
 * (Chromium's SwiftShader) is found through LD_LIBRARY_PATH, which the dynamic loader reads only at
 * process start, so it cannot be set from inside the test process. The script is bundled with
 * esbuild next to node_modules (where it resolves the `webgpu` package) and prints one JSON line.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { bundleForNode } from "../support/bundle.js";

const ROOT = resolve(import.meta.dirname, "../..");
const CHROMIUM = "/usr/lib/chromium";

export const GPU_ENV = {
  VK_ICD_FILENAMES: join(CHROMIUM, "vk_swiftshader_icd.json"),
  LD_LIBRARY_PATH: [CHROMIUM, process.env.LD_LIBRARY_PATH].filter(Boolean).join(":"),
  XDG_RUNTIME_DIR: process.env.XDG_RUNTIME_DIR ?? "/tmp",
};

/** The script's JSON report; throws (failing the test) with the child's output if there is none. */
export async function runChecks<T>(script: string, timeoutMs = 120_000): Promise<T> {
  const dir = join(ROOT, "node_modules", ".cache", "adjoint-webgpu");
  mkdirSync(dir, { recursive: true });
  const outfile = join(dir, `${process.pid}-${Date.now()}-${script.replace(/\W/g, "_")}.mjs`);
  try {
    await bundleForNode(join(ROOT, "test/webgpu", script), outfile);
    const child = spawnSync(process.execPath, [outfile], { env: { ...process.env, ...GPU_ENV }, encoding: "utf8", timeout: timeoutMs });
    const line = child.stdout
      ?.split("\n")
      .reverse()
      .find((l) => l.startsWith("{"));
    if (child.status !== 0 || line === undefined) {
      throw new Error(`${script} exited with ${child.status ?? child.signal} and no report:\n${child.stdout}\n${child.stderr}`);
    }
    return JSON.parse(line) as T;
  } finally {
    rmSync(outfile, { force: true });
  }
}
