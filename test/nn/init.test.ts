/** Initialisers: seeded and deterministic, with PyTorch's fans and the variances of their formulas. */
import { describe, expect, it } from "vitest";
import { fans, gainOf, kaimingNormal, kaimingUniform, xavierNormal, xavierUniform } from "../../src/nn/index.js";
import { rng } from "../../src/tensor/rng.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { thrown } from "../support/errorCode.js";

const stats = (t: Tensor) => {
  const v = Array.from(t.data());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length;
  return { mean, variance, max: Math.max(...v.map(Math.abs)) };
};

describe("initialisers", () => {
  it("fans follow PyTorch's [out, in, …receptive] layout", () => {
    expect(fans([64, 16])).toEqual([16, 64]);
    expect(fans([8, 3, 5, 5])).toEqual([75, 200]);
    expect(thrown(() => fans([3])).code).toBe("InvalidArgument");
    expect(gainOf("relu")).toBe(Math.SQRT2);
    expect(gainOf("leakyRelu", Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3), 15);
  });

  // 200·100 = 20,000 samples: the sample variance is within ~2% of the true one (4 standard errors).
  const shape = [200, 100];
  const cases = [
    ["kaimingUniform", () => kaimingUniform(shape, { rng: rng(1) }), 2 / 100, Math.sqrt(6 / 100)],
    ["kaimingUniform fanOut", () => kaimingUniform(shape, { rng: rng(1), mode: "fanOut" }), 2 / 200, Math.sqrt(6 / 200)],
    ["kaimingNormal", () => kaimingNormal(shape, { rng: rng(2), nonlinearity: "relu" }), 2 / 100, Infinity],
    ["kaimingNormal tanh", () => kaimingNormal(shape, { rng: rng(2), nonlinearity: "tanh" }), 25 / 9 / 100, Infinity],
    ["xavierUniform", () => xavierUniform(shape, { rng: rng(3) }), 2 / 300, Math.sqrt(6 / 300)],
    ["xavierNormal", () => xavierNormal(shape, { rng: rng(4), gain: 2 }), (4 * 2) / 300, Infinity],
  ] as const;

  it.each(cases)("%s has the formula's variance, zero mean, and its bound", (_name, make, variance, bound) => {
    const s = stats(make());
    expect(Math.abs(s.variance / variance - 1)).toBeLessThan(0.04);
    expect(Math.abs(s.mean)).toBeLessThan(4 * Math.sqrt(variance / 20000));
    expect(s.max).toBeLessThanOrEqual(bound);
  });

  it("the same seed gives the same tensor, another seed another one; rng is required", () => {
    const a = Array.from(kaimingUniform([4, 4], { rng: rng(9) }).data());
    expect(Array.from(kaimingUniform([4, 4], { rng: rng(9) }).data())).toEqual(a);
    expect(Array.from(kaimingUniform([4, 4], { rng: rng(10) }).data())).not.toEqual(a);
    expect(thrown(() => xavierNormal([4, 4], {} as never)).code).toBe("InvalidArgument");
    expect(kaimingNormal([3, 3], { rng: rng(0), dtype: "float64" }).dtype).toBe("float64");
  });
});
