/** Constant folding (passes/fold.ts) on IR text, and the folded program against eager. */
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import { eliminateDeadCode } from "../../src/jit/passes/dce.js";
import { foldConstants } from "../../src/jit/passes/fold.js";
import { abstract, add, exp, mul, reshape, tensor, trace, type Tensor } from "../../src/tensor/index.js";

describe("constant folding", () => {
  it("computes equations of constants once, at compile time", () => {
    const p = trace((x: Tensor) => mul(x, exp(add(tensor([1, 2]), tensor([3, 4])))))(abstract([2]));
    expect(p.toString()).toContain("add");
    const folded = eliminateDeadCode(foldConstants(p));
    expect(folded.toString()).toBe(["{ lambda a:f32[2] ; b:f32[2] . let", "    c:f32[2] = mul b a", "  in (c) }"].join("\n"));
    expect(Array.from(folded.constants[0].value.data())).toEqual(Array.from(exp(add(tensor([1, 2]), tensor([3, 4]))).data()));
  });

  it("does not fold what would grow (a broadcast), a constant requiring a gradient, or a returned value", () => {
    const grow = trace((x: Tensor) => mul(x, add(tensor([1, 2, 3]), tensor([[1], [2]]))))(abstract([2, 3]));
    expect(foldConstants(grow).toString()).toContain("add");
    const w = tensor([1, 2], { requiresGrad: true });
    const trained = trace((x: Tensor) => mul(x, exp(w)))(abstract([2]));
    expect(foldConstants(trained).toString()).toContain("exp");
    const returned = trace(() => add(tensor([1, 2]), tensor([3, 4])))();
    expect(foldConstants(returned).toString()).toContain("add");
  });

  it("the folded program computes eager's values", () => {
    const c = tensor([0.5, 1.5, -2, 3]);
    const f = (x: Tensor) => mul(x, reshape(exp(c), [2, 2]));
    const x = tensor([
      [1, 2],
      [3, 4],
    ]);
    const j = jit(f);
    expect(Array.from(j(x).data())).toEqual(Array.from(f(x).data()));
    expect(String(j.lower(x))).not.toMatch(/exp|reshape/);
  });
});
