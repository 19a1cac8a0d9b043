/**
 * The demo's GPT (token and position embeddings, causal multi-head attention, pre-norm LayerNorm,
 * GELU feed-forward, linear head) through ONNX: exported, it runs in onnxruntime-node with adjoint's
 * logits at any batch size, its causal mask survives the export, and imported back it gives the
 * same logits and parameter gradients.
 */
import { describe, expect, it } from "vitest";
import { Gpt } from "../../demo/gptModel.js";
import type { ParameterTree } from "../../src/nn/index.js";
import { exportOnnx, importOnnx } from "../../src/onnx/index.js";
import * as T from "../../src/tensor/index.js";
import { expectAllClose } from "../support/allclose.js";
import { runOrt } from "./support.js";

const config = { vocab: 13, layers: 2, heads: 2, width: 16, context: 8 };
const flat = (t: T.Tensor) => Array.from(t.data(), Number);

/** A small GPT whose parameters are all random (the demo's init zeroes the attention biases). */
function gpt(): Gpt {
  const model = new Gpt(config, T.rng(31));
  const r = T.rng(32);
  T.noGrad(() => {
    for (const p of model.parameters()) p.assign(T.add(p, T.mul(T.randn([...p.shape], { rng: r }), 0.1)));
  });
  return model.eval();
}

const tokens = (rows: number[][]) => T.tensor(rows, { dtype: "int32" });

describe("the demo's GPT through ONNX", () => {
  it("onnxruntime gives adjoint's logits, at another batch size than the traced one", async () => {
    const model = gpt();
    const bytes = exportOnnx(model, [tokens([[1, 2, 3, 4, 5, 6, 7, 8]])], { dynamicBatch: true, inputNames: ["tokens"], outputNames: ["logits"] });
    const x = tokens([
      [0, 12, 3, 3, 9, 1, 2, 5],
      [7, 7, 7, 7, 7, 7, 7, 7],
      [4, 0, 11, 2, 6, 10, 8, 1],
    ]);
    const { logits } = await runOrt(bytes, { tokens: x });
    expect(logits.dims).toEqual([3, 8, 13]);
    expectAllClose(logits.data, flat(model.forward(x)), 1e-4, 1e-5, "GPT logits");
  });

  it("the exported causal mask holds: a later token leaves the earlier positions' logits alone", async () => {
    const bytes = exportOnnx(gpt(), [tokens([[1, 2, 3, 4, 5, 6, 7, 8]])]);
    const a = (await runOrt(bytes, { input_0: tokens([[1, 2, 3, 4, 5, 6, 7, 8]]) })).output_0.data;
    const b = (await runOrt(bytes, { input_0: tokens([[1, 2, 3, 4, 5, 6, 7, 0]]) })).output_0.data;
    const before = 7 * config.vocab;
    expectAllClose(b.slice(0, before), a.slice(0, before), 1e-6, 1e-6, "positions 0–6");
    expect(Math.max(...b.slice(before).map((v, i) => Math.abs(v - a[before + i])))).toBeGreaterThan(1e-3);
  });

  it("imported back, gives the same logits and parameter gradients", () => {
    const model = gpt();
    const x = tokens([
      [3, 1, 4, 1, 5, 9, 2, 6],
      [5, 3, 5, 8, 9, 7, 9, 3],
    ]);
    const { fn, params } = importOnnx(exportOnnx(model, [x]));
    expectAllClose(flat(fn(params, x) as T.Tensor), flat(model.forward(x)), 1e-5, 1e-6, "imported logits");

    const w = T.randn([2, 8, 13], { rng: T.rng(33) });
    const gOrig = T.grad((p: ParameterTree) => T.sum(T.mul(model.call(p, x), w)))(model.parameterTree()) as ParameterTree;
    const gImported = T.grad((p: Record<string, T.Tensor>) => T.sum(T.mul(fn(p, x) as T.Tensor, w)))(params) as Record<string, T.Tensor>;
    const names = [...model.namedParameters()].map(([name]) => name);
    // Other float constants of the graph (the mask's −∞ fill, …) are parameters of the import too.
    expect(Object.keys(gImported)).toEqual(expect.arrayContaining(names));
    for (const name of names) {
      const orig = name.split(".").reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], gOrig) as T.Tensor;
      expectAllClose(flat(gImported[name]), flat(orig), 1e-4, 1e-5, `d/d ${name}`);
    }
  });
});
