/**
 * The wasm reductions against the reference. Row sums (and sums over everything) reorder the float64
 * additions, so they are held to the bound that reordering allows: 2(n−1)·2⁻⁵³·Σ|x| in double, plus
 * one float32 ulp after rounding — a kernel that drops, repeats or float32-accumulates an element
 * misses it. Column sums and max/min must agree bit for bit (max/min even in the sign of a zero).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ReduceOp } from "../../src/backends/ops.js";
import { reduce as wasmReduce } from "../../src/backends/wasm/reduce.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import * as T from "../../src/tensor/index.js";
import { tensor, type Tensor } from "../../src/tensor/index.js";
import { fromStorage } from "../../src/tensor/tensor.js";
import { onBackend } from "../support/backends.js";

/** The wasm kernel's buffer as a tensor of the reduction's shape (undefined where it declines). */
function reduce(op: ReduceOp, x: Tensor, axes: readonly number[], keepDims: boolean, minSize: number): Tensor | undefined {
  const out = wasmReduce(op, x, axes, keepDims, undefined, minSize);
  const shape = keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i));
  return out && fromStorage(out, x.dtype, shape);
}

const REFERENCE = { sum: T.sum, max: T.max, min: T.min } as const;

/** Random [r, n] values with zeros of both signs, infinities and NaN sprinkled in when `special`. */
function values(r: number, n: number, dtype: "float32" | "float64", seed: number, special: boolean): Tensor {
  const x = T.randn([r, n], { rng: T.rng(seed), dtype })
    .data()
    .slice();
  if (special) {
    const picks = [0, -0, -0, 0, Infinity, -Infinity, NaN];
    for (let i = seed % 5; i < x.length; i += 5 + (i % 3)) x[i] = picks[i % picks.length];
  }
  return tensor(x, { dtype, shape: [r, n] });
}

function ulp32(v: number): number {
  const a = Math.abs(Math.fround(v));
  return Math.fround(a * (1 + 2 ** -23)) - a || 2 ** -149;
}

/** |got − want| within the reordering bound, elementwise; NaN and ±∞ where the reference has them. */
function expectSumClose(got: Tensor, want: Tensor, x: Tensor, axes: readonly number[]): void {
  expect(got.shape).toEqual(want.shape);
  const absSums = onBackend("cpu", () => T.sum(T.abs(x), axes)).data();
  const n = axes.reduce((p, a) => p * x.shape[a], 1);
  const [g, w] = [got.data(), want.data()];
  for (let i = 0; i < w.length; i++) {
    if (!Number.isFinite(w[i])) {
      expect(g[i]).toBe(w[i]);
      continue;
    }
    const bound = 2 * (n - 1) * 2 ** -53 * absSums[i] + (x.dtype === "float32" ? ulp32(w[i]) : 0);
    expect(Math.abs(g[i] - w[i])).toBeLessThanOrEqual(bound);
  }
}

const dim = fc.oneof(fc.integer({ min: 1, max: 17 }), fc.constantFrom(64, 333));

describe.runIf(simdAvailable)("wasm reductions", () => {
  it("sum over all, trailing and leading axes matches the reference (property)", () => {
    fc.assert(
      fc.property(
        dim,
        dim,
        fc.constantFrom("float32" as const, "float64" as const),
        fc.constantFrom("all", "rows", "cols"),
        fc.boolean(),
        fc.nat(),
        (r, n, dtype, kind, keep, seed) => {
          const x = values(r, n, dtype, seed, seed % 4 === 0);
          const axes = kind === "all" ? [0, 1] : kind === "rows" ? [1] : [0];
          const got = reduce("sum", x, axes, keep, 0);
          const want = onBackend("cpu", () => T.sum(x, axes, keep));
          // Summing over size-1 axes only is a copy, which the reference makes.
          if (got === undefined) return void expect(axes.every((a) => x.shape[a] === 1)).toBe(true);
          // Column sums keep the reference's order (with one column it is a row sum, reordered).
          if (kind === "cols" && n > 1) expect(Array.from((got as Tensor).data())).toEqual(Array.from(want.data()));
          else expectSumClose(got as Tensor, want, x, axes);
          expect((got as Tensor).shape).toEqual(want.shape);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("a long float32 sum stays within one ulp of the float64-accumulated reference", () => {
    const x = T.add(T.rand([1 << 17], { rng: T.rng(3) }), 1000);
    const got = reduce("sum", x, [0], false, 0) as Tensor;
    const want = onBackend("cpu", () => T.sum(x));
    expect(Math.abs(got.item() - want.item())).toBeLessThanOrEqual(ulp32(want.item()));
  });

  it.each(["max", "min"] as const)("%s over the last axis (and all axes) is bit-identical, NaN and signed zeros included (property)", (op) => {
    fc.assert(
      fc.property(dim, dim, fc.constantFrom("float32" as const, "float64" as const), fc.boolean(), fc.nat(), (r, n, dtype, all, seed) => {
        const x = values(r, n, dtype, seed, seed % 2 === 0);
        const axes = all ? [0, 1] : [1];
        const got = reduce(op, x, axes, false, 0);
        const want = onBackend("cpu", () => REFERENCE[op](x, axes));
        if (got === undefined) return void expect(axes.every((a) => x.shape[a] === 1)).toBe(true);
        expect(got.shape).toEqual(want.shape);
        const same = Array.from(got.data()).every((v, i) => Object.is(v, want.data()[i]));
        expect(same).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it("the first zero decides the sign of a zero extreme, as in the reference", () => {
    const x = tensor([
      [-0, 0, -1],
      [0, -0, -2],
      [-3, -0, -0],
    ]);
    const got = (reduce("max", x, [1], false, 0) as Tensor).data();
    expect([Object.is(got[0], -0), Object.is(got[1], 0), Object.is(got[2], -0)]).toEqual([true, true, true]);
  });

  it("declines strided views, middle axes, int32, prod, and column max", () => {
    const x = T.randn([6, 7, 8], { rng: T.rng(4) });
    expect(reduce("sum", T.transpose(x), [2], false, 0)).toBeUndefined();
    expect(reduce("sum", x, [1], false, 0)).toBeUndefined();
    expect(reduce("sum", T.cast(x, "int32"), [2], false, 0)).toBeUndefined();
    expect(reduce("prod", x, [2], false, 0)).toBeUndefined();
    expect(reduce("max", x, [0], false, 0)).toBeUndefined();
    expect(reduce("sum", T.zeros([0, 3]), [1], false, 0)).toBeUndefined();
    // A contiguous slice (offset storage) is covered.
    const rows = T.slice(x, [[2, 5]]);
    expectSumClose(
      reduce("sum", rows, [1, 2], false, 0) as Tensor,
      onBackend("cpu", () => T.sum(rows, [1, 2])),
      rows,
      [1, 2],
    );
  });
});
