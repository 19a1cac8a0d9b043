import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  checked: number;
  failures: string[];
  errors: string[];
}

describe("the demo's GPT on the GPU (software adapter, in a child process)", () => {
  it("one AdamW step of a tiny GPT gives the cpu's loss, gradients and parameters; a bad label is reported at the next read", { timeout: 240_000 }, async () => {
    const report = await runChecks<Report>("gpt.checks.ts", 200_000);
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.checked).toBeGreaterThanOrEqual(10);
  });
});
