/**
 * Layers and losses whose reductions run over an axis (LayerNorm's mean and variance, softmax's row
 * sums, crossEntropy, a Linear layer's bias gradient), jitted: equal to eager bit for bit on the
 * reference backend, forward and gradient, at odd sizes; and their axis sums fused with the chain
 * before them.
 */
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import { crossEntropy, LayerNorm, Linear } from "../../src/nn/index.js";
import { grad, logSoftmax, mean, mul, relu, rng, softmax, sum, tensor, variance, type Tensor } from "../../src/tensor/index.js";
import { onBackend } from "../support/backends.js";

const bits = (t: Tensor): number[] => Array.from(t.data());
const data = (rows: number, cols: number, seed: number): Tensor =>
  tensor(
    Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i * 0.37 + seed) * 2),
    { shape: [rows, cols] },
  );

describe("jit ≡ eager for layers and losses with reductions over an axis", () => {
  const x = data(7, 13, 1);
  const labels = tensor(
    Float32Array.from({ length: 7 * 13 }, (_, i) => (i % 13 === (Math.floor(i / 13) * 5) % 13 ? 1 : 0)),
    { shape: [7, 13] },
  );
  const norm = new LayerNorm(13);
  const linear = new Linear(13, 5, { rng: rng(3) });
  const cases: Record<string, (x: Tensor) => Tensor> = {
    layerNorm: (v) => sum(mul(norm.forward(v), v)),
    softmax: (v) => sum(mul(softmax(v, -1), v)),
    logSoftmax: (v) => sum(mul(logSoftmax(v, -1), labels)),
    crossEntropy: (v) => crossEntropy(v, labels),
    meanAndVariance: (v) => sum(mul(mean(mul(v, v), 0), variance(v, -1).sum())),
    linearRelu: (v) => sum(relu(linear.forward(v))),
  };
  for (const [name, f] of Object.entries(cases)) {
    it(`${name}: value and gradient`, () => {
      onBackend("cpu", () => {
        expect(bits(jit(f)(x))).toEqual(bits(f(x)));
        const df = grad(f) as (x: Tensor) => Tensor;
        expect(bits(jit(df)(x))).toEqual(bits(df(x)));
      });
    });
  }

  it("the axis sums of softmax and LayerNorm are fused with the chain before them", () => {
    const text = onBackend("cpu", () => [jit(cases.softmax).lower(x), jit(grad(cases.layerNorm)).lower(x)].join("\n"));
    expect(text).toMatch(/fused\[ops=\([a-zA-Z,]*,sum\)\][^\n]*\n/);
    expect(text).toMatch(/f32\[7(,1)?\] = fused\[ops=\([a-zA-Z,]*sum\)/);
  });
});
