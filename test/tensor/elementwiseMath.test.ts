/**
 * Issue 18's elementwise functions at their edges: ±0, ±∞, NaN, the domain edges, rounding ties,
 * the signs of fmod and remainder, dtypes (int32 kept by the rounding functions and promoted by the
 * float ones, bool refused). Values and gradients against PyTorch are in ops18Golden.test.ts.
 */
import { describe, expect, it } from "vitest";
import { isAdError } from "../../src/errors.js";
import * as ops from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";

const at = (f: (x: Tensor) => Tensor, values: number[]): number[] => flat(f(f64(values, [values.length])));
const grad1 = (f: (x: Tensor) => Tensor, values: number[]): number[] => flat(ops.grad((x: Tensor) => ops.sum(f(x)))(f64(values, [values.length])) as Tensor);
const thrown = (f: () => unknown): unknown => {
  try {
    f();
  } catch (e) {
    return e;
  }
  return undefined;
};

describe("rounding", () => {
  it("round is half to even and keeps ±0, ±∞ and NaN", () => {
    expect(at(ops.round, [0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4999999999999996, 0.49999999999999994, -0, Infinity, -Infinity, NaN])).toEqual([
      0,
      2,
      2,
      -0,
      -2,
      -2,
      2,
      0,
      -0,
      Infinity,
      -Infinity,
      NaN,
    ]);
  });
  it("floor, ceil and trunc keep the sign of zero", () => {
    expect(at(ops.floor, [-0.5, 0.5, -0])).toEqual([-1, 0, -0]);
    expect(at(ops.ceil, [-0.5, 0.5, -0])).toEqual([-0, 1, -0]);
    expect(at(ops.trunc, [-1.5, 1.5, -0.2])).toEqual([-1, 1, -0]);
  });
  it("are the identity on int32, refuse bool, and have derivative 0", () => {
    const i = ops.tensor([3, -4], { dtype: "int32" });
    for (const f of [ops.floor, ops.ceil, ops.round, ops.trunc]) {
      expect(f(i)).toBe(i);
      const e = thrown(() => f(ops.tensor([true])));
      expect(isAdError(e, "DTypeMismatch") && e.details.op).toBe(f === ops.floor ? "floor" : f === ops.ceil ? "ceil" : f === ops.round ? "round" : "trunc");
      expect(grad1(f, [0.3, -1.7])).toEqual([0, 0]);
    }
  });
});

describe("fmod and remainder", () => {
  it("fmod takes a's sign, remainder b's", () => {
    const a = f64([5, -5, 5, -5, 7.5], [5]);
    const b = f64([3, 3, -3, -3, 2.5], [5]);
    expect(flat(ops.fmod(a, b))).toEqual([2, -2, 2, -2, 0]);
    expect(flat(ops.remainder(a, b))).toEqual([2, 1, -1, -2, 0]);
    expect(flat(ops.remainder(f64([-3], [1]), f64([-3], [1])))).toEqual([-0]);
  });
  it("a zero divisor is NaN for floats and 0 for int32", () => {
    expect(flat(ops.fmod(f64([1], [1]), 0))).toEqual([NaN]);
    expect(flat(ops.remainder(f64([1], [1]), 0))).toEqual([NaN]);
    expect(flat(ops.remainder(ops.tensor([-7, 7], { dtype: "int32" }), ops.tensor([2, 0], { dtype: "int32" })))).toEqual([1, 0]);
  });
  it("bool and bool is a DTypeMismatch naming the op", () => {
    const e = thrown(() => ops.remainder(ops.tensor([true]), ops.tensor([false])));
    expect(isAdError(e, "DTypeMismatch") && e.details.op).toBe("remainder");
  });
});

describe("the float functions", () => {
  it("log1p and expm1 keep precision near 0 and their edges", () => {
    expect(at(ops.log1p, [1e-20, -1, -2, Infinity, -0])).toEqual([1e-20, -Infinity, NaN, Infinity, -0]);
    expect(at(ops.expm1, [1e-20, -Infinity, Infinity, -0])).toEqual([1e-20, -1, Infinity, -0]);
  });
  it("the inverse functions are NaN outside their domains and infinite at the edges", () => {
    expect(at(ops.asin, [1, 1.5])).toEqual([Math.PI / 2, NaN]);
    expect(at(ops.acosh, [1, 0.5])).toEqual([0, NaN]);
    expect(at(ops.atanh, [1, -1, 2])).toEqual([Infinity, -Infinity, NaN]);
    expect(at(ops.cbrt, [-8, -0])).toEqual([-2, -0]);
  });
  it("the one-sided infinite derivative at a domain edge; a zero cotangent stays zero there", () => {
    expect(grad1(ops.atanh, [1])).toEqual([Infinity]);
    expect(grad1(ops.cbrt, [0])).toEqual([Infinity]);
    const g = ops.vjp((x: Tensor) => ops.log1p(x), f64([-1], [1]))[1](f64([0], [1]) as never)[0] as Tensor;
    expect(flat(g)).toEqual([0]);
  });
  it("int32 is promoted to float32", () => {
    expect(ops.tan(ops.tensor([1], { dtype: "int32" })).dtype).toBe("float32");
    expect(ops.atan2(ops.tensor([1], { dtype: "int32" }), 1).dtype).toBe("float32");
  });
  it("atan2 picks the quadrant; atan2, hypot have derivative 0 at the origin", () => {
    expect(flat(ops.atan2(f64([1, 1, -1, -1, 0, -0], [6]), f64([1, -1, 1, -1, -1, -1], [6])))).toEqual([
      Math.PI / 4,
      (3 * Math.PI) / 4,
      -Math.PI / 4,
      (-3 * Math.PI) / 4,
      Math.PI,
      -Math.PI,
    ]);
    const zero = f64([0], [1]);
    for (const f of [ops.atan2, ops.hypot]) {
      const [ga, gb] = ops.grad((a: Tensor, b: Tensor) => ops.sum(f(a, b)), { argnums: [0, 1] })(zero, zero) as Tensor[];
      expect([...flat(ga), ...flat(gb)].map(Math.abs)).toEqual([0, 0]);
    }
  });
  it("hypot and logaddexp do not overflow", () => {
    expect(flat(ops.hypot(f64([3e300, Infinity], [2]), f64([4e300, NaN], [2])))).toEqual([5e300, Infinity]);
    expect(flat(ops.logaddexp(f64([1000, -Infinity, Infinity], [3]), f64([1000, -Infinity, 1], [3])))).toEqual([1000 + Math.LN2, -Infinity, Infinity]);
  });
});
