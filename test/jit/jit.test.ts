/**
 * `jit`: one trace per input signature, the cached program evaluated on later calls with the same
 * results as eager, static arguments by value, and AdErrors for reading values and bad options.
 */
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import { add, cast, matmul, mul, rand, rng, sin, sum, tanh, tensor, to, type Tensor } from "../../src/tensor/index.js";
import { countingDevice } from "../support/countingDevice.js";
import { thrown } from "../support/errorCode.js";

const bits = (t: Tensor): number[] => Array.from(t.data());

describe("jit", () => {
  it("traces once per signature and evaluates the cached program on later calls", () => {
    const f = (x: Tensor, y: Tensor) => sum(add(mul(sin(x), y), mul(x, x)));
    const g = jit(f);
    expect(g.traces).toBe(0);
    const x = rand([5], { rng: rng(1) });
    const y = rand([5], { rng: rng(2) });
    expect(bits(g(x, y))).toEqual(bits(f(x, y)));
    expect(g.traces).toBe(1);
    const x2 = rand([5], { rng: rng(3) });
    expect(bits(g(x2, y))).toEqual(bits(f(x2, y)));
    expect(g.traces).toBe(1);
    // A new shape, a new dtype: a new signature, traced again.
    const x3 = rand([7], { rng: rng(4) });
    const y3 = rand([7], { rng: rng(5) });
    expect(bits(g(x3, y3))).toEqual(bits(f(x3, y3)));
    expect(g.traces).toBe(2);
    g(cast(x, "float64"), cast(y, "float64"));
    expect(g.traces).toBe(3);
    g(x2, y);
    expect(g.traces).toBe(3);
  });

  it("takes and returns pytrees; the structure is part of the signature", () => {
    const f = (p: { w: Tensor; b: Tensor }, x: Tensor) => ({ y: tanh(add(matmul(x, p.w), p.b)), n: [sum(p.w)] });
    const g = jit(f);
    const p = { w: rand([3, 2], { rng: rng(1) }), b: rand([2], { rng: rng(2) }) };
    const x = rand([4, 3], { rng: rng(3) });
    const out = g(p, x);
    const ref = f(p, x);
    expect(bits(out.y)).toEqual(bits(ref.y));
    expect(bits(out.n[0])).toEqual(bits(ref.n[0]));
    g({ b: p.b, w: p.w }, x);
    expect(g.traces).toBe(2);
  });

  it("takes static arguments by value: a new value traces again, and f may branch on it", () => {
    const f = (x: Tensor, power: number) => {
      let y = x;
      for (let i = 1; i < power; i++) y = mul(y, x);
      return y;
    };
    const g = jit(f, { static: [1] });
    const x = tensor([1, 2, 3]);
    expect(bits(g(x, 3))).toEqual([1, 8, 27]);
    expect(bits(g(x, 2))).toEqual([1, 4, 9]);
    expect(bits(g(tensor([2, 2, 2]), 3))).toEqual([8, 8, 8]);
    expect(g.traces).toBe(2);
  });

  it("bakes non-tensor arguments into the trace and keys them by value", () => {
    const g = jit((x: Tensor, k: number) => mul(x, k));
    expect(bits(g(tensor([1, 2]), 2))).toEqual([2, 4]);
    expect(bits(g(tensor([1, 2]), 3))).toEqual([3, 6]);
    expect(g.traces).toBe(2);
  });

  it("refuses to read a traced value, naming the read and pointing to static arguments", () => {
    const g = jit((x: Tensor) => (sum(x).item() > 0 ? x : mul(x, -1)));
    const e = thrown(() => g(tensor([1, 2])));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details.op).toBe("Tensor.item");
    expect(e.message).toMatch(/static argument/);
  });

  it("refuses unknown options and bad static positions", () => {
    const f = (x: Tensor) => x;
    expect(thrown(() => jit(f, { statics: [0] } as never)).code).toBe("InvalidArgument");
    expect(thrown(() => jit(f, { static: [-1] })).code).toBe("InvalidArgument");
    expect(thrown(() => jit(f, { fuse: "yes" } as never)).code).toBe("InvalidArgument");
    expect(thrown(() => jit(42 as never)).code).toBe("InvalidArgument");
    expect(thrown(() => jit(f, { static: [3] })(tensor([1]))).code).toBe("InvalidArgument");
  });

  it("runs on the inputs' device: constants f makes are made there too", async () => {
    const device = countingDevice();
    const f = (t: Tensor) => add(mul(sin(t), 2), 1);
    const x = to(tensor([1, 2, 3]), device);
    const g = jit(f);
    const got = await g(x).read();
    expect(Array.from(got)).toEqual(Array.from(await f(x).read()));
    expect(g(x).device).toBe(device);
  });

  it("shows the program it runs with lower()", () => {
    const g = jit((x: Tensor) => sin(x));
    expect(g.lower(tensor([1, 2])).toString()).toContain("= sin a");
    expect(g.traces).toBe(1);
  });
});
