import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  checked: number;
  failures: string[];
  errors: string[];
}

describe("float16 on the GPU (software adapter, in a child process)", () => {
  it("converts bit for bit as the cpu (torch's table, all 65536 halves, odd lengths); ops, views, writes and gradients equal the cpu's", { timeout: 180_000 }, async () => {
    const report = await runChecks<Report>("float16.checks.ts");
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(17);
  });
});
