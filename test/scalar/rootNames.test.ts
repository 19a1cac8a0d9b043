/**
 * The root's `hessian` and `erf` act on what they are given: numbers get the scalar function, tensors
 * (or a tensor function) the tensor one; anything else is an InvalidArgument naming the call.
 */
import { describe, expect, it } from "vitest";
import { Dual, erf, hessian, tensor, tensorErf, type Tensor } from "../../src/index.js";
import { erf as scalarErf, hessian as scalarHessian } from "../../src/scalar/index.js";
import { thrown } from "../support/errorCode.js";

describe("root names", () => {
  it("hessian(f, x) with numbers is the scalar Hessian", () => {
    expect(hessian((xs, S) => S.mul(S.mul(xs[0], xs[0]), xs[1]), [2, 3])).toEqual(scalarHessian((xs, S) => S.mul(S.mul(xs[0], xs[0]), xs[1]), [2, 3]));
    // A typed array is a point too (the scalar functionals accept one at run time).
    expect(hessian((xs, S) => S.mul(xs[0], xs[1]), new Float64Array([1, 2]) as unknown as number[])).toEqual([
      [0, 1],
      [1, 0],
    ]);
  });

  it("hessian(f) of a tensor function is the tensor transform", () => {
    const h = hessian((x: Tensor) => x.mul(x).sum());
    expect(h(tensor([1, 2])).toArray()).toEqual([
      [2, 0],
      [0, 2],
    ]);
    expect((hessian((x: Tensor) => x.mul(x).sum(), { argnums: 0 })(tensor([3])) as Tensor).toArray()).toEqual([[2]]);
  });

  it("anything else as the second argument is an InvalidArgument naming hessian", () => {
    for (const junk of [3, "x", tensor([1, 2]), null, true]) {
      const e = thrown(() => hessian((() => 0) as never, junk as never));
      expect(e.code).toBe("InvalidArgument");
      expect(e.details).toMatchObject({ op: "hessian", argument: "x" });
    }
  });

  it("erf of a number is a number, of a tensor a tensor", () => {
    expect(erf(0.5)).toBe(scalarErf(0.5));
    expect(erf(tensor([0.5, -1])).toArray()).toEqual(tensorErf(tensor([0.5, -1])).toArray());
    // Anything else is the plain-number function's: a Dual is refused, never coerced.
    expect(thrown(() => erf(Dual.variable(1) as never)).code).toBe("UnsupportedOp");
  });
});
