/** The prepared loop of an unwatched jitted call (src/jit/run.ts): kernels called directly, the bits of eager, bind's errors kept. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { AdError } from "../../src/errors.js";
import { jit } from "../../src/jit/index.js";
import { detectAnomaly, exp, log, matmul, mul, sum, tensor, type Tensor } from "../../src/tensor/index.js";
import { matmulP } from "../../src/tensor/primitives/matmul.js";
import { expP } from "../../src/tensor/primitives/unary.js";

const f = (x: Tensor, w: Tensor) => sum(exp(mul(matmul(x, w), 0.5)));
const x = tensor(new Float32Array([0.5, -1, 2, 3, -0.25, 1.5]), { shape: [2, 3] });
const w = tensor(new Float32Array([1, -2, 0.5, 0.25, -1, 3]), { shape: [3, 2] });

afterEach(() => vi.restoreAllMocks());

describe("prepared jit loop", () => {
  it("runs no abstract rule after the first call, with eager's bits", () => {
    for (const fuse of [false, true]) {
      const g = jit(f, { fuse });
      g(x, w);
      const rules = [vi.spyOn(expP, "abstract"), vi.spyOn(matmulP, "abstract")];
      const y = g(x, w) as Tensor;
      for (const rule of rules) expect(rule).not.toHaveBeenCalled();
      vi.restoreAllMocks();
      expect(y.data()).toEqual(f(x, w).data());
    }
  });

  it("keeps bind's errors and checks: a disposed input, anomaly detection", () => {
    const g = jit((a: Tensor) => log(mul(a, 2)));
    const a = tensor([1, 2]);
    g(a);
    const stale = tensor([1, 2]);
    stale.dispose();
    expect(() => g(stale)).toThrow(AdError);
    expect(() => detectAnomaly(() => g(tensor([-1, 2])))).toThrow(/NaN|non-finite/i);
  });
});
