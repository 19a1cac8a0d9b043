/**
 * svd of 32 ≤ n < 128 on the wasm backend (src/backends/wasm/svd.ts: the reference's one-sided Jacobi
 * with the columns as contiguous rows and the dot products and rotations in wasm SIMD) against the
 * reference kernel: singular values to 1e−12 relative to the largest, and to 1e−10 of their own size
 * on a column-graded matrix (the relative accuracy Jacobi keeps); U's and V's columns the same up to
 * the sign of each pair (which the public svd fixes), batched, tall, rank-deficient and float32;
 * and the sizes it leaves to the reference.
 */
import { describe, expect, it } from "vitest";
import * as reference from "../../src/backends/cpu/kernels/decompositions.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { svd as jacobiWasm } from "../../src/backends/wasm/svd.js";
import * as linalg from "../../src/linalg/index.js";
import { cast, matmul, mul, randn, rng, type Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";

const g = rng(20261209);

/** Compares two packed svd outputs [batch, 1 + m + n, n] column by column, up to each pair's sign. */
function expectSameSvd(fast: ArrayLike<number>, slow: ArrayLike<number>, batch: number, m: number, n: number, tolerance: number): void {
  expect(fast.length).toBe(slow.length);
  for (let p = 0; p < batch; p++) {
    const base = p * (1 + m + n) * n;
    const largest = slow[base];
    for (let j = 0; j < n; j++) expect(Math.abs(fast[base + j] - slow[base + j])).toBeLessThanOrEqual(1e-12 * largest);
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = 1; i < 1 + m + n; i++) dot += fast[base + i * n + j] * slow[base + i * n + j];
      const flip = dot < 0 ? -1 : 1;
      for (let i = 1; i < 1 + m + n; i++) expect(Math.abs(flip * fast[base + i * n + j] - slow[base + i * n + j])).toBeLessThan(tolerance);
    }
  }
}

describe.runIf(simdAvailable)("svd by one-sided Jacobi in wasm SIMD (n ≥ 32) against the reference", () => {
  it("square, tall and batched, float64: U and V to 1e-10 up to sign", () => {
    for (const [batch, m, n] of [
      [2, 32, 32],
      [1, 81, 33],
      [1, 100, 64],
    ]) {
      const a = randn([batch, m, n], { rng: g, dtype: "float64" });
      const fast = jacobiWasm(a);
      expect(fast).toBeInstanceOf(Float64Array);
      expectSameSvd(fast!, reference.svd(a), batch, m, n, 1e-10);
    }
  });

  it("float32 storage (float64 scratch) to its rounding", () => {
    const a = cast(randn([40, 36], { rng: g, dtype: "float64" }), "float32");
    const fast = jacobiWasm(a)!;
    expect(fast).toBeInstanceOf(Float32Array);
    expectSameSvd(fast, reference.svd(a), 1, 40, 36, 1e-5);
  });

  it("rank-deficient: a zero singular value, U completed to orthonormal columns as the reference does", () => {
    const values = Array.from(flat(randn([50, 40], { rng: g, dtype: "float64" })));
    for (let i = 0; i < 50; i++) values[i * 40 + 7] = values[i * 40 + 3];
    const a = f64(values, [50, 40]);
    const { U, S } = linalg.svd(a);
    expect(flat(S)[39]).toBeLessThan(1e-13);
    const gram = flat(matmul(U.transpose(), U));
    gram.forEach((v, k) => expect(Math.abs(v - (k % 41 === 0 ? 1 : 0))).toBeLessThan(1e-12));
  });

  it("columns graded over twelve decades: every singular value to 1e-10 of its size, as the reference", () => {
    const scales = f64(
      Array.from({ length: 40 }, (_, j) => 10 ** (-12 * (j / 39))),
      [1, 40],
    );
    const a: Tensor = mul(randn([48, 40], { rng: g, dtype: "float64" }), scales);
    const fast = jacobiWasm(a)!;
    const slow = reference.svd(a);
    for (let j = 0; j < 40; j++) expect(Math.abs(fast[j] - slow[j]) / slow[j]).toBeLessThan(1e-10);
  });

  it("leaves n < 32 to the reference", () => {
    expect(jacobiWasm(randn([40, 31], { rng: g, dtype: "float64" }))).toBeUndefined();
  });
});
