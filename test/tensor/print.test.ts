/** How tensors print (issue 18: String(t) gave no values, console.log dumped storage and graph nodes). */
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { countingDevice } from "../support/countingDevice.js";

describe("printing a tensor", () => {
  it("shows values, dtype, shape, device", () => {
    expect(
      String(
        ops.tensor([
          [1, 2.5],
          [-0, NaN],
        ]),
      ),
    ).toBe("tensor([[1, 2.5],\n        [-0, NaN]], { dtype: float32, shape: [2, 2], device: cpu })");
    expect(String(ops.tensor([true, false]))).toBe("tensor([true, false], { dtype: bool, shape: [2], device: cpu })");
    expect(String(ops.tensor(3, { dtype: "int32" }))).toBe("tensor(3, { dtype: int32, shape: [], device: cpu })");
    expect(String(ops.tensor([1 / 3], { dtype: "float64" }))).toBe("tensor([0.33333], { dtype: float64, shape: [1], device: cpu })");
  });
  it("says requiresGrad, and prints views by their values", () => {
    const x = ops
      .tensor([
        [1, 2],
        [3, 4],
      ])
      .requireGrad();
    expect(String(x)).toContain("requiresGrad: true");
    expect(String(ops.transpose(x.detach()))).toContain("[[1, 3],\n        [2, 4]]");
  });
  it("elides large tensors to the first and last three of each axis", () => {
    const s = String(ops.arange(2000));
    expect(s).toBe("tensor([0, 1, 2, …, 1997, 1998, 1999], { dtype: float32, shape: [2000], device: cpu })");
    const m = String(ops.reshape(ops.arange(40 * 40), [40, 40]));
    expect(m.split("\n").length).toBe(7);
    expect(m).toContain("[1560, 1561, 1562, …, 1597, 1598, 1599]]");
  });
  it("console.log / util.inspect print the same as String", () => {
    const t = ops.tensor([1, 2]);
    expect(inspect(t)).toBe(String(t));
    expect(inspect({ t })).toContain("tensor([1, 2]");
  });
  it("prints only the header where values cannot be read synchronously: another device, a disposed tensor, under trace", () => {
    const device = countingDevice();
    expect(String(ops.to(ops.tensor([1, 2]), device))).toMatch(/^tensor\(\{ dtype: float32, shape: \[2\], device: \S+ \}\)$/);
    const d = ops.tensor([1]);
    d.dispose();
    expect(String(d)).toBe("tensor({ dtype: float32, shape: [1], device: cpu })");
    let traced = "";
    ops.trace((x: Tensor) => {
      traced = String(x);
      return x;
    })(ops.abstract([3]));
    expect(traced).toBe("tensor({ dtype: float32, shape: [3], device: cpu })");
  });
});
