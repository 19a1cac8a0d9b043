/** Issue 18's activations beyond the PyTorch golden data: options checked, dtypes, stability, the nn modules. */
import { describe, expect, it } from "vitest";
import { isAdError } from "../../src/errors.js";
import * as nn from "../../src/nn/index.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";

const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};
const gradOf = (f: (x: Tensor) => Tensor, values: number[]): number[] => flat(ops.grad((x: Tensor) => ops.sum(f(x)))(f64(values, [values.length])) as Tensor);

describe("activations", () => {
  it("bad options are InvalidArgument naming the function", () => {
    const x = f64([1], [1]);
    const cases: [string, () => unknown][] = [
      ["leakyRelu", () => ops.leakyRelu(x, NaN)],
      ["elu", () => ops.elu(x, "1" as never)],
      ["celu", () => ops.celu(x, 0)],
      ["hardtanh", () => ops.hardtanh(x, 2, 1)],
      ["prelu", () => ops.prelu(f64([1, 2, 3, 4, 5, 6], [2, 3]), f64([1, 2], [2]))],
      ["glu", () => ops.glu(f64([1, 2, 3], [3]))],
      ["silu", () => ops.silu("x" as never)],
    ];
    for (const [op, f] of cases) {
      const e = thrown(f);
      expect(isAdError(e, "InvalidArgument") && e.details.op, op).toBe(op);
    }
  });

  it("large inputs give finite values and gradients (no overflow in the branch not taken)", () => {
    const big = [800, -800];
    for (const f of [ops.elu, ops.selu, ops.celu, ops.mish, ops.logsigmoid, ops.silu, ops.softsign]) {
      expect(
        flat(f(f64(big, [2]))).every((v) => !Number.isNaN(v)),
        f.name,
      ).toBe(true);
      expect(gradOf(f, big).every(Number.isFinite), f.name).toBe(true);
    }
    expect(flat(ops.logsigmoid(f64([-800], [1])))).toEqual([-800]);
  });

  it("int32 inputs promote to float32", () => {
    expect(ops.silu(ops.tensor([1, -2], { dtype: "int32" })).dtype).toBe("float32");
    expect(flat(ops.relu6(ops.tensor([-1, 3, 9], { dtype: "int32" })))).toEqual([0, 3, 6]);
  });

  it("prelu broadcasts its weight over axis 1 and trains it", () => {
    const x = f64([-1, -1, -1, -1, 2, 2], [3, 2]);
    const w = f64([0.5, -2], [2]);
    expect(flat(ops.prelu(x, w))).toEqual([-0.5, 2, -0.5, 2, 2, 2]);
    const gw = ops.grad((v: Tensor) => ops.sum(ops.prelu(x, v)))(w) as Tensor;
    expect(flat(gw)).toEqual([-2, -2]);
  });

  it("the nn modules apply their functions; PReLU's weight is a parameter", () => {
    const x = f64([-2, -0.5, 0.5, 4], [2, 2]);
    const pairs: [nn.Module, Tensor][] = [
      [new nn.LeakyReLU(0.2), ops.leakyRelu(x, 0.2)],
      [new nn.ELU(0.5), ops.elu(x, 0.5)],
      [new nn.CELU(2), ops.celu(x, 2)],
      [new nn.Hardtanh(-1, 2), ops.hardtanh(x, -1, 2)],
      [new nn.GLU(), ops.glu(x)],
      [new nn.SELU(), ops.selu(x)],
      [new nn.SiLU(), ops.silu(x)],
      [new nn.Mish(), ops.mish(x)],
      [new nn.Softsign(), ops.softsign(x)],
      [new nn.Hardswish(), ops.hardswish(x)],
      [new nn.Hardsigmoid(), ops.hardsigmoid(x)],
      [new nn.LogSigmoid(), ops.logsigmoid(x)],
      [new nn.ReLU6(), ops.relu6(x)],
    ];
    for (const [m, y] of pairs) expect(flat(m.forward(x) as Tensor), m.constructor.name).toEqual(flat(y));
    const p = new nn.PReLU({ numParameters: 2, dtype: "float64" });
    expect(p.parameters().length).toBe(1);
    expect(flat(p.forward(x))).toEqual([-0.5, -0.125, 0.5, 4]);
    expect(
      isAdError(
        thrown(() => new nn.CELU(0)),
        "InvalidArgument",
      ),
    ).toBe(true);
  });
});
