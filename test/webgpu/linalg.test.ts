import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  checked: number;
  failures: string[];
  errors: string[];
}

describe("linear algebra on the webgpu device (software adapter, in a child process)", () => {
  it(
    "triangularSolve matches the cpu (a zero diagonal raised at the read); the factorizations are refused naming the function and the way to the cpu",
    { timeout: 180_000 },
    async () => {
      const report = await runChecks<Report>("linalg.checks.ts");
      expect(report.errors).toEqual([]);
      expect(report.failures).toEqual([]);
      expect(report.checked).toBeGreaterThanOrEqual(23);
    },
  );
});
