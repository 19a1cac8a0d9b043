/**
 * importOnnx: exported models come back as functions with the same outputs and gradients (the round
 * trip), hand-written graphs of ops adjoint's export never writes agree with onnxruntime, the
 * imported parameters fine-tune, and unknown ops are an UnsupportedOp naming the ONNX op.
 */
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";
import { exportOnnx, importOnnx } from "../../src/onnx/index.js";
import { ATTRIBUTE, encodeModel, type AttributeProto, type NodeProto, type TensorProto } from "../../src/onnx/proto.js";
import { SGD } from "../../src/optim/index.js";
import * as T from "../../src/tensor/index.js";
import { expectAllClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";
import { mappingCases, runOrt } from "./support.js";

const flat = (t: T.Tensor) => Array.from(t.data(), Number);

function cnn(): nn.Module {
  const rng = T.rng(11);
  return new nn.Sequential(
    new nn.Conv2d(1, 4, 3, { rng, padding: 1 }),
    new nn.ReLU(),
    new nn.MaxPool2d({ kernel: 2 }),
    new nn.Flatten(),
    new nn.Linear(4 * 4 * 4, 8, { rng }),
    new nn.BatchNorm1d(8),
    new nn.GELU(),
    new nn.Linear(8, 3, { rng }),
  ).eval();
}

function mlp(): nn.Module {
  const rng = T.rng(12);
  return new nn.Sequential(new nn.Linear(5, 16, { rng }), new nn.Tanh(), new nn.LayerNorm([16]), new nn.Linear(16, 2, { rng }));
}

describe("export → import round trip", () => {
  for (const [what, make, shape] of [
    ["CNN", cnn, [2, 1, 8, 8]],
    ["MLP", mlp, [4, 5]],
  ] as const) {
    it(`${what}: same outputs, parameter gradients and input gradients`, () => {
      const model = make();
      const x = T.randn([...shape], { rng: T.rng(13) });
      const imported = importOnnx(exportOnnx(model, [x]));
      expectAllClose(flat(imported.fn(imported.params, x) as T.Tensor), flat(model.forward(x)), 1e-6, 1e-7, `${what} outputs`);

      // The loss weights each output differently, so every parameter's gradient is exercised.
      const w = T.randn(model.forward(x).shape as number[], { rng: T.rng(14) });
      const names = new Map(model.namedParameters());
      const gOrig = T.grad((p: nn.ParameterTree) => T.sum(T.mul(model.call(p, x), w)))(model.parameterTree()) as nn.ParameterTree;
      const gImported = T.grad((p: Record<string, T.Tensor>) => T.sum(T.mul(imported.fn(p, x) as T.Tensor, w)))(imported.params) as Record<string, T.Tensor>;
      for (const name of names.keys()) {
        const path = name.split(".");
        const orig = path.reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], gOrig) as T.Tensor;
        expectAllClose(flat(gImported[name]), flat(orig), 1e-5, 1e-6, `${what} d/d ${name}`);
      }
      const dxOrig = T.grad((xx: T.Tensor) => T.sum(T.mul(model.forward(xx), w)))(x) as T.Tensor;
      const dxImported = T.grad((xx: T.Tensor) => T.sum(T.mul(imported.fn(imported.params, xx) as T.Tensor, w)))(x) as T.Tensor;
      expectAllClose(flat(dxImported), flat(dxOrig), 1e-5, 1e-6, `${what} d/dx`);
    });
  }

  it("a dilated max pool comes back dilated", () => {
    const x = T.randn([1, 2, 7, 8], { rng: T.rng(16) });
    const f = (t: T.Tensor) => T.maxPool2d(t, { kernel: 2, stride: [1, 2], padding: 1, dilation: [3, 2] });
    const { fn, params } = importOnnx(exportOnnx(f, [x]));
    expect(flat(fn(params, x) as T.Tensor)).toEqual(flat(f(x)));
  });

  it("every function of the export table comes back with the same outputs and gradients", () => {
    const x = T.randn([3, 4], { rng: T.rng(17) });
    const y = T.randn([3, 4], { rng: T.rng(18) });
    for (const [what, f] of mappingCases()) {
      const { fn, params } = importOnnx(exportOnnx(f, [x, y]));
      expectAllClose(flat(fn(params, x, y) as T.Tensor), flat(f(x, y)), 1e-6, 1e-6, what);
      const out = f(x, y);
      if (out.dtype !== "float32" || what === "cast") continue;
      const w = T.randn(out.shape as number[], { rng: T.rng(19) });
      const [gx, gy] = T.grad((a: T.Tensor, b: T.Tensor) => T.sum(T.mul(f(a, b), w)), { argnums: [0, 1] })(x, y) as T.Tensor[];
      const [hx, hy] = T.grad((a: T.Tensor, b: T.Tensor) => T.sum(T.mul(fn(params, a, b) as T.Tensor, w)), { argnums: [0, 1] })(x, y) as T.Tensor[];
      expectAllClose(flat(hx), flat(gx), 1e-5, 1e-6, `${what} d/dx`);
      expectAllClose(flat(hy), flat(gy), 1e-5, 1e-6, `${what} d/dy`);
    }
  });

  it("a dynamic-batch export imports as a function of any batch size", () => {
    const model = cnn();
    const imported = importOnnx(exportOnnx(model, [T.randn([2, 1, 8, 8])], { dynamicBatch: true }));
    expect(imported.inputs[0].shape).toEqual([null, 1, 8, 8]);
    const x = T.randn([5, 1, 8, 8], { rng: T.rng(22) });
    expectAllClose(flat(imported.fn(imported.params, x) as T.Tensor), flat(model.forward(x)), 1e-6, 1e-7, "batch 5");
  });

  it("the imported parameters fine-tune with an optimiser", () => {
    const model = mlp();
    const x = T.randn([16, 5], { rng: T.rng(15) });
    const target = T.randn([16, 2], { rng: T.rng(16) });
    const { fn, params } = importOnnx(exportOnnx(model, [x]));
    const opt = new SGD(Object.values(params), { lr: 0.05 });
    const loss = () => T.mean(T.mul(T.sub(fn(params, x) as T.Tensor, target), T.sub(fn(params, x) as T.Tensor, target)));
    const first = loss().item();
    for (let i = 0; i < 20; i++) {
      opt.zeroGrad();
      loss().backward();
      opt.step();
    }
    expect(loss().item()).toBeLessThan(first * 0.8);
  });
});

// ── Hand-written graphs: ONNX ops and attributes adjoint's export does not write ────────────────────

const f32 = (name: string, t: T.Tensor): TensorProto => ({ name, dims: [...t.shape], dataType: 1, floatData: flat(t) });
const i64 = (name: string, values: number[]): TensorProto => ({ name, dims: [values.length], dataType: 7, int64Data: values });
const ints = (name: string, values: number[]): AttributeProto => ({ name, type: ATTRIBUTE.INTS, ints: values });
const int = (name: string, i: number): AttributeProto => ({ name, type: ATTRIBUTE.INT, i });
const float = (name: string, f: number): AttributeProto => ({ name, type: ATTRIBUTE.FLOAT, f });
const node = (opType: string, input: string[], output: string, attribute: AttributeProto[] = []): NodeProto => ({ opType, input, output: [output], attribute });

function model(nodes: NodeProto[], initializer: TensorProto[], inputShape: number[], output = "y"): Uint8Array {
  return encodeModel({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "g",
      node: nodes,
      initializer,
      input: [{ name: "x", type: { tensorType: { elemType: 1, shape: { dim: inputShape.map((d) => ({ dimValue: d })) } } } }],
      output: [{ name: output, type: { tensorType: { elemType: 1 } } }],
    },
  });
}

describe("importOnnx of ONNX ops, against onnxruntime", () => {
  const r = T.rng(20);
  const graphs: [string, Uint8Array, number[]][] = [
    [
      "Gemm (transB, alpha, beta), Softmax, Flatten",
      model(
        [node("Flatten", ["x"], "f"), node("Gemm", ["f", "w", "b"], "g", [int("transB", 1), float("alpha", 0.5), float("beta", 2)]), node("Softmax", ["g"], "y", [int("axis", 1)])],
        [f32("w", T.randn([3, 12], { rng: r })), f32("b", T.randn([3], { rng: r }))],
        [2, 3, 4],
      ),
      [2, 3, 4],
    ],
    [
      "Conv with bias and asymmetric pads, BatchNormalization, AveragePool, GlobalAveragePool",
      model(
        [
          node("Conv", ["x", "w", "cb"], "c", [ints("pads", [1, 0, 0, 1]), ints("strides", [1, 1])]),
          node("BatchNormalization", ["c", "s", "bb", "m", "v"], "n", [float("epsilon", 1e-3)]),
          node("AveragePool", ["n"], "p", [ints("kernel_shape", [2, 2]), ints("strides", [1, 1])]),
          node("GlobalAveragePool", ["p"], "y"),
        ],
        [
          f32("w", T.randn([3, 2, 3, 3], { rng: r })),
          f32("cb", T.randn([3], { rng: r })),
          f32("s", T.randn([3], { rng: r })),
          f32("bb", T.randn([3], { rng: r })),
          f32("m", T.randn([3], { rng: r })),
          f32("v", T.add(T.abs(T.randn([3], { rng: r })), 0.5)),
        ],
        [1, 2, 6, 6],
      ),
      [1, 2, 6, 6],
    ],
    [
      "Unsqueeze, Squeeze, Gather, Constant, ReduceMean, LeakyRelu, Transpose (default perm), Slice (negative step)",
      model(
        [
          node("Constant", [], "k", [{ name: "value", type: ATTRIBUTE.TENSOR, t: { dims: [2], dataType: 7, int64Data: [2, -1] } }]),
          node("Gather", ["x", "k"], "g", [int("axis", 1)]),
          node("Unsqueeze", ["g", "ax0"], "u"),
          node("Squeeze", ["u", "ax0"], "q"),
          node("LeakyRelu", ["q"], "l", [float("alpha", 0.2)]),
          node("Transpose", ["l"], "t"),
          node("Slice", ["t", "st", "en", "ax0", "stp"], "s"),
          node("ReduceMean", ["s"], "y", [ints("axes", [1]), int("keepdims", 0)]),
        ],
        [i64("ax0", [0]), i64("st", [-1]), i64("en", [-9_223_372_036_854_775_807]), i64("stp", [-1])],
        [3, 4],
      ),
      [3, 4],
    ],
    [
      "MaxPool with ceil_mode (a last window inside the padding is dropped, as PyTorch and onnxruntime do)",
      model(
        [
          node("MaxPool", ["x"], "m", [ints("kernel_shape", [3, 3]), ints("strides", [2, 2]), ints("pads", [1, 1, 1, 1]), int("ceil_mode", 1)]),
          node("MaxPool", ["m"], "y", [ints("kernel_shape", [2, 2]), ints("strides", [2, 2]), ints("pads", [1, 1, 1, 1]), int("ceil_mode", 1)]),
        ],
        [],
        [1, 2, 8, 7],
      ),
      [1, 2, 8, 7],
    ],
    [
      "AveragePool with pads and ceil_mode, count_include_pad 0 (ONNX's default) and 1",
      model(
        [
          node("AveragePool", ["x"], "a", [ints("kernel_shape", [3, 3]), ints("strides", [2, 2]), ints("pads", [1, 1, 1, 1]), int("ceil_mode", 1)]),
          node("AveragePool", ["x"], "b", [ints("kernel_shape", [2, 3]), ints("strides", [2, 2]), ints("pads", [1, 1, 1, 1]), int("count_include_pad", 1)]),
          node("AveragePool", ["x"], "c", [ints("kernel_shape", [2, 2]), ints("strides", [3, 2]), ints("pads", [1, 0, 1, 0]), int("ceil_mode", 1), int("count_include_pad", 1)]),
          node("Flatten", ["a"], "fa"),
          node("Flatten", ["b"], "fb"),
          node("Flatten", ["c"], "fc"),
          node("Concat", ["fa", "fb", "fc"], "y", [int("axis", 1)]),
        ],
        [],
        [1, 2, 7, 8],
      ),
      [1, 2, 7, 8],
    ],
    [
      "Conv with group 2, then depthwise (group = channels) with pads",
      model(
        [node("Conv", ["x", "w"], "c", [int("group", 2)]), node("Conv", ["c", "dw", "db"], "y", [int("group", 6), ints("pads", [1, 1, 1, 1]), ints("strides", [2, 1])])],
        [f32("w", T.randn([6, 2, 3, 3], { rng: r })), f32("dw", T.randn([6, 1, 3, 3], { rng: r })), f32("db", T.randn([6], { rng: r }))],
        [1, 4, 7, 6],
      ),
      [1, 4, 7, 6],
    ],
  ];
  for (const [what, bytes, shape] of graphs) {
    it(what, async () => {
      const x = T.randn(shape, { rng: T.rng(21) });
      const { fn, params } = importOnnx(bytes);
      const ours = fn(params, x) as T.Tensor;
      const theirs = await runOrt(bytes, { x });
      expect([...ours.shape]).toEqual(theirs.y.dims);
      expectAllClose(flat(ours), theirs.y.data, 1e-4, 1e-5, what);
    });
  }

  it("an ONNX op adjoint lacks is an UnsupportedOp naming it", () => {
    const e = thrown(() => importOnnx(model([node("Einsum", ["x"], "y")], [], [2])));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details).toMatchObject({ op: "importOnnx", onnxOp: "Einsum" });
    expect(e.message).toContain("Einsum");
  });

  it("checks the inputs it is called with", () => {
    const { fn, params } = importOnnx(model([node("Relu", ["x"], "y")], [], [2, 3]));
    expect(thrown(() => fn(params, T.randn([3, 2]))).code).toBe("ShapeMismatch");
    expect(thrown(() => fn(params)).code).toBe("InvalidArgument");
    expect(thrown(() => fn(params, T.randn([2, 3], { dtype: "float64" }))).code).toBe("DTypeMismatch");
  });
});
