/**
 * exportOnnx checked by running the exported file in onnxruntime-node (CPU) on random inputs and
 * comparing with adjoint's own outputs: the demo's MLP and CNN, every nn layer that has an ONNX
 * form, and the functions of the mapping table.
 */
import { describe, expect, it } from "vitest";
import * as nn from "../../src/nn/index.js";
import { exportOnnx } from "../../src/onnx/index.js";
import { decodeModel } from "../../src/onnx/proto.js";
import * as T from "../../src/tensor/index.js";
import { expectAllClose } from "../support/allclose.js";
import { thrown } from "../support/errorCode.js";
import { mappingCases, runOrt } from "./support.js";

const rng = () => T.rng(7);

/** Exports `model`, runs it in onnxruntime on `inputs` and expects adjoint's outputs to float32 precision. */
async function expectSameInOrt(model: nn.Module | ((...xs: T.Tensor[]) => T.Tensor), inputs: T.Tensor[], what: string): Promise<void> {
  const bytes = exportOnnx(model, inputs);
  const ours = model instanceof nn.Module ? model.forward(...inputs) : model(...inputs);
  const theirs = await runOrt(bytes, Object.fromEntries(inputs.map((x, i) => [`input_${i}`, x])));
  expect(theirs.output_0.dims, `${what}: shape`).toEqual([...ours.shape]);
  expectAllClose(theirs.output_0.data, Array.from(ours.data(), Number), 1e-4, 1e-5, what);
}

function demoMlp(): nn.Module {
  return new nn.Sequential(new nn.Flatten(), new nn.Linear(28 * 28, 64, { rng: rng() }), new nn.ReLU(), new nn.Linear(64, 10, { rng: rng() }));
}

function demoCnn(): nn.Module {
  const r = rng();
  return new nn.Sequential(
    new nn.Conv2d(1, 16, 3, { rng: r }),
    new nn.ReLU(),
    new nn.MaxPool2d({ kernel: 2 }),
    new nn.Conv2d(16, 32, 3, { rng: r }),
    new nn.ReLU(),
    new nn.MaxPool2d({ kernel: 2 }),
    new nn.Flatten(),
    new nn.Linear(32 * 5 * 5, 10, { rng: r }),
  );
}

/** A BatchNorm whose running statistics are not the defaults, in eval mode. */
function trainedBatchNorm(bn: nn.Module, x: T.Tensor): nn.Module {
  bn.forward(x);
  return bn.eval();
}

describe("exportOnnx in onnxruntime-node", () => {
  it("the demo's MLP and CNN give adjoint's outputs", async () => {
    const x = T.randn([4, 1, 28, 28], { rng: T.rng(1) });
    await expectSameInOrt(demoMlp(), [x], "MLP");
    await expectSameInOrt(demoCnn(), [x], "CNN");
  });

  it("every nn layer with an ONNX form, in eval mode", async () => {
    const img = T.randn([3, 4, 8, 8], { rng: T.rng(2) });
    const vec = T.randn([5, 6], { rng: T.rng(3) });
    const layers: [string, nn.Module, T.Tensor][] = [
      ["Linear", new nn.Linear(6, 3, { rng: rng() }), vec],
      ["Conv2d (stride, padding)", new nn.Conv2d(4, 5, 3, { rng: rng(), stride: 2, padding: 1 }), img],
      ["MaxPool2d (padding)", new nn.MaxPool2d({ kernel: 3, stride: 2, padding: 1 }), img],
      ["MaxPool2d (dilation)", new nn.MaxPool2d({ kernel: 2, stride: 1, padding: 1, dilation: [2, 3] }), img],
      ["AvgPool2d", new nn.AvgPool2d({ kernel: 2 }), img],
      ["BatchNorm2d", trainedBatchNorm(new nn.BatchNorm2d(4), T.randn([3, 4, 8, 8], { rng: T.rng(4) })), img],
      ["BatchNorm1d", trainedBatchNorm(new nn.BatchNorm1d(6), T.randn([5, 6], { rng: T.rng(5) })), vec],
      ["LayerNorm", new nn.LayerNorm([6]), vec],
      ["Dropout", new nn.Dropout(0.5).eval(), vec],
      ["ReLU", new nn.ReLU(), vec],
      ["GELU", new nn.GELU(), vec],
      ["GELU tanh", new nn.GELU({ approximate: "tanh" }), vec],
      ["Tanh", new nn.Tanh(), vec],
      ["Sigmoid", new nn.Sigmoid(), vec],
      ["LeakyReLU", new nn.LeakyReLU(0.1), vec],
      ["ELU", new nn.ELU(), vec],
      ["SiLU", new nn.SiLU(), vec],
      ["Hardtanh", new nn.Hardtanh(), vec],
      ["Softsign", new nn.Softsign(), vec],
      ["LogSigmoid", new nn.LogSigmoid(), vec],
      ["PReLU", new nn.PReLU(), vec],
      ["GLU", new nn.GLU(), vec],
      ["Mish", new nn.Mish(), vec],
      ["SELU", new nn.SELU(), vec],
      ["CELU", new nn.CELU(), vec],
      ["Hardswish", new nn.Hardswish(), vec],
      ["Hardsigmoid", new nn.Hardsigmoid(), vec],
      ["ReLU6", new nn.ReLU6(), vec],
      [
        "Embedding",
        new nn.Embedding(10, 4, { rng: rng() }),
        T.tensor(
          [
            [1, 2, 9],
            [0, 0, 3],
          ],
          { dtype: "int32" },
        ),
      ],
    ];
    for (const [what, layer, x] of layers) await expectSameInOrt(layer, [x], what);
  });

  it("attention and transformer layers, with their masks, in eval mode", async () => {
    const x = T.randn([2, 5, 8], { rng: T.rng(23) });
    const memory = T.randn([2, 3, 8], { rng: T.rng(24) });
    const mha = new nn.MultiheadAttention(8, 2, { rng: rng(), batchFirst: true });
    const padding = T.tensor([
      [false, false, false, true, true],
      [false, false, false, false, false],
    ]);
    const additive = T.randn([5, 5], { rng: T.rng(25) });
    const options = { rng: rng(), dimFeedforward: 16, batchFirst: true } as const;
    const encoder = new nn.TransformerEncoderLayer(8, 2, options).eval();
    const preNorm = new nn.TransformerEncoderLayer(8, 2, { ...options, normFirst: true, activation: "gelu" }).eval();
    const decoder = new nn.TransformerDecoderLayer(8, 2, options).eval();
    const cases: [string, (...xs: T.Tensor[]) => T.Tensor, T.Tensor[]][] = [
      ["MultiheadAttention, causal", (q) => mha.attend(q, q, q, { isCausal: true }).output, [x]],
      ["MultiheadAttention, key padding and additive masks", (q) => mha.attend(q, q, q, { keyPaddingMask: padding, attnMask: additive }).output, [x]],
      ["MultiheadAttention, cross", (q, kv) => mha.forward(q, kv), [x, memory]],
      ["TransformerEncoderLayer (post-norm, relu)", (s) => encoder.encode(s, { srcKeyPaddingMask: padding }), [x]],
      ["TransformerEncoderLayer (pre-norm, gelu, causal)", (s) => preNorm.encode(s, { isCausal: true }), [x]],
      ["TransformerDecoderLayer (causal)", (t, m) => decoder.decode(t, m, { tgtIsCausal: true }), [x, memory]],
    ];
    for (const [what, f, inputs] of cases) await expectSameInOrt(f, inputs, what);
  });

  it("the functions of the mapping table", async () => {
    const x = T.randn([3, 4], { rng: T.rng(6) });
    const y = T.randn([3, 4], { rng: T.rng(8) });
    const cases = mappingCases();
    for (const [what, f] of cases) await expectSameInOrt(f, [x, y], what);
  });

  it("a dynamic batch runs at any batch size", async () => {
    const model = demoCnn();
    const bytes = exportOnnx(model, [T.randn([2, 1, 28, 28], { rng: T.rng(9) })], { dynamicBatch: true });
    const x = T.randn([5, 1, 28, 28], { rng: T.rng(10) });
    const out = await runOrt(bytes, { input_0: x });
    expect(out.output_0.dims).toEqual([5, 10]);
    expectAllClose(out.output_0.data, Array.from(model.forward(x).data(), Number), 1e-4, 1e-5, "batch 5");
  });

  it("names parameters and buffers as the Module does, and the inputs and outputs as asked", () => {
    const model = new nn.Sequential(new nn.Linear(6, 3, { rng: rng() }), new nn.BatchNorm1d(3)).eval();
    const bytes = exportOnnx(model, [T.randn([2, 6])], { inputNames: ["features"], outputNames: ["logits"] });
    const decoded = decodeModel("test", bytes) as {
      graph: { initializer: { name: string }[]; input: { name: string }[]; output: { name: string }[] };
      opsetImport: { version: number }[];
    };
    const names = decoded.graph.initializer.map((t) => t.name);
    for (const name of ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean", "1.running_var"]) expect(names).toContain(name);
    expect(decoded.graph.input.map((i) => i.name)).toEqual(["features"]);
    expect(decoded.graph.output.map((o) => o.name)).toEqual(["logits"]);
    expect(decoded.opsetImport[0].version).toBeGreaterThanOrEqual(17);
  });

  it("a primitive with no ONNX equivalent is an UnsupportedOp naming it", () => {
    const e = thrown(() => exportOnnx((a: T.Tensor, b: T.Tensor) => T.atan2(a, b), [T.randn([2]), T.randn([2])]));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details).toMatchObject({ op: "exportOnnx", primitive: "atan2" });
    expect(e.message).toContain("atan2");
  });

  it("refuses what is not a function, tensors or names", () => {
    expect(thrown(() => exportOnnx(42 as never, [])).code).toBe("InvalidArgument");
    expect(thrown(() => exportOnnx((a: T.Tensor) => a, [[1, 2]] as never)).code).toBe("InvalidArgument");
    expect(thrown(() => exportOnnx((a: T.Tensor) => a, [T.randn([2])], { inputNames: ["a", "b"] })).code).toBe("InvalidArgument");
    expect(thrown(() => exportOnnx((a: T.Tensor) => a, [T.randn([2])], { dynamicBatch: "yes" as never })).code).toBe("InvalidArgument");
  });
});
