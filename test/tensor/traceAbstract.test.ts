/**
 * Abstract evaluation: a primitive with an abstract rule is traced from shapes and dtypes alone (no
 * kernel, no storage of the operands' size), and its rule rejects bad input before any kernel runs.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { AdError } from "../../src/errors.js";
import * as dtype from "../../src/tensor/dtype.js";
import { kernels } from "../../src/backends/backend.js";
import { abstract, matmul, tensor, trace, type Tensor } from "../../src/tensor/index.js";
import { matmulP } from "../../src/tensor/primitives/matmul.js";

afterEach(() => vi.restoreAllMocks());

describe("abstract rules", () => {
  // The largest operands a shape may have (< 2³¹ elements each): 8 GB of float32 apiece, 8 GB out.
  it("traces a 10⁵×(2·10⁴) by (2·10⁴)×(2·10⁴) matmul without running a kernel or allocating anything big", () => {
    const allocate = vi.spyOn(dtype, "allocate");
    const kernel = vi.spyOn(kernels(), "matmul");
    const [m, k] = [100_000, 20_000];
    const program = trace((a: Tensor, b: Tensor) => matmul(a, b))(abstract([m, k]), abstract([k, k]));
    expect(program.outputs[0].shape).toEqual([m, k]);
    expect(program.toString()).toContain("matmul");
    expect(kernel).not.toHaveBeenCalled();
    for (const [, size] of allocate.mock.calls) expect(size).toBe(0);
  });

  it("matmul's rule gives the eager output's shape and dtype", () => {
    const a = tensor([[1, 2, 3], [4, 5, 6]], { dtype: "float64" });
    const b = tensor([[1], [2], [3]], { dtype: "float64" });
    const y = matmul(a, b);
    expect(matmulP.abstract?.([a, b], undefined)).toEqual({ shape: [...y.shape], dtype: y.dtype });
  });

  it("matmul's rule raises the shape error before the kernel runs (eager and traced)", () => {
    const kernel = vi.spyOn(kernels(), "matmul");
    const a = tensor([[1, 2, 3]]);
    const b = tensor([[1, 2]]);
    expect(() => matmulP.abstract?.([a, b], undefined)).toThrow(AdError);
    expect(() => trace((x: Tensor, y: Tensor) => matmul(x, y))(abstract([1, 3]), abstract([1, 2]))).toThrow(/contracted dims 3/);
    expect(kernel).not.toHaveBeenCalled();
  });
});
