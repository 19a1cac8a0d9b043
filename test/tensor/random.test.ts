/**
 * `random`: keys and draws as pure functions of the key. Oracles: JAX's published split of key 0,
 * jax-js's own threefry (its `bits` are x0 ^ x1 of the counter (0, i)), moments of 1e5 draws (fixed
 * keys, so deterministic), and eager ≡ jit ≡ vmap bit for bit.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { random as jaxRandom } from "@jax-js/jax";
import { jit } from "../../src/jit/index.js";
import { cast, mean, random, slice, tensor, trace, vmap, type Tensor } from "../../src/tensor/index.js";
import { threefry2x32 } from "../../src/tensor/primitives/threefry.js";
import { thrown } from "../support/errorCode.js";

const words = (t: Tensor): number[] => Array.from(t.data() as Int32Array, (w) => w >>> 0);
const values = (t: Tensor): number[] => Array.from(t.data());
const moments = (t: Tensor): { mean: number; variance: number } => {
  const v = values(t);
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return { mean: m, variance: v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length };
};

describe("random keys", () => {
  it("key, split and bits follow JAX's layout: split(key(0)) is JAX's split(PRNGKey(0))", () => {
    expect(words(random.key(0))).toEqual([0, 0]);
    expect(words(random.key(-1))).toEqual([0xffffffff, 0xffffffff]);
    expect(words(random.key(2 ** 32 + 7))).toEqual([1, 7]);
    expect(words(random.split(random.key(0)))).toEqual([4146024105, 967050713, 2718843009, 1272950319]);
    // split(key, n) is bits(key, [2n]) in pairs.
    expect(words(random.split(random.key(5), 3))).toEqual(words(random.bits(random.key(5), [6])));
  });

  it("threefry2x32 agrees with jax-js's threefry for a few keys (its bits: x0 ^ x1 of the counter (0, i))", async () => {
    for (const seed of [0, 42, 2 ** 31 + 5]) {
      const ours = threefry2x32(
        random.key(seed),
        tensor(
          Array.from({ length: 8 }, (_, i) => [0, i]),
          { dtype: "int32" },
        ),
      );
      const pairs = words(ours);
      const xored = Array.from({ length: 8 }, (_, i) => (pairs[2 * i] ^ pairs[2 * i + 1]) >>> 0);
      const theirs = Array.from(await jaxRandom.bits(jaxRandom.key(seed), [8]).data(), (w: number) => w >>> 0);
      expect(xored).toEqual(theirs);
    }
  });

  it("split and foldIn give different streams; the same key gives the same numbers", () => {
    const k = random.key(7);
    expect(values(random.uniform(k, [8]))).toEqual(values(random.uniform(k, [8])));
    const [a, b] = [slice(random.split(k), [0]), slice(random.split(k), [1])];
    const streams = [k, a, b, random.foldIn(k, 0), random.foldIn(k, 1)].map((key) => values(random.uniform(key, [4])).join());
    expect(new Set(streams).size).toBe(streams.length);
    // Independent streams: the correlation of two split streams over 1e4 draws is near 0.
    const [x, y] = [a, b].map((key) => values(random.normal(key, [10000], { dtype: "float64" })));
    const r = x.reduce((s, xi, i) => s + xi * y[i], 0) / x.length;
    expect(Math.abs(r)).toBeLessThan(0.05);
  });
});

describe("random draws", () => {
  const k = random.key(20261207);
  it("uniform: 1e5 draws in [min, max) with the uniform's mean and variance", () => {
    for (const dtype of ["float32", "float64"] as const) {
      const u = random.uniform(k, [100000], { dtype, min: -2, max: 3 });
      expect(u.dtype).toBe(dtype);
      expect(values(u).every((v) => v >= -2 && v < 3)).toBe(true);
      const { mean: m, variance } = moments(u);
      expect(Math.abs(m - 0.5)).toBeLessThan(0.03);
      expect(Math.abs(variance - 25 / 12)).toBeLessThan(0.05);
    }
  });

  it("normal: 1e5 draws with mean 0 and variance 1", () => {
    const z = random.normal(k, [100, 1000]);
    expect(z.shape).toEqual([100, 1000]);
    const { mean: m, variance } = moments(z);
    expect(Math.abs(m)).toBeLessThan(0.01);
    expect(Math.abs(variance - 1)).toBeLessThan(0.02);
  });

  it("bernoulli and randint: frequencies and ranges", () => {
    expect(Math.abs(values(mean(cast(random.bernoulli(k, 0.3, [100000]), "float64")))[0] - 0.3)).toBeLessThan(0.005);
    expect(values(random.bernoulli(k, 0, [100])).every((v) => v === 0)).toBe(true);
    expect(values(random.bernoulli(k, 1, [100])).every((v) => v === 1)).toBe(true);
    const n = random.randint(k, [100000], -3, 4);
    expect(n.dtype).toBe("int32");
    const counts = new Map<number, number>();
    for (const v of values(n)) counts.set(v, (counts.get(v) ?? 0) + 1);
    expect([...counts.keys()].sort((p, q) => p - q)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) expect(Math.abs(c / 100000 - 1 / 7)).toBeLessThan(0.01);
  });

  it("uniform stays in [min, max) in either dtype for any seed and bounds (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: 1e-6, max: 1e3, noNaN: true }),
        fc.constantFrom("float32" as const, "float64" as const),
        (seed, min, width, dtype) => {
          const max = min + width;
          const u = values(random.uniform(random.key(seed), [256], { min, max, dtype }));
          const low = dtype === "float32" ? Math.fround(min) : min;
          return u.every((v) => v >= Math.min(low, min) && v < max);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("uniform never rounds up to max: draws near 1 in a coarse float32 interval", () => {
    // [1e6, 1e6 + 1) in float32 holds only 16 values 1/16 apart: draws near 1 would round to max.
    const u = values(random.uniform(random.key(1), [20000], { min: 1e6, max: 1e6 + 1 }));
    expect(Math.max(...u)).toBe(1e6 + 15 / 16);
  });
});

describe("random under jit, vmap and trace", () => {
  const step = (key: Tensor, x: Tensor): Tensor => {
    const [a, b] = [slice(random.split(key), [0]), slice(random.split(key), [1])];
    return random
      .normal(a, [4])
      .add(random.uniform(b, [4]))
      .mul(x);
  };
  const x = tensor([1, 2, 3, 4]);

  it("jit ≡ eager bit for bit, and the trace holds threefry2x32", () => {
    const k = random.key(3);
    const compiled = jit(step);
    expect(values(compiled(k, x))).toEqual(values(step(k, x)));
    expect(values(compiled(random.key(4), x))).toEqual(values(step(random.key(4), x)));
    expect(compiled.traces).toBe(1);
    expect(String(trace(step)(random.key(3), x))).toContain("threefry2x32");
  });

  it("vmap over a batch of keys ≡ a loop over them (a stream per example)", () => {
    const keys = random.split(random.key(9), 3);
    const batched = vmap(step, { inAxes: [0, null] })(keys, x) as Tensor;
    const looped = [0, 1, 2].map((i) => values(step(slice(keys, [i]), x)));
    expect(values(batched)).toEqual(looped.flat());
    expect(new Set(looped.map((l) => l.join())).size).toBe(3);
  });
});

describe("random errors", () => {
  it("a bad key is an InvalidArgument naming the op and the key's shape", () => {
    const e = thrown(() => random.uniform(tensor([1, 2]), [3]));
    expect(e.code).toBe("InvalidArgument");
    expect(e.details).toMatchObject({ op: "random.uniform", argument: "key", dtype: "float32", shape: [2] });
    expect(thrown(() => random.normal(random.split(random.key(0)), [3])).details).toMatchObject({ op: "random.normal", shape: [2, 2] });
    expect(thrown(() => random.split(5 as never)).details.op).toBe("random.split");
  });

  it("unknown options, bad shapes, bounds and probabilities are refused", () => {
    const k = random.key(0);
    expect(thrown(() => random.uniform(k, [2], { mean: 1 } as never)).details.op).toBe("random.uniform");
    expect(thrown(() => random.normal(k, [-1])).details.op).toBe("random.normal");
    expect(thrown(() => random.uniform(k, [2], { min: 1, max: 1 })).details.op).toBe("random.uniform");
    expect(thrown(() => random.uniform(k, [2], { dtype: "int32" as never })).details.op).toBe("random.uniform");
    expect(thrown(() => random.bernoulli(k, 1.5, [2])).details.op).toBe("random.bernoulli");
    expect(thrown(() => random.randint(k, [2], 3, 3)).details.op).toBe("random.randint");
    expect(thrown(() => random.foldIn(k, 0.5)).details.op).toBe("random.foldIn");
    expect(thrown(() => random.key(1.5)).details.op).toBe("random.key");
    expect(thrown(() => random.split(k, 2 ** 30)).details).toMatchObject({ op: "random.split", argument: "n" });
  });
});
