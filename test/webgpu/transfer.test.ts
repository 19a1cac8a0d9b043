import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  checked: number;
  failures: string[];
  errors: string[];
}

describe("moving tensors between the GPU and the host (software adapter, in a child process)", () => {
  it("to('cpu') is refused naming toAsync; toAsync copies; gradients cross both ways and equal the all-cpu ones", { timeout: 180_000 }, async () => {
    const report = await runChecks<Report>("transfer.checks.ts");
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(13);
  });
});
