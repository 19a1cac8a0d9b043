import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";
import { UNSUPPORTED_ON_WEBGPU } from "./unsupported.js";

interface Report {
  checked: number;
  failures: string[];
  errors: string[];
  unsupported: [string, string][];
}

describe("float16 on the GPU (software adapter, in a child process)", () => {
  it(
    "converts bit for bit as the cpu (torch's table, all 65536 halves, odd lengths); ops, views, writes, gradients and every registry case equal the cpu's",
    { timeout: 180_000 },
    async () => {
      const report = await runChecks<Report>("float16.checks.ts");
      expect(report.errors).toEqual([]);
      expect(report.failures).toEqual([]);
      // Every primitive's case ran with float16 inputs: what is refused is what float32 refuses.
      expect(report.unsupported.map(([c]) => c).sort()).toEqual([...UNSUPPORTED_ON_WEBGPU].sort());
      expect(report.checked).toBeGreaterThanOrEqual(17 + 80);
    },
  );
});
