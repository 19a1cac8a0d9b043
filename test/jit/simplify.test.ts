/** Algebraic simplification (passes/simplify.ts) on IR text, and the simplified program against eager. */
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import { eliminateDeadCode } from "../../src/jit/passes/dce.js";
import { simplifyAlgebra } from "../../src/jit/passes/simplify.js";
import { abstract, add, div, exp, grad, mul, permute, reshape, sin, sub, sum, tensor, trace, transpose, type Tensor } from "../../src/tensor/index.js";

const simplified = (f: (...xs: Tensor[]) => unknown, ...shapes: number[][]): string => eliminateDeadCode(simplifyAlgebra(trace(f)(...shapes.map((s) => abstract(s))))).toString();

describe("algebraic simplification", () => {
  it("x·1, 1·x, x/1, x+0, 0+x and x−0 are x", () => {
    expect(simplified((x) => exp(sub(div(add(0, add(mul(1, mul(x, 1)), 0)), 1), 0)), [2, 3])).toBe(
      ["{ lambda ; a:f32[2,3] . let", "    b:f32[2,3] = exp a", "  in (b) }"].join("\n"),
    );
  });

  it("a constant that broadcasts x to a larger shape or is not all ones/zeros stays", () => {
    expect(simplified((x) => exp(mul(x, tensor([1, 1]))), [1])).toContain("mul");
    // A float64 one promotes x: the cast stays, the multiply goes.
    expect(simplified((x) => exp(mul(x, tensor(new Float64Array([1])))), [2])).toMatch(/cast[^]*exp/);
    expect(simplified((x) => exp(mul(x, tensor([1, 2]))), [2])).toContain("mul");
    expect(simplified((x) => exp(sub(0, x)), [2])).toContain("sub");
  });

  it("a gradient's seed of ones, broadcast by sum's VJP, multiplies nothing", () => {
    const f = (x: Tensor) => sum(mul(sin(x), x));
    const before = trace(grad(f))(abstract([4]));
    expect(before.toString()).toMatch(/expand[^]*mul/);
    const text = eliminateDeadCode(simplifyAlgebra(before)).toString();
    expect(text).not.toContain("expand");
    expect(text).toBe(["{ lambda ; a:f32[4] . let", "    b:f32[4] = sin a", "    c:f32[4] = cos a", "    d:f32[4] = mul a c", "    e:f32[4] = add b d", "  in (e) }"].join("\n"));
    const x = tensor([0.5, -1, 2, 3]);
    expect(Array.from((jit(grad(f))(x) as Tensor).data())).toEqual(Array.from((grad(f)(x) as Tensor).data()));
  });

  it("transpose of transpose is x; permute chains compose into one permute", () => {
    expect(simplified((x) => exp(transpose(transpose(x))), [2, 3])).toBe(["{ lambda ; a:f32[2,3] . let", "    b:f32[2,3] = exp a", "  in (b) }"].join("\n"));
    expect(simplified((x) => exp(permute(permute(x, [1, 2, 0]), [-2, 0, 2])), [2, 3, 4])).toBe(
      ["{ lambda ; a:f32[2,3,4] . let", "    b:f32[4,3,2] = permute[axes=(2,1,0)] a", "    c:f32[4,3,2] = exp b", "  in (c) }"].join("\n"),
    );
  });

  it("reshape chains become one reshape, or x when they end at its shape", () => {
    expect(simplified((x) => exp(reshape(reshape(reshape(x, [6]), [3, 2]), [1, 6])), [2, 3])).toBe(
      ["{ lambda ; a:f32[2,3] . let", "    b:f32[1,6] = reshape[shape=(1,6)] a", "    c:f32[1,6] = exp b", "  in (c) }"].join("\n"),
    );
    expect(simplified((x) => exp(reshape(reshape(x, [6]), [2, 3])), [2, 3])).toBe(["{ lambda ; a:f32[2,3] . let", "    b:f32[2,3] = exp a", "  in (b) }"].join("\n"));
  });

  it("a returned value is not replaced by an input: each call returns a tensor of its own", () => {
    const f = jit((x: Tensor) => mul(x, 1));
    const x = tensor([1, 2]);
    expect(f(x)).not.toBe(x);
    expect(String(f.lower(x))).toContain("mul");
  });

  it("the simplified program computes eager's values", () => {
    const f = (x: Tensor) => add(mul(transpose(transpose(reshape(reshape(x, [6]), [2, 3]))), 1), 0);
    const x = tensor([
      [0.5, -1, 2],
      [3, -0.25, 1.5],
    ]);
    const j = jit(f);
    expect(Array.from(j(x).data())).toEqual(Array.from(f(x).data()));
    expect(String(j.lower(x))).not.toMatch(/permute|reshape/);
  });
});
