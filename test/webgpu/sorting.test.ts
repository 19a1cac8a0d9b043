import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  checked: number;
  failures: string[];
  errors: string[];
}

describe("searchsorted and the sorting composites on the webgpu device (software adapter, in a child process)", () => {
  it("searchsorted, sort, topk, median and cummax match the cpu bit for bit and stay on the GPU", { timeout: 180_000 }, async () => {
    const report = await runChecks<Report>("sorting.checks.ts");
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(24);
  });
});
