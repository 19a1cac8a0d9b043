/**
 * jit on WebGPU (software adapter, in a child process): fused elementwise groups become generated
 * WGSL (`code=wgsl`), equal eager on the GPU, and a jitted training step still submits once.
 */
import { describe, expect, it } from "vitest";
import { runChecks } from "./runChecks.js";

interface Report {
  texts: Record<string, string>;
  bitEqual: Record<string, boolean>;
  steps: { submits: number; maps: number; dispatches: number; loss: number }[];
  eagerDispatches: number;
  generated: number;
  failures: string[];
  errors: string[];
}

describe("jit on the webgpu device", () => {
  it("fuses elementwise groups into WGSL, equal to eager; a jitted step is one submit and one map", { timeout: 240_000 }, async () => {
    const report = await runChecks<Report>("jit.checks.ts", 200_000);
    expect(report.errors).toEqual([]);
    expect(report.failures).toEqual([]);
    const { texts } = report;
    for (const name of Object.keys(texts)) if (name !== "halves") expect(texts[name], name).toContain("code=wgsl");
    expect(texts.halves).not.toContain("fused");
    expect(texts.chain).toContain("fused[ops=(sin,mul,add,tanh), code=wgsl] a b d");
    // A comparison's bool inside the group, feeding where.
    expect(texts.where).toContain("fused[ops=(gt,abs,sqrt,mul,where), code=wgsl]");
    expect(texts.ints).toContain("fused[ops=(mul,cast,gt,cast,add,cast,mul), code=wgsl]");
    // A sum over every axis or over some is folded into the group's shader.
    expect(texts.sum).toContain("fused[ops=(sigmoid,mul,sum), code=wgsl]");
    expect(texts.chainF).toContain("fused[ops=(sin,cos,mul,tanh,mul,add,sum), code=wgsl]");
    expect(texts.rowSums).toContain("c:f32[5] = fused[ops=(cos,mul,sum), code=wgsl]");
    expect(texts.columnSums).toContain("f32[1,7] = fused[ops=(relu,mul,sum), code=wgsl]");
    expect(texts.outerSums).toContain("f32[5] = fused[ops=(sin,mul,sum), code=wgsl]");
    for (const name of ["rowSums", "columnSums", "outerSums"]) expect(texts[name], name).not.toContain("= sum");
    // The slice's gradient read through windows, its zeros never stored.
    expect(texts.sliceGrad).toContain("fused[ops=(unslice,unslice,add), code=wgsl]");
    expect(texts.sliceGrad).not.toContain("= unslice");
    // The shader computes each op as the single kernel does and sums in the reduction's order: on
    // SwiftShader the jitted results are eager's bits.
    expect(Object.values(report.bitEqual).every(Boolean), JSON.stringify(report.bitEqual)).toBe(true);
    for (const step of report.steps) expect({ submits: step.submits, maps: step.maps }).toEqual({ submits: 1, maps: 1 });
    expect(report.steps[3].loss).toBeLessThan(report.steps[0].loss);
    expect(report.steps[1].dispatches).toBeLessThan(report.eagerDispatches);
    expect(report.generated).toBeGreaterThanOrEqual(24);
  });
});
