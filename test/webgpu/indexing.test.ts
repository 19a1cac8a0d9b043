import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  checked: number;
  failures: string[];
  errors: string[];
}

describe("indexing and random bits on the webgpu device (software adapter, in a child process)", () => {
  it("gather, scatterAdd, oneHot and threefry2x32 match the cpu bit for bit; bad indices raise the cpu's error at the next read", { timeout: 180_000 }, async () => {
    const report = await runChecks<Report>("indexing.checks.ts");
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(30);
  });
});
