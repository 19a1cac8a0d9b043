/** The memory plan (passes/plan.ts): buffers of fused intermediates assigned by liveness and kept between calls. */
import { describe, expect, it, vi } from "vitest";
import * as dtypes from "../../src/backends/dtype.js";
import { jit } from "../../src/jit/index.js";
import { add, customVjp, exp, max, mul, sin, sum, tensor, type Tensor } from "../../src/tensor/index.js";

vi.mock("../../src/backends/dtype.js", async (original) => {
  const actual = await original<typeof import("../../src/backends/dtype.js")>();
  return { ...actual, allocate: vi.fn(actual.allocate) };
});

/** Two fused intermediates (each read by a sum and a max), the first dead before the second is made. */
const f = (x: Tensor) => {
  const h1 = exp(add(x, 1));
  const a = add(sum(h1, 0), max(h1, 0));
  const h2 = sin(mul(x, 2));
  return add(a, add(sum(h2, 0), max(h2, 0)));
};
const x = tensor(new Float64Array([0.5, -1, 2, 3, -0.25, 1.5, 4, -2, 0, 1, -3, 2.5]), { shape: [3, 4] });

const fusedAllocations = (run: () => unknown): number => {
  const allocate = vi.mocked(dtypes.allocate);
  allocate.mockClear();
  run();
  return allocate.mock.calls.filter((c) => c[2] === "fused").length;
};

describe("memory plan", () => {
  it("gives fused intermediates buffers by liveness: a dead value's buffer goes to the next of its size (IR text)", () => {
    const text = String(jit(f).lower(x));
    expect(text).toContain("fused[ops=(add,exp), buffer=0]");
    expect(text).toContain("fused[ops=(mul,sin), buffer=0]");
    // The returned value is a fresh tensor each call: no buffer of the program's.
    expect(text).toMatch(/fused\[ops=\(add,add,add\)\] /);
  });

  it("a second call allocates no new buffer for fused intermediates, and computes eager's values", () => {
    const g = jit(f);
    const first = g(x);
    expect(fusedAllocations(() => g(x))).toBe(1);
    const again = g(tensor(new Float64Array(12).fill(0.5), { shape: [3, 4] }));
    expect(Array.from(first.data())).toEqual(Array.from(f(x).data()));
    expect(Array.from(again.data())).toEqual(Array.from(f(tensor(new Float64Array(12).fill(0.5), { shape: [3, 4] })).data()));
    expect(Array.from(g(x).data())).toEqual(Array.from(first.data()));
  });

  it("leaves a program with a user's primitive unplanned (its code could call the program again)", () => {
    const id = customVjp(
      (t: Tensor) => mul(t, 1.5),
      (t: Tensor) => [mul(t, 1.5), null],
      (_r: null, g: Tensor) => [mul(g, 1.5)],
    );
    expect(String(jit((t: Tensor) => add(f(t), id(t))).lower(x))).not.toContain("buffer=");
  });
});
