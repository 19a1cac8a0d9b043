/**
 * `npm start -- --device webgpu`: the demo trains on the GPU where an adapter exists (here Chromium's
 * software adapter, SwiftShader, through the `webgpu` package, so one short step: it is slow), and
 * where none exists it says why and trains on the cpu. Runs the built demo (dist/), as demo.test.ts does.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadFile } from "../src/nn/index.js";
import { GPU_ENV } from "./webgpu/runChecks.js";

const out = mkdtempSync(join(tmpdir(), "adjoint-demo-device-"));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const SHORT = ["--model", "mlp", "--epochs", "1", "--limit", "64", "--target", "0.05", "--out", out];

function run(args: string[], env: NodeJS.ProcessEnv): { stdout: string; stderr: string; status: number } {
  try {
    return { stdout: execFileSync(process.execPath, ["dist/demo/train.js", ...args], { encoding: "utf8", timeout: 300_000, env, stdio: "pipe" }), stderr: "", status: 0 };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; status?: number };
    return { stdout: err.stdout ?? "", stderr: err.stderr ?? "", status: err.status ?? -1 };
  }
}

describe("the training demo's --device flag", () => {
  it("--device webgpu on the software adapter: the parameters train on the GPU and are saved from it", async () => {
    const { stdout, stderr, status } = run(SHORT.concat(["--device", "webgpu"]), { ...process.env, ...GPU_ENV });
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/device webgpu \(adapter .*swiftshader.* from the webgpu package; a software adapter/);
    expect(stdout).toMatch(/test: loss \d\.\d{4} {2}accuracy \d+\.\d\d%/);
    expect(stdout).toMatch(/✓ test accuracy/);
    const loaded = await loadFile(join(out, "model.safetensors"));
    expect(Object.fromEntries(Object.entries(loaded.tensors).map(([k, t]) => [k, t.shape]))).toEqual({
      "1.weight": [256, 784],
      "1.bias": [256],
      "3.weight": [10, 256],
      "3.bias": [10],
    });
    expect(loaded.tensors["1.weight"].data().every(Number.isFinite)).toBe(true);
  }, 320_000);

  it("--device webgpu with no adapter (no Vulkan driver): says why, and trains on the cpu", () => {
    const env = { ...process.env, VK_ICD_FILENAMES: "/nonexistent/icd.json", LD_LIBRARY_PATH: "" };
    const { stdout, stderr, status } = run(SHORT.concat(["--device", "webgpu"]), env);
    expect(status, stderr).toBe(0);
    expect(stdout).toMatch(/--device webgpu: .*no WebGPU adapter; tried .*webgpu package/);
    expect(stdout).toMatch(/Training on the cpu instead/);
    expect(stdout).toMatch(/device cpu \(\w+ backend; no WebGPU adapter\)/);
    expect(stdout).toMatch(/✓ test accuracy/);
  }, 150_000);

  it("refuses a device it does not know", () => {
    const { stderr, status } = run(["--device", "tpu"], process.env);
    expect(status).toBe(2);
    expect(stderr).toMatch(/--device must be cpu or webgpu, got tpu/);
  });
});
