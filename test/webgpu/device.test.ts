import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  checked: number;
  failures: string[];
  errors: string[];
}

describe("the webgpu device through the tensor API (software adapter, in a child process)", () => {
  it("creates, copies, multiplies, differentiates, reads and frees on the GPU; refuses what is not there yet", { timeout: 180_000 }, async () => {
    const report = await runChecks<Report>("device.checks.ts");
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(20);
  });
});
