/**
 * Malformed ONNX files are refused with an InvalidArgument naming importOnnx, before anything is
 * allocated from them; a well-formed file using what adjoint lacks is an UnsupportedOp. Never a
 * crash, a hang or a plain Error.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdError } from "../../src/errors.js";
import * as nn from "../../src/nn/index.js";
import { exportOnnx, importOnnx } from "../../src/onnx/index.js";
import { encodeModel, type NodeProto, type TensorProto } from "../../src/onnx/proto.js";
import * as T from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";

const valid = exportOnnx(new nn.Sequential(new nn.Linear(3, 4, { rng: T.rng(1) }), new nn.ReLU()), [T.randn([2, 3])]);

function withGraph(initializer: TensorProto[], nodes: NodeProto[] = [{ opType: "Identity", input: ["x"], output: ["y"] }], inputDims: number[] = [2]): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "g",
      node: nodes,
      initializer,
      input: [{ name: "x", type: { tensorType: { elemType: 1, shape: { dim: inputDims.map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: "y", type: { tensorType: { elemType: 1 } } }],
    },
  });
}

function expectRefused(bytes: unknown, code: "InvalidArgument" | "UnsupportedOp" = "InvalidArgument"): AdError {
  const e = thrown(() => importOnnx(bytes as Uint8Array));
  expect(e.code, e.message).toBe(code);
  expect(e.details.op).toBe("importOnnx");
  return e;
}

describe("float16 initialisers", () => {
  it("import as float16 parameters from raw data or int32_data (the halves' bits), and export as raw halves", () => {
    const raw = new Uint8Array(new Uint16Array([0x3c00, 0xc000, 0x2e66]).buffer);
    const fromRaw = importOnnx(withGraph([{ name: "w", dims: [3], dataType: 10, rawData: raw }])).params.w;
    expect([fromRaw.dtype, ...fromRaw.data()]).toEqual(["float16", 1, -2, 0.0999755859375]);
    const fromInts = importOnnx(withGraph([{ name: "w", dims: [2], dataType: 10, int32Data: [0x7c00, 0x0001] }])).params.w;
    expect([fromInts.dtype, ...fromInts.data()]).toEqual(["float16", Infinity, 2 ** -24]);
    const half = T.cast(T.randn([2, 2], { rng: T.rng(2) }), "float16");
    const back = importOnnx(exportOnnx((x: T.Tensor) => T.matmul(x, half), [T.ones([1, 2], { dtype: "float16" })]));
    const w = Object.values(back.params).find((p) => p.dtype === "float16");
    expect(w === undefined ? undefined : Array.from(w.data())).toEqual(Array.from(half.data()));
  });
});

describe("importOnnx refuses malformed files", () => {
  it("accepts the untouched file (the control)", () => {
    expect(importOnnx(valid).outputs).toEqual(["output_0"]);
  });

  it("fields of the wrong wire type", () => {
    // Field 7 (the graph, a message) written as a varint; field 1 (ir_version, a varint) written as bytes.
    expectRefused(new Uint8Array([0x38, 0x01]));
    expectRefused(new Uint8Array([0x0a, 0x02, 0x41, 0x42]));
  });

  it("not bytes, or no bytes", () => {
    expectRefused("model.onnx");
    expectRefused(new Uint8Array(0));
  });

  it("every truncation of a valid file", () => {
    for (let n = 1; n < valid.length; n++) expectRefused(valid.subarray(0, n));
  });

  it("random bytes are an AdError, never a crash", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), (bytes) => {
        const e = thrown(() => importOnnx(bytes));
        expect(["InvalidArgument", "UnsupportedOp"]).toContain(e.code);
      }),
    );
  });

  it("huge or negative dimensions, before any allocation", () => {
    expect(expectRefused(withGraph([{ name: "w", dims: [2 ** 40], dataType: 1 }])).message).toContain("dimension");
    expect(expectRefused(withGraph([{ name: "w", dims: [65536, 65536], dataType: 1 }])).message).toContain("too many elements");
    expectRefused(withGraph([{ name: "w", dims: [-1], dataType: 1 }]));
    expectRefused(withGraph([], undefined, [2 ** 40]));
  });

  it("data that does not match the shape or the type", () => {
    expect(expectRefused(withGraph([{ name: "w", dims: [3], dataType: 1, floatData: [1, 2] }])).message).toContain("2 values");
    expect(expectRefused(withGraph([{ name: "w", dims: [3], dataType: 1, rawData: new Uint8Array(11) }])).message).toContain("11 bytes");
    expectRefused(withGraph([{ name: "w", dims: [1], dataType: 999, floatData: [1] }]));
    expect(expectRefused(withGraph([{ name: "w", dims: [3], dataType: 1, int64Data: [1, 2, 3] }])).message).toContain("0 values");
    expectRefused(
      withGraph(
        [{ name: "w", dims: [2], dataType: 6, int32Data: [1, 2] }],
        [{ opType: "Relu", input: ["x"], output: ["y"], attribute: [{ name: "alpha", type: 1, floats: [Number.NaN] }] }],
      ),
    );
    expectRefused(
      withGraph([
        { name: "w", dims: [1], dataType: 1, floatData: [1] },
        { name: "w", dims: [1], dataType: 1, floatData: [1] },
      ]),
    );
  });

  it("a node reading a value nothing defines, or an output nothing computes", () => {
    expect(expectRefused(withGraph([], [{ opType: "Relu", input: ["nowhere"], output: ["y"] }])).message).toContain("nowhere");
    expectRefused(withGraph([], [{ opType: "Relu", input: ["x"], output: ["z"] }]));
  });

  it("well-formed files using what adjoint lacks are an UnsupportedOp", () => {
    // bfloat16: no such dtype here.
    expectRefused(withGraph([{ name: "w", dims: [1], dataType: 16, int32Data: [0] }]), "UnsupportedOp");
    expectRefused(withGraph([{ name: "w", dims: [1], dataType: 1, dataLocation: 1 }]), "UnsupportedOp");
    expectRefused(withGraph([], [{ opType: "Relu", input: ["x"], output: ["y"], domain: "com.microsoft" } as never]), "UnsupportedOp");
  });
});
