/**
 * A device whose buffers the host cannot index (as a GPU's): each is a box `{ dtype, length }` with
 * its typed array kept out of reach (a WeakMap), and its kernels are the reference's over the
 * unboxed arrays. Tensors on it compute, differentiate, move to and from the host (which, for a
 * device without a synchronous read, is an `UnsupportedOp` naming the asynchronous one) and read.
 */
import { describe, expect, it } from "vitest";
import type { OpaqueBuffer } from "../../src/backends/buffer.js";
import type { Storage } from "../../src/backends/dtype.js";
import * as ops from "../../src/tensor/index.js";
import { backendKernels, registerDevice, type Backend, type Device, type DeviceBuffer } from "../../src/tensor/index.js";
import { errorCode, thrown } from "../support/errorCode.js";

const contents = new WeakMap<OpaqueBuffer, Storage>();

function box(data: Storage): OpaqueBuffer {
  const buffer: OpaqueBuffer = {
    dtype: data instanceof Float32Array ? "float32" : data instanceof Float64Array ? "float64" : data instanceof Int32Array ? "int32" : "bool",
    length: data.length,
  };
  contents.set(buffer, data);
  return buffer;
}

function unbox(buffer: DeviceBuffer): Storage {
  const data = contents.get(buffer as OpaqueBuffer);
  if (data === undefined) throw new Error("not a boxed buffer");
  return data;
}

/** An argument with its boxed views unboxed (views, lists of views, anything else as it is). */
function unboxed(arg: unknown): unknown {
  if (Array.isArray(arg)) return arg.map(unboxed);
  if (typeof arg === "object" && arg !== null && "storage" in arg) {
    const v = arg as { storage: DeviceBuffer; dtype: string; shape: unknown; strides: unknown; offset: number };
    return { storage: unbox(v.storage), dtype: v.dtype, shape: v.shape, strides: v.strides, offset: v.offset };
  }
  return arg;
}

function boxedKernels(): Backend {
  const wrapped: Record<string, unknown> = {};
  for (const [name, kernel] of Object.entries(backendKernels("cpu"))) {
    wrapped[name] =
      typeof kernel !== "function"
        ? "boxed"
        : (...args: unknown[]) => {
            const out = (kernel as (...a: unknown[]) => unknown)(...args.map(unboxed));
            return ArrayBuffer.isView(out) && name !== "maxPool2dArgmax" ? box(out as Storage) : out;
          };
  }
  return wrapped as unknown as Backend;
}

const boxed: Device = registerDevice({
  name: "boxed",
  kind: "test",
  kernels: boxedKernels(),
  write: (data) => box(data.slice()),
  adopt: (buffer) => (ArrayBuffer.isView(buffer) ? box(buffer) : buffer),
  free: () => {},
  read: async (buffer) => unbox(buffer).slice(),
  run: (_op, kernel) => kernel(),
});

describe("a device with opaque buffers", () => {
  const x = ops.tensor(
    [
      [1, -2, 3],
      [-4, 5, -6],
    ],
    { device: "boxed" },
  );

  it("holds tensors whose storage is not a typed array", () => {
    expect(ArrayBuffer.isView(x.storage)).toBe(false);
    expect(x.storage).toMatchObject({ dtype: "float32", length: 6 });
  });

  it("computes and reads back asynchronously", async () => {
    const y = ops.sum(ops.relu(ops.mul(x.transpose(), 2)), 0);
    expect(y.device).toBe(boxed);
    expect(ArrayBuffer.isView(y.storage)).toBe(false);
    expect(Array.from(await y.read())).toEqual([8, 10]);
  });

  it("differentiates on the device", async () => {
    const w = ops.tensor([0.5, -1, 2], { device: "boxed", requiresGrad: true });
    const loss = ops.sum(ops.relu(ops.add(ops.matmul(x, ops.reshape(w, [3, 1])), 1)));
    loss.backward();
    const cpuW = ops.tensor([0.5, -1, 2], { requiresGrad: true });
    ops
      .sum(
        ops.relu(
          ops.add(
            ops.matmul(
              ops.tensor([
                [1, -2, 3],
                [-4, 5, -6],
              ]),
              ops.reshape(cpuW, [3, 1]),
            ),
            1,
          ),
        ),
      )
      .backward();
    expect(w.grad?.device).toBe(boxed);
    expect(Array.from(await w.grad!.read())).toEqual(Array.from(cpuW.grad!.data()));
  });

  it("refuses synchronous reads, naming the asynchronous one", () => {
    expect(errorCode(() => x.data())).toBe("UnsupportedOp");
    expect(errorCode(() => ops.sum(x).item())).toBe("UnsupportedOp");
  });

  it("moves host data in, and refuses moving out synchronously with UnsupportedOp naming toAsync", async () => {
    const h = ops.tensor([1, 2, 3]);
    const on = h.to("boxed");
    expect(Array.from(await on.read())).toEqual([1, 2, 3]);
    const error = thrown(() => on.to("cpu"));
    expect(error.code).toBe("UnsupportedOp");
    expect(error.details).toMatchObject({ op: "to", device: "boxed" });
    expect(error.message).toContain("toAsync");
    expect((await on.transpose().toAsync("cpu")).toArray()).toEqual([1, 2, 3]);
  });

  it("host leaves used on the device: backward refuses naming backwardAsync, which gives the host's gradient", async () => {
    const loss = (a: ops.Tensor) => ops.sum(ops.mul(ops.sin(a), a));
    const want = ops.tensor([0.5, -1, 2], { requiresGrad: true });
    loss(want).backward();
    const leaf = ops.tensor([0.5, -1, 2], { requiresGrad: true });
    const crossed = loss(leaf.to("boxed"));
    const error = thrown(() => crossed.backward());
    expect(error.details).toMatchObject({ op: "backward", device: "boxed" });
    expect(error.message).toContain("backwardAsync");
    await crossed.backwardAsync();
    expect(leaf.grad?.device.name).toBe("cpu");
    expect(leaf.grad?.toArray()).toEqual(want.grad?.toArray());
  });
});
