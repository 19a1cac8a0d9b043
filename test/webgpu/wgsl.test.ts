import { describe, expect, it } from "vitest";
import { isAdError } from "../../src/errors.js";
import { BINARY_EXPRESSIONS, UNARY_EXPRESSIONS } from "../../src/backends/expressions.js";
import { GPUBuffers } from "../../src/backends/webgpu/buffers.js";
import { initWebGPU, type WebGPUHandle } from "../../src/backends/webgpu/init.js";
import { elementwiseShader } from "../../src/backends/webgpu/shader.js";
import { BINARY_WGSL, UNARY_WGSL } from "../../src/backends/webgpu/wgsl.js";

describe("the WGSL table covers the expression table", () => {
  // The tables are typed against the expression table; this walks them so a body cannot be an empty string either.
  it.each(Object.keys(UNARY_EXPRESSIONS))("unary %s has an f32 body in its shader", (op) => {
    const body = (UNARY_WGSL as Record<string, { f32: string }>)[op]?.f32;
    expect(body).toMatch(/\S/);
    expect(elementwiseShader({ inputs: ["float32"], output: "float32", rank: 2, compute: "f32" }, body)).toContain(body);
  });
  it.each(Object.keys(BINARY_EXPRESSIONS))("binary %s has an f32 body in its shader", (op) => {
    const body = (BINARY_WGSL as Record<string, { f32: string }>)[op]?.f32;
    expect(body).toMatch(/\S/);
    expect(elementwiseShader({ inputs: ["float32", "float32"], output: "float32", rank: 2, compute: "f32" }, body)).toContain(body);
  });
  it("has no body for an op the expression table lacks", () => {
    expect(Object.keys(UNARY_WGSL).sort()).toEqual(Object.keys(UNARY_EXPRESSIONS).sort());
    expect(Object.keys(BINARY_WGSL).sort()).toEqual(Object.keys(BINARY_EXPRESSIONS).sort());
  });
});

describe("initWebGPU and buffers: errors without a GPU", () => {
  const rejection = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e,
    );

  it("refuses unknown options and a bad powerPreference or gpu", async () => {
    const unknown = await rejection(initWebGPU({ powerPrefrence: "low-power" } as never));
    expect(isAdError(unknown, "InvalidArgument") && unknown.details.op).toBe("initWebGPU");
    expect(isAdError(await rejection(initWebGPU({ powerPreference: "fast" as never })), "InvalidArgument")).toBe(true);
    expect(isAdError(await rejection(initWebGPU({ gpu: {} as GPU })), "InvalidArgument")).toBe(true);
  });

  it("no adapter is an UnsupportedOp naming what was tried", async () => {
    const gpu = { requestAdapter: async () => null } as unknown as GPU;
    const error = await rejection(initWebGPU({ gpu, powerPreference: "high-performance" }));
    expect(isAdError(error, "UnsupportedOp")).toBe(true);
    expect((error as Error).message).toContain("no WebGPU adapter");
    expect((error as { details: { tried: string[] } }).details.tried).toEqual(["option.requestAdapter(high-performance)"]);
  });

  it("writing float64 is an UnsupportedOp naming the device, not a downcast", () => {
    const device = { lost: new Promise(() => undefined), limits: { minStorageBufferOffsetAlignment: 256 } } as unknown as GPUDevice;
    const buffers = new GPUBuffers({ device, lost: undefined } as WebGPUHandle);
    let error: unknown;
    try {
      buffers.write(new Float64Array([1.5]));
    } catch (e) {
      error = e;
    }
    expect(isAdError(error, "UnsupportedOp")).toBe(true);
    expect((error as { details: Record<string, unknown> }).details).toMatchObject({ op: "webgpu.write", device: "webgpu", dtype: "float64" });
  });
});
