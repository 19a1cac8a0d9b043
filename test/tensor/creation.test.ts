/** Creation functions and the seedable generator. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { arange, eye, full, linspace, ones, rand, randint, randn, rng, tensor, zeros } from "../../src/tensor/index.js";
import type { Tensor } from "../../src/tensor/tensor.js";
import { errorCode, thrown } from "../support/errorCode.js";
import { isAdError } from "../../src/errors.js";

const code = errorCode;

describe("constant fills and ranges", () => {
  it("zeros, ones, full with dtypes", () => {
    expect(zeros([2, 2]).toArray()).toEqual([
      [0, 0],
      [0, 0],
    ]);
    expect(ones([3], { dtype: "int32" }).toArray()).toEqual([1, 1, 1]);
    expect(full([2], 2.5, { dtype: "int32" }).toArray()).toEqual([2, 2]);
    expect(full([2], 1, { dtype: "bool" }).toArray()).toEqual([true, true]);
    expect(zeros([]).toArray()).toBe(0);
    expect(zeros([0, 5]).size).toBe(0);
    expect(zeros([2]).dtype).toBe("float32");
  });

  it("arange and linspace", () => {
    expect(arange(5).toArray()).toEqual([0, 1, 2, 3, 4]);
    expect(arange(1, 2, 0.25, { dtype: "float64" }).toArray()).toEqual([1, 1.25, 1.5, 1.75]);
    expect(arange(5, 0, -2).toArray()).toEqual([5, 3, 1]);
    expect(arange(3, 1).size).toBe(0);
    expect(linspace(0, 1, 5, { dtype: "float64" }).toArray()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(linspace(2, 3, 1).toArray()).toEqual([2]);
    expect(code(() => arange(0, 1, 0))).toBe("InvalidArgument");
    expect(code(() => arange(0, Infinity))).toBe("InvalidArgument");
    expect(code(() => linspace(0, 1, -1))).toBe("InvalidArgument");
  });

  it("eye", () => {
    expect(eye(2).toArray()).toEqual([
      [1, 0],
      [0, 1],
    ]);
    expect(eye(2, 3).toArray()).toEqual([
      [1, 0, 0],
      [0, 1, 0],
    ]);
  });
});

describe("random", () => {
  it("the same seed gives the same tensor; different seeds differ", () => {
    expect(Array.from(rand([5], { rng: rng(42) }).data())).toEqual(Array.from(rand([5], { rng: rng(42) }).data()));
    expect(Array.from(randn([5], { rng: rng(1) }).data())).not.toEqual(Array.from(randn([5], { rng: rng(2) }).data()));
    // Without an rng the default is a fresh rng(0): reproducible.
    expect(Array.from(rand([3]).data())).toEqual(Array.from(rand([3], { rng: rng(0) }).data()));
  });

  it("one generator advances across calls", () => {
    const g = rng(7);
    const a = Array.from(rand([4], { rng: g }).data());
    const b = Array.from(rand([4], { rng: g }).data());
    expect(a).not.toEqual(b);
  });

  it("uniform, normal and integer draws have the right ranges and moments", () => {
    const n = 20000;
    const u = Array.from(rand([n], { rng: rng(3), dtype: "float64" }).data());
    const z = Array.from(randn([n], { rng: rng(4), dtype: "float64" }).data());
    const k = Array.from(randint(-3, 4, [n], { rng: rng(5) }).data());
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((s, x) => s + x, 0) / a.length;
    const variance = (a: ArrayLike<number>) => {
      const m = mean(a);
      return mean(Array.from(a, (x) => (x - m) ** 2));
    };
    expect(u.reduce((p: number, x: number) => Math.min(p, x), 1)).toBeGreaterThanOrEqual(0);
    expect(u.reduce((p: number, x: number) => Math.max(p, x), 0)).toBeLessThan(1);
    expect(Math.abs(mean(u) - 0.5)).toBeLessThan(0.01); // σ/√n ≈ 0.002
    expect(Math.abs(variance(u) - 1 / 12)).toBeLessThan(0.005);
    expect(Math.abs(mean(z))).toBeLessThan(0.03); // σ/√n ≈ 0.007
    expect(Math.abs(variance(z) - 1)).toBeLessThan(0.05);
    expect(k.reduce((p, x) => Math.min(p, x), 0)).toBe(-3);
    expect(k.reduce((p, x) => Math.max(p, x), 0)).toBe(3);
    for (let v = -3; v <= 3; v++) {
      const share = Array.from(k).filter((x) => x === v).length / n;
      expect(Math.abs(share - 1 / 7)).toBeLessThan(0.015);
    }
  });

  it("Rng.int is exactly within [low, high) for any span", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 2 ** 32 }), fc.integer(), (low, span, seed) => {
        const g = rng(seed);
        for (let i = 0; i < 20; i++) {
          const x = g.int(low, low + span);
          expect(Number.isInteger(x) && x >= low && x < low + span).toBe(true);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("bad arguments are AdErrors", () => {
    expect(code(() => rng(1.5))).toBe("InvalidArgument");
    expect(code(() => rand([2], { rng: {} as never }))).toBe("InvalidArgument");
    expect(code(() => rand([2], { dtype: "int32" }))).toBe("InvalidArgument");
    expect(code(() => randint(3, 3, [2]))).toBe("InvalidArgument");
    expect(code(() => rng(0).int(2, 1))).toBe("InvalidArgument");
  });
});

describe("requiresGrad as a creation option", () => {
  const MAKERS: [string, (o: object) => unknown][] = [
    ["tensor", (o) => tensor([1, 2], o)],
    ["zeros", (o) => zeros([2], o)],
    ["ones", (o) => ones([2], o)],
    ["full", (o) => full([2], 3, o)],
    ["arange", (o) => arange(0, 3, 1, o)],
    ["linspace", (o) => linspace(0, 1, 3, o)],
    ["eye", (o) => eye(2, 2, o)],
    ["rand", (o) => rand([2], o)],
    ["randn", (o) => randn([2], o)],
    ["randint", (o) => randint(0, 3, [2], o)],
  ];

  it.each(MAKERS)("%s: marks a float leaf; refuses int32/bool (DTypeMismatch naming the op) and a non-boolean", (op, make) => {
    if (op !== "randint") {
      const t = make({ requiresGrad: true, dtype: "float64" }) as Tensor;
      expect([t.requiresGrad, t.node, t.dtype]).toEqual([true, null, "float64"]);
      expect((make({}) as Tensor).requiresGrad).toBe(false);
    }
    for (const dtype of ["int32", "bool"]) {
      const e = thrown(() => make({ requiresGrad: true, dtype }));
      expect([e.code, e.details.op, e.details.argument]).toEqual(["DTypeMismatch", op, "requiresGrad"]);
    }
    expect(thrown(() => make({ requiresGrad: "yes" })).details).toMatchObject({ op, argument: "requiresGrad" });
  });
});

describe("tensor(values, { dtype: 'int32' }) refuses what int32 cannot hold (issue 18)", () => {
  it.each([[[0.5, 3]], [[3e10]], [[NaN]], [[Infinity]], [[2 ** 31]], [new Float64Array([1, 1.5])]])("%o is an InvalidArgument", (values) => {
    let error: unknown;
    try {
      tensor(values, { dtype: "int32" });
    } catch (e) {
      error = e;
    }
    expect(isAdError(error, "InvalidArgument") && error.details.op).toBe("tensor");
  });
  it("integers in range, -0 and booleans are fine", () => {
    expect(Array.from(tensor([-(2 ** 31), 2 ** 31 - 1, -0, 7], { dtype: "int32" }).data())).toEqual([-(2 ** 31), 2 ** 31 - 1, 0, 7]);
    expect(Array.from(tensor([true, false], { dtype: "int32" }).data())).toEqual([1, 0]);
  });
});
