/**
 * The wasm backend against the reference kernels: every wasm kernel on random shapes (odd sizes, size
 * 0 and 1, transposed and broadcast operands, batch broadcasting), f32 and f64; backend selection;
 * the whole engine's results under both backends.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { wasmRuntime } from "../../src/backends/wasm/runtime.js";
import { availableBackends, getBackend, grad, matmul, randn, rng, setBackend, sum, type Tensor, expand, transpose } from "../../src/tensor/index.js";
import { broadcastShapes } from "../../src/tensor/shape.js";
import { errorCode } from "../support/errorCode.js";
import { maxAbsDiff } from "../support/backends.js";
import { referenceMatmul, wasmMatmul } from "../support/kernels.js";

/** A random [..batch, rows, cols] operand, possibly stored transposed (a view with swapped strides). */
function operand(seed: number, batch: number[], rows: number, cols: number, transposed: boolean, dtype: "float32" | "float64"): Tensor {
  const r = rng(seed);
  return transposed ? transpose(randn([...batch, cols, rows], { rng: r, dtype })) : randn([...batch, rows, cols], { rng: r, dtype });
}

describe.runIf(simdAvailable)("wasm matmul kernel", () => {
  it("matches the reference on random shapes, views and batch broadcasting (property)", () => {
    const dim = fc.oneof(fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9), fc.integer({ min: 10, max: 70 }));
    const batchDim = fc.constantFrom(1, 2, 3);
    fc.assert(
      fc.property(
        fc.record({
          m: dim,
          k: dim,
          n: dim,
          batch: fc.array(batchDim, { maxLength: 2 }),
          // b's batch: a suffix of a's with some axes 1 (broadcast); or the roles swapped.
          drop: fc.integer({ min: 0, max: 2 }),
          ones: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
          swap: fc.boolean(),
          ta: fc.boolean(),
          tb: fc.boolean(),
          dtype: fc.constantFrom("float32" as const, "float64" as const),
          seed: fc.integer(),
        }),
        ({ m, k, n, batch: full, drop, ones, swap, ta, tb, dtype, seed }) => {
          const partial = full.slice(Math.min(drop, full.length)).map((d, i) => (ones[i] ? 1 : d));
          const [batchA, batchB] = swap ? [partial, full] : [full, partial];
          const batch = broadcastShapes("test", batchA, batchB);
          const a = operand(seed, batchA, m, k, ta, dtype);
          const b = operand(seed + 1, batchB, k, n, tb, dtype);
          const got = wasmMatmul(a, b, batch, 0);
          const want = referenceMatmul(a, b, batch);
          expect(got.shape).toEqual(want.shape);
          expect(got.dtype).toBe(dtype);
          // Different summation order (and FMA): rounding only, relative to √k·|a||b|.
          const tol = (dtype === "float32" ? 2e-6 : 1e-14) * Math.max(1, k);
          expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(tol);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("reads broadcast (stride-0) operands and large products across several k blocks", () => {
    const a = expand(randn([1, 300], { rng: rng(3) }), [33, 300]);
    const b = randn([300, 20], { rng: rng(4) });
    expect(maxAbsDiff(wasmMatmul(a, b, [], 0), referenceMatmul(a, b, []))).toBeLessThan(1e-4);
    const c = randn([70, 600], { rng: rng(5), dtype: "float64" });
    const d = transpose(randn([130, 600], { rng: rng(6), dtype: "float64" }));
    expect(maxAbsDiff(wasmMatmul(c, d, [], 0), referenceMatmul(c, d, []))).toBeLessThan(1e-12);
    // Negative strides (reversed views) and a sparse view (every third column) are packed from JS.
    const e = randn([45, 60], { rng: rng(11) }).slice([null, null, -1], [null, null, -1]);
    const f = randn([60, 90], { rng: rng(12) }).slice(null, [null, null, 3]);
    expect(maxAbsDiff(wasmMatmul(e, f, [], 0), referenceMatmul(e, f, []))).toBeLessThan(1e-4);
  });

  it("leaves no state between calls: the same product twice is bit-identical", () => {
    const a = randn([37, 91], { rng: rng(7) });
    const b = randn([91, 45], { rng: rng(8) });
    const first = Array.from(wasmMatmul(a, b, [], 0).data());
    wasmMatmul(randn([200, 200], { rng: rng(9) }), randn([200, 200], { rng: rng(10) }), [], 0);
    expect(Array.from(wasmMatmul(a, b, [], 0).data())).toEqual(first);
  });

  it("says whether it uses relaxed SIMD (FMA)", () => {
    expect(typeof wasmRuntime()?.kernels.relaxed).toBe("boolean");
  });
});

describe("backend selection", () => {
  it("lists the available backends, fastest first, and switches between them", () => {
    const before = getBackend();
    expect(availableBackends()).toContain("cpu");
    expect(availableBackends()[0]).toBe(simdAvailable ? "wasm" : "cpu");
    try {
      const a = randn([40, 50], { rng: rng(1), dtype: "float64" });
      const b = randn([50, 30], { rng: rng(2), dtype: "float64" });
      const f = (x: Tensor) => sum(matmul(x, b).mul(matmul(x, b)));
      const results = availableBackends().map((name) => {
        setBackend(name);
        expect(getBackend()).toBe(name);
        return [matmul(a, b), grad(f)(a) as Tensor];
      });
      for (const [y, g] of results.slice(1)) {
        expect(maxAbsDiff(y, results[0][0])).toBeLessThan(1e-12);
        expect(maxAbsDiff(g, results[0][1])).toBeLessThan(1e-10);
      }
    } finally {
      setBackend(before);
    }
  });

  it("rejects unknown backends with an AdError", () => {
    const before = getBackend();
    expect(errorCode(() => setBackend("gpu" as never))).toBe("InvalidArgument");
    expect(getBackend()).toBe(before); // a refused call changes nothing
  });
});
