/**
 * In-place writes: `assign` stores broadcast values through any non-overlapping view, refuses what
 * would corrupt autograd, and a graph recorded before a write refuses to run backward through it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arange, exp, grad, mul, noGrad, sub, sum, tensor, zeros, type Tensor } from "../../src/tensor/index.js";
import { errorCode, thrown } from "../support/errorCode.js";

const f64 = (shape: number[]) =>
  arange(
    0,
    shape.reduce((a, b) => a * b, 1),
    1,
    { dtype: "float64" },
  ).reshape(shape);

describe("assign", () => {
  it("writes numbers and broadcast tensors, through views into the base's storage", () => {
    const x = zeros([2, 3], { dtype: "float64" });
    expect(x.assign(7).toArray()).toEqual([
      [7, 7, 7],
      [7, 7, 7],
    ]);
    x.assign(tensor([1, 2, 3], { dtype: "float64" }));
    expect(x.toArray()).toEqual([
      [1, 2, 3],
      [1, 2, 3],
    ]);
    // A slice is a view: writing it writes the base.
    x.slice(null, [1, 3]).assign(tensor([[10], [20]], { dtype: "float64" }));
    expect(x.toArray()).toEqual([
      [1, 10, 10],
      [1, 20, 20],
    ]);
    // A transposed target takes the value in its own index order.
    x.transpose().assign(
      tensor(
        [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        { dtype: "float64" },
      ),
    );
    expect(x.toArray()).toEqual([
      [1, 3, 5],
      [2, 4, 6],
    ]);
  });

  it("on random shapes and views, reads back as the value broadcast to the shape", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean(), (shape, reversed, valueRow) => {
        const base = f64(shape);
        const target = reversed ? base.slice([null, null, -1]) : base;
        const value = valueRow ? f64([shape[shape.length - 1]]).slice([null, null, -1]) : mul(f64(shape), -1);
        const want = value.expand(shape).toArray();
        target.assign(value);
        expect(target.toArray()).toEqual(want);
      }),
      { numRuns: 100 },
    );
  });

  it("a value that reads the same storage is read before it is overwritten", () => {
    const x = f64([3, 3]);
    x.assign(x.transpose());
    expect(x.toArray()).toEqual([
      [0, 3, 6],
      [1, 4, 7],
      [2, 5, 8],
    ]);
  });

  it("refuses what would corrupt a graph or a value: AdErrors naming the op", () => {
    const w = tensor([1, 2], { dtype: "float64" }).requireGrad();
    expect(thrown(() => w.assign(0)).message).toMatch(/noGrad/);
    const y = mul(w, 2);
    expect(thrown(() => y.assign(0)).details).toMatchObject({ op: "Tensor.assign", producedBy: "mul" });
    expect(errorCode(() => w.detach().assign(tensor([1, 2])))).toBe("DTypeMismatch");
    expect(errorCode(() => zeros([2, 3]).assign(zeros([3, 2])))).toBe("ShapeMismatch");
    expect(errorCode(() => zeros([1, 3]).expand([2, 3]).assign(1))).toBe("InvalidArgument");
    expect(errorCode(() => zeros([2]).assign("1" as never))).toBe("InvalidArgument");
    // Under noGrad a leaf that requires a gradient may be written (an optimiser step).
    noGrad(() => w.assign(tensor([3, 4], { dtype: "float64" })));
    expect(w.toArray()).toEqual([3, 4]);
  });

  it("a backward pass through a tensor written after it was recorded is refused, input or output", () => {
    const w = tensor([1, 2], { dtype: "float64" }).requireGrad();
    const loss = sum(mul(w, w));
    noGrad(() => w.assign(0));
    const e = thrown(() => loss.backward());
    expect(e.code).toBe("InvalidArgument");
    expect(e.message).toMatch(/mul needs its input 0 \(shape \[2\]\).*modified in place/);
    // exp's rule reads its output; writing the output's storage through a detached alias is caught too.
    const x = tensor([0.5], { dtype: "float64" }).requireGrad();
    const y = exp(x);
    y.detach().assign(0);
    expect(thrown(() => y.backward()).message).toMatch(/exp needs its output/);
    // Recomputing after the write is fine.
    const again = sum(mul(w, w));
    again.backward();
    expect((w.grad as Tensor).toArray()).toEqual([0, 0]);
  });

  it("an SGD loop with assign minimises a quadratic", () => {
    const target = tensor([1, -2, 3], { dtype: "float64" });
    const w = zeros([3], { dtype: "float64" }).requireGrad();
    const loss = (p: Tensor) => sum(mul(sub(p, target), sub(p, target)));
    for (let step = 0; step < 100; step++) {
      loss(w).backward();
      noGrad(() => w.assign(sub(w, mul(w.grad as Tensor, 0.1))));
      w.zeroGrad();
    }
    (w.toArray() as number[]).forEach((v, i) => expect(v).toBeCloseTo([1, -2, 3][i], 8));
    // The functional style needs no mutation at all.
    expect((grad(loss)(w) as Tensor).toArray()).toEqual((w.toArray() as number[]).map((v, i) => 2 * (v - [1, -2, 3][i])));
  });
});
