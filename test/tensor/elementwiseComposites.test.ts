/** Issue 18's composite elementwise functions: values at the edges, dtypes and broadcasting. */
import { describe, expect, it } from "vitest";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";

const bools = (t: Tensor): boolean[] => flat(t).map((v) => v !== 0);

describe("float tests", () => {
  const x = f64([0, -0, 1, Infinity, -Infinity, NaN], [6]);
  it("isnan, isinf, isfinite on floats give bool", () => {
    expect(ops.isnan(x).dtype).toBe("bool");
    expect(bools(ops.isnan(x))).toEqual([false, false, false, false, false, true]);
    expect(bools(ops.isinf(x))).toEqual([false, false, false, true, true, false]);
    expect(bools(ops.isfinite(x))).toEqual([true, true, true, false, false, false]);
  });
  it("int32 and bool are always finite", () => {
    for (const t of [ops.tensor([2 ** 31 - 1, -(2 ** 31)], { dtype: "int32" }), ops.tensor([true, false])]) {
      expect(bools(ops.isnan(t))).toEqual([false, false]);
      expect(bools(ops.isinf(t))).toEqual([false, false]);
      expect(bools(ops.isfinite(t))).toEqual([true, true]);
    }
  });
});

describe("logical ops", () => {
  it("read nonzero (NaN included) as true and broadcast", () => {
    const a = f64([0, 2, NaN, -0], [4]);
    const b = ops.tensor([[true], [false]]);
    expect(ops.logicalAnd(a, b).shape).toEqual([2, 4]);
    expect(bools(ops.logicalAnd(a, b))).toEqual([false, true, true, false, false, false, false, false]);
    expect(bools(ops.logicalOr(a, b))).toEqual([true, true, true, true, false, true, true, false]);
    expect(bools(ops.logicalXor(a, b))).toEqual([true, false, false, true, false, true, true, false]);
    expect(bools(ops.logicalNot(a))).toEqual([true, false, false, true]);
    expect(ops.logicalNot(ops.tensor([1, 0], { dtype: "int32" })).dtype).toBe("bool");
  });
});

describe("square, reciprocal, lerp, floorDivide", () => {
  it("square keeps int32; reciprocal promotes it", () => {
    expect(ops.square(ops.tensor([-3], { dtype: "int32" })).dtype).toBe("int32");
    expect(flat(ops.reciprocal(ops.tensor([2, 0], { dtype: "int32" })))).toEqual([0.5, Infinity]);
  });
  it("lerp is exact at both ends and broadcasts its weight", () => {
    const a = f64([0.1, 1e16], [2]);
    const b = f64([0.7, 1], [2]);
    expect(flat(ops.lerp(a, b, 1))).toEqual([0.7, 1]);
    expect(flat(ops.lerp(a, b, 0))).toEqual([0.1, 1e16]);
    expect(ops.lerp(a, b, f64([0, 0.5, 1], [3, 1])).shape).toEqual([3, 2]);
  });
  it("floorDivide is floorDiv under PyTorch's name", () => {
    const a = f64([7.5, -7, 5], [3]);
    expect(flat(ops.floorDivide(a, 2.5))).toEqual(flat(ops.floorDiv(a, 2.5)));
    expect(flat(ops.floorDivide(a, 2.5))).toEqual([3, -3, 2]);
  });
  it("log10 of a power of ten is exact", () => {
    expect(flat(ops.log10(f64([1000, 1e-5, 0], [3])))).toEqual([3, -5, -Infinity]);
  });
});
