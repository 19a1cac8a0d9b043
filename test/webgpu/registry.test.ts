/**
 * The registry meta-test on WebGPU: every primitive's case either matches the cpu on the GPU or is
 * refused with `UnsupportedOp`, and the refused ones are exactly the committed list (unsupported.ts).
 * A primitive that breaks, or a new one without a GPU kernel, fails here; one that starts working
 * fails too, until it is taken off the list — the list only shrinks.
 */
import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";
import { UNSUPPORTED_ON_WEBGPU } from "./unsupported.js";

interface Report {
  unsupported: [string, string][];
  checked: number;
  failures: string[];
  errors: string[];
}

describe("every registry primitive on the webgpu device (software adapter, in a child process)", () => {
  it("matches the cpu, or is UnsupportedOp and on the committed list", { timeout: 180_000 }, async () => {
    const report = await runChecks<Report>("registry.checks.ts");
    console.log(`not on the GPU yet (case: the op that refused): ${report.unsupported.map(([c, op]) => `${c}: ${op}`).join(", ")}`);
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    expect(report.unsupported.map(([c]) => c).sort()).toEqual([...UNSUPPORTED_ON_WEBGPU].sort());
    expect(report.checked + report.unsupported.length).toBeGreaterThan(40);
  });
});
