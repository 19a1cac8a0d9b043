import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  adapter: { vendor: string; architecture: string; description: string };
  checked: number;
  pipelines: number;
  failures: string[];
  errors: string[];
}

// No skip: CI has Chromium's SwiftShader, so a missing adapter fails here with initWebGPU's reason.
describe("webgpu kernels (software adapter, in a child process)", () => {
  it("every op of the expression table, where and the reductions match the reference kernels", { timeout: 180_000 }, async () => {
    const report = await runChecks<Report>("kernels.checks.ts");
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    // Every unary op × 2 layouts × its dtype cases, every binary op × broadcast and strided, where, the reductions, edges.
    expect(report.checked).toBeGreaterThan(500);
    expect(report.adapter.vendor).not.toBe(undefined);
  });
});
