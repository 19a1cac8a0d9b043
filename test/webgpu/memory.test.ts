import { describe, expect, it } from "vitest";
import type { MemoryReport } from "./memory.checks.js";
import { runChecks } from "./runChecks.js";

describe("batched submission and the buffer pool of the webgpu device (software adapter, in a child process)", () => {
  it("trains an MLP in one submit and one map per step with flat memory; views outlive a sibling's dispose", { timeout: 180_000 }, async () => {
    const report = await runChecks<MemoryReport>("memory.checks.ts");
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    // Forward, backward and the SGD update are one batch: one submit, and one map for the loss read.
    for (const step of report.steps) expect({ submits: step.submits, maps: step.maps }).toEqual({ submits: 1, maps: 1 });
    // Step 1 creates the buffers, step 2 those of the gradients step 1's still held; none after.
    expect(report.steps[0].allocations).toBeGreaterThan(0);
    for (const step of report.steps.slice(2)) expect(step.allocations).toBe(0);
    const { loop } = report;
    expect(loop.steps).toBeGreaterThanOrEqual(10);
    // No step creates a buffer, unless the collection before it was still releasing after 5 s (a loaded machine).
    expect(loop.changes).toEqual([]);
    expect(loop.late).toBeLessThan(loop.steps / 2);
    expect(loop.lastLoss).toBeLessThan(loop.firstLoss / 10);
    // 300 recorded adds and no read: a submit at each 128 dispatches, flush() sends the rest; nothing mapped.
    expect(report.batches).toEqual({ submits: [2, 1], maps: 0, value: 300 });
    // A buffer freed under pending work is not handed to a write (which the queue would order first).
    expect(report.ordered).toEqual([6, 5]);
    // A buffer from the pool holds its last owner's values until the recorded clear.
    expect(report.padded).toEqual([0, 1, 1, 1, 1, 1, 1, 1, 1, 0]);
    expect(report.views.siblings).toEqual([
      [1, 2, 3, 4, 5, 6],
      [2, 5],
    ]);
    // Disposing two of three views releases nothing; the last releases the buffer (24 bytes).
    expect(report.views.inUseDrop).toEqual([0, 24]);
    expect(report.reuse).toEqual({ add: { code: "StaleVariable", op: "add" }, read: { code: "StaleVariable", op: "Tensor.read" } });
    expect(report.using[1]).toBe(report.using[0]);
  });
});
