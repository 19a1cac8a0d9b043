/// <reference types="@webgpu/types" />
/**
 * GPU allocation failures as `AdError`s, on a fake GPUDevice (no adapter needed): a buffer over the
 * device's limits is refused at once, naming the op the user called, the bytes and the limit; a
 * buffer the GPU cannot back (an "out-of-memory" error scope that reports later) is raised at the
 * next read or `synchronize()`, naming the primitive, and is never pooled again. The real over-limit
 * size on the software adapter is in memory.checks.ts.
 */
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import { GPUBuffers } from "../../src/backends/webgpu/buffers.js";
import { webgpuDevice, type WebGPUDevice } from "../../src/backends/webgpu/device.js";
import type { WebGPUHandle } from "../../src/backends/webgpu/init.js";
import * as ops from "../../src/tensor/index.js";

const LIMITS = { minStorageBufferOffsetAlignment: 256, maxBufferSize: 1 << 20, maxStorageBufferBindingSize: 1 << 16 };

/** Any method the kernels call on a pipeline, encoder or pass: does nothing, returns another such object. */
const inert: object = new Proxy(() => inert, { get: (_, key) => (key === "then" ? undefined : inert), apply: () => inert });

/** A GPUDevice that records nothing, fails the creations `fails` picks as out of memory, and reads zeros. */
function fakeDevice(fails: (size: number) => boolean): { device: GPUDevice; created: number[] } {
  const created: number[] = [];
  const scopes: (GPUError | null)[] = [];
  const buffer = (size: number) => ({ size, mapAsync: async () => undefined, getMappedRange: () => new ArrayBuffer(size), unmap: () => undefined, destroy: () => undefined });
  const device = {
    lost: new Promise(() => undefined),
    limits: LIMITS,
    features: new Set(),
    pushErrorScope: () => void scopes.push(null),
    popErrorScope: () => Promise.resolve(scopes.pop() ?? null),
    createBuffer: ({ size }: { size: number }) => {
      created.push(size);
      if (fails(size) && scopes.length > 0) scopes[scopes.length - 1] = { message: "fake: not enough GPU memory" } as GPUError;
      return buffer(size);
    },
    createCommandEncoder: () => inert,
    createShaderModule: () => inert,
    createComputePipeline: () => inert,
    createBindGroup: () => inert,
    queue: { writeBuffer: () => undefined, submit: () => undefined, onSubmittedWorkDone: async () => undefined },
  };
  return { device: device as unknown as GPUDevice, created };
}

function handleOf(device: GPUDevice): WebGPUHandle {
  return { gpu: {} as GPU, device, adapter: { vendor: "fake", architecture: "", device: "", description: "" }, source: "option", shaderF16: false, lost: undefined };
}

let registered = 0;
function fakeGPU(fails: (size: number) => boolean = () => false): { gpu: WebGPUDevice; created: number[] } {
  const { device, created } = fakeDevice(fails);
  const gpu = ops.registerDevice(webgpuDevice(handleOf(device), `fakegpu${++registered}`)) as WebGPUDevice;
  return { gpu, created };
}

function thrown(f: () => unknown): AdError {
  try {
    f();
  } catch (error) {
    if (error instanceof AdError) return error;
    throw error;
  }
  throw new Error("did not throw");
}

async function rejected(p: Promise<unknown>): Promise<AdError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof AdError) return error;
    throw error;
  }
  throw new Error("did not reject");
}

describe("GPU buffers over the device's limits", () => {
  it("a storage buffer over maxStorageBufferBindingSize is an InvalidArgument at once, naming the bytes and the limit", () => {
    const buffers = new GPUBuffers(handleOf(fakeDevice(() => false).device));
    const error = thrown(() => buffers.allocate("float32", (1 << 14) + 1, "matmul"));
    expect(error.code).toBe("InvalidArgument");
    expect(error.details).toMatchObject({ device: "webgpu", kernel: "matmul", bytes: (1 << 16) + 4, limit: 1 << 16, limitName: "maxStorageBufferBindingSize" });
    // Exactly at the limit is fine (its size class would be over: it gets its own size).
    expect(buffers.allocate("float32", 1 << 14).buffer.size).toBe(1 << 16);
  });

  it("names the op the user called: tensor(), an elementwise op, to()", () => {
    const { gpu, created } = fakeGPU();
    const big = new Float32Array((1 << 14) + 1);
    expect(thrown(() => ops.tensor(big, { device: gpu.name })).details).toMatchObject({ op: "tensor", bytes: big.byteLength, limit: 1 << 16 });
    const a = ops.ones([200, 1], { device: gpu.name });
    const b = ops.ones([1, 200], { device: gpu.name });
    const sum = thrown(() => ops.add(a, b));
    expect(sum.code).toBe("InvalidArgument");
    expect(sum.details).toMatchObject({ op: "add", bytes: 200 * 200 * 4, limitName: "maxStorageBufferBindingSize" });
    expect(sum.message).toContain("65536");
    expect(thrown(() => ops.to(ops.ones([200, 200]), gpu.name)).details).toMatchObject({ op: "to", bytes: 200 * 200 * 4 });
    // Refused before asking the GPU: no buffer of that size was created.
    expect(created.filter((size) => size > LIMITS.maxStorageBufferBindingSize)).toEqual([]);
  });
});

describe("a GPU out of memory (reported asynchronously by its error scope)", () => {
  it("is raised at the next read, naming the primitive and the bytes; once; the buffer is not pooled", async () => {
    const { gpu } = fakeGPU((size) => size === 4096);
    const x = ops.ones([8], { device: gpu.name });
    await x.read();
    const y = ops.add(ops.ones([2, 1], { device: gpu.name }), ops.ones([1, 512], { device: gpu.name }));
    const error = await rejected(x.read());
    expect(error.code).toBe("InvalidArgument");
    expect(error.details).toMatchObject({ op: "add", device: "webgpu", bytes: 4096 });
    expect(error.message).toContain("out of memory");
    // Raised once: later reads are clean.
    expect(Array.from(await x.read())).toEqual(Array(8).fill(0));
    const before = gpu.counters;
    y.dispose();
    await gpu.synchronize();
    ops.add(ops.ones([2, 1], { device: gpu.name }), ops.ones([1, 512], { device: gpu.name }));
    // The broken buffer was destroyed, not pooled: the next one of its size is created anew.
    expect(gpu.counters.allocatedBytes).toBeGreaterThanOrEqual(before.allocatedBytes);
    expect(gpu.counters.allocations).toBeGreaterThan(before.allocations);
  });

  it("an error scope that rejects (as on a lost device) does not reject the read with a foreign error", async () => {
    const { gpu } = fakeGPU();
    (gpu.handle.device as unknown as { popErrorScope: () => Promise<never> }).popErrorScope = () => Promise.reject(new Error("fake: the device is gone"));
    const x = ops.ones([4], { device: gpu.name });
    expect(Array.from(await x.read())).toEqual([0, 0, 0, 0]);
  });

  it("synchronize() raises it too", async () => {
    const { gpu } = fakeGPU((size) => size === 2048);
    ops.ones([512], { device: gpu.name });
    const error = await rejected(gpu.synchronize());
    // An upload names the device's write.
    expect(error.details).toMatchObject({ op: `${gpu.name}.write`, bytes: 2048, device: "webgpu" });
    await gpu.synchronize();
  });
});
