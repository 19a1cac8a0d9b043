/**
 * Control flow on WebGPU (software adapter, in a child process): scan's body and its gradient run on
 * the GPU and match the cpu; cond and whileLoop read their predicate on the host each step, which a
 * GPU cannot answer synchronously, so they are `UnsupportedOp` naming the op and the device.
 */
import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  scan: number;
  grad: number;
  refused: string[];
  failures: string[];
  errors: string[];
}

describe("control flow on the webgpu device", () => {
  it("runs scan and its gradient on the GPU, and refuses cond and whileLoop", { timeout: 180_000 }, async () => {
    const report = await runChecks<Report>("control.checks.ts");
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.refused).toEqual(["cond on webgpu", "whileLoop on webgpu"]);
  });
});
