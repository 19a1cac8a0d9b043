/**
 * uint8 and int8 (issue 18): creation refuses values out of range, `cast` between every pair of
 * dtypes, wrapping arithmetic and promotion, each against PyTorch (golden data from
 * test/golden/nn18.py); safetensors U8/I8 both ways; the wasm backend agrees with the cpu one; the
 * webgpu device refuses them with an UnsupportedOp naming it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadSafetensors, saveSafetensors } from "../../src/nn/index.js";
import * as ops from "../../src/tensor/index.js";
import { cast, DTYPES, tensor, type DType, type Tensor } from "../../src/tensor/index.js";
import { dtypeOfArray } from "../../src/tensor/dtype.js";
import { GPUBuffers } from "../../src/backends/webgpu/buffers.js";
import type { WebGPUHandle } from "../../src/backends/webgpu/init.js";
import { thrown } from "../support/errorCode.js";

interface Golden {
  readonly casts: { samples: Record<DType, number[]>; values: Record<DType, Record<DType, (number | string)[]>> };
  readonly byteOps: Record<string, { dtype: string; value: number | number[] }>;
}
const golden = JSON.parse(readFileSync(new URL("../golden/nn18.json", import.meta.url), "utf8")) as Golden;
const ours = (d: string): string => (d === "int64" || d === "int16" ? "int32" : d);

const U = tensor([200, 100, 7, 0, 255], { dtype: "uint8" });
const I8 = tensor([100, -100, 7, -128, 127], { dtype: "int8" });
const BYTE_OPS: Record<string, () => Tensor> = {
  add_uint8: () => ops.add(U, tensor([100, 200, 1, 0, 1], { dtype: "uint8" })),
  sub_uint8: () => ops.sub(U, tensor([201, 0, 8, 1, 255], { dtype: "uint8" })),
  mul_uint8: () => ops.mul(U, tensor([2, 3, 40, 9, 255], { dtype: "uint8" })),
  neg_uint8: () => ops.neg(U),
  add_int8: () => ops.add(I8, tensor([100, -100, 1, -1, 1], { dtype: "int8" })),
  mul_int8: () => ops.mul(I8, tensor([2, 3, -40, 1, 2], { dtype: "int8" })),
  neg_int8: () => ops.neg(I8),
  add_uint8_int8: () => ops.add(U, I8),
  add_uint8_number: () => ops.add(U, 100),
  mul_int8_number: () => ops.mul(I8, 3),
  add_uint8_float: () => ops.add(U, 0.5),
  add_uint8_int32: () => ops.add(U, tensor([1000, -1, 0, 5, 1], { dtype: "int32" })),
  sum_uint8: () => ops.sum(U),
  max_int8: () => ops.max(I8),
  gt_uint8_int8: () => ops.gt(U, I8),
  div_uint8: () => ops.div(U, tensor([3, 7, 2, 1, 5], { dtype: "uint8" })),
};

describe("uint8 and int8 against PyTorch", () => {
  it.each(DTYPES.flatMap((a) => DTYPES.map((b) => [a, b] as const)))("cast %s → %s", (from, to) => {
    const x = tensor(golden.casts.samples[from], { dtype: from });
    const y = cast(x, to);
    expect(y.dtype).toBe(to);
    // ±∞ (int32 70000 as float16) is a string in JSON.
    expect(Array.from(y.data(), Number)).toEqual(golden.casts.values[from][to].map((v) => (to === "float32" ? Math.fround(Number(v)) : Number(v))));
  });

  it.each(Object.keys(BYTE_OPS))("%s: PyTorch's dtype (int64 and int16 as int32) and values", (name) => {
    const expected = golden.byteOps[name];
    const y = BYTE_OPS[name]();
    expect(y.dtype).toBe(ours(expected.dtype));
    const values = Array.isArray(expected.value) ? expected.value : [expected.value];
    Array.from(y.data(), Number).forEach((v, i) => expect(Math.abs(v - values[i])).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(values[i]))));
  });

  it("covers every golden operation", () => expect(Object.keys(BYTE_OPS).sort()).toEqual(Object.keys(golden.byteOps).sort()));
});

describe("uint8 and int8 creation", () => {
  it("refuses a value out of range or fractional, naming the dtype and the position", () => {
    for (const [dtype, bad, index] of [
      ["uint8", [0, 256], 1],
      ["uint8", [-1], 0],
      ["uint8", [1, 2.5], 1],
      ["int8", [127, 128], 1],
      ["int8", [-129], 0],
      ["int8", [NaN], 0],
    ] as const) {
      const e = thrown(() => tensor([...bad], { dtype }));
      expect(e.code).toBe("InvalidArgument");
      expect(e.details).toMatchObject({ op: "tensor", dtype, index });
    }
  });

  it("holds the whole range, prints integers, and a uint8 tensor's storage is not a bool mask's", () => {
    expect(tensor([0, 255], { dtype: "uint8" }).toArray()).toEqual([0, 255]);
    expect(tensor([-128, 127], { dtype: "int8" }).toArray()).toEqual([-128, 127]);
    expect(String(tensor([3, 250], { dtype: "uint8" }))).toContain("250");
    expect(dtypeOfArray(ops.zeros([2], { dtype: "uint8" }).data())).toBe("uint8");
    expect(dtypeOfArray(ops.zeros([2], { dtype: "bool" }).data())).toBe("bool");
    expect(tensor(new Int8Array([-3, 4])).dtype).toBe("int8");
  });
});

describe("uint8 and int8 in safetensors", () => {
  it("save as U8 and I8 and load back with their dtypes and values", () => {
    const bytes = saveSafetensors({ u: tensor([0, 200, 255], { dtype: "uint8" }), i: tensor([-128, -1, 127], { dtype: "int8" }) });
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true))));
    expect(header).toContain('"dtype":"U8"');
    expect(header).toContain('"dtype":"I8"');
    const back = loadSafetensors(bytes);
    expect([back.u.dtype, back.u.toArray()]).toEqual(["uint8", [0, 200, 255]]);
    expect([back.i.dtype, back.i.toArray()]).toEqual(["int8", [-128, -1, 127]]);
  });
});

describe("uint8 and int8 on every backend", () => {
  it("the wasm backend gives the cpu backend's answers (its kernels take floats and fall back to the cpu ones)", async () => {
    const run = () =>
      [ops.add(U, tensor([100, 200, 1, 0, 1], { dtype: "uint8" })), ops.mul(I8, 3), ops.sum(U), cast(I8, "float32"), cast(tensor([300.7, -1.5]), "uint8")].map((t) => [
        t.dtype,
        t.toArray(),
      ]);
    const cpu = run();
    const before = ops.getBackend();
    await ops.setBackend("wasm");
    try {
      expect(ops.getBackend()).toBe("wasm");
      expect(run()).toEqual(cpu);
    } finally {
      await ops.setBackend(before);
    }
  });

  it("the webgpu device refuses them with an UnsupportedOp naming the device (WGSL has no byte types)", () => {
    const buffers = new GPUBuffers({
      device: { lost: new Promise(() => undefined), limits: { minStorageBufferOffsetAlignment: 256 } } as unknown as GPUDevice,
      lost: undefined,
    } as WebGPUHandle);
    for (const dtype of ["uint8", "int8"] as const) {
      const e = thrown(() => buffers.write(ops.zeros([2], { dtype }).data()));
      expect(e.code).toBe("UnsupportedOp");
      expect(e.details).toMatchObject({ op: "webgpu.write", device: "webgpu", dtype });
    }
  });
});
