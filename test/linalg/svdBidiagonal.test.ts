/**
 * svd by Golub–Kahan bidiagonalisation and implicit QR (src/backends/wasm/bidiagonalSvd.ts, the
 * wasm backend's kernel for n ≥ 128; called directly here at smaller sizes too) against the
 * reference one-sided Jacobi: singular values to 1e−12 of the largest, A = U·diag(s)·Vᵀ and
 * orthonormal U and V to rounding, the vectors of well-separated singular values the reference's up
 * to sign; batched, tall, rank-deficient (zero on B's diagonal), repeated (the identity), zero and
 * float32 input; a NaN declined (the reference answers).
 */
import { describe, expect, it } from "vitest";
import * as reference from "../../src/backends/cpu/kernels/decompositions.js";
import { bidiagonalSvd } from "../../src/backends/wasm/bidiagonalSvd.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import * as linalg from "../../src/linalg/index.js";
import { cast, randn, rng, type Tensor } from "../../src/tensor/index.js";
import { f64, flat } from "../support/tensors.js";

const g = rng(20261210);

/** Checks one packed result against A (row-major values) and the reference's packed result. */
function expectSvd(fast: ArrayLike<number>, a: ArrayLike<number>, slow: ArrayLike<number>, batch: number, m: number, n: number, tolerance: number): void {
  expect(fast.length).toBe(slow.length);
  for (let p = 0; p < batch; p++) {
    const base = p * (1 + m + n) * n;
    const u = (i: number, j: number) => fast[base + (1 + i) * n + j];
    const v = (i: number, j: number) => fast[base + (1 + m + i) * n + j];
    const scale = Math.max(slow[base], Number.MIN_VALUE);
    for (let j = 0; j < n; j++) expect(Math.abs(fast[base + j] - slow[base + j])).toBeLessThanOrEqual(tolerance * scale);
    for (let i = 0; i < m; i++) {
      for (let k = 0; k < n; k++) {
        let x = 0;
        for (let j = 0; j < n; j++) x += u(i, j) * fast[base + j] * v(k, j);
        expect(Math.abs(x - a[p * m * n + i * n + k])).toBeLessThanOrEqual(tolerance * scale);
      }
    }
    for (const [rows, at] of [
      [m, u],
      [n, v],
    ] as const) {
      for (let i = 0; i < n; i++) {
        for (let k = 0; k < n; k++) {
          let x = 0;
          for (let r = 0; r < rows; r++) x += at(r, i) * at(r, k);
          expect(Math.abs(x - (i === k ? 1 : 0))).toBeLessThan(tolerance);
        }
      }
    }
  }
}

describe.runIf(simdAvailable)("svd by bidiagonalisation and implicit QR against the reference (one-sided Jacobi)", () => {
  it("random, square, tall and batched, float64", () => {
    for (const [batch, m, n] of [
      [2, 6, 5],
      [1, 40, 40],
      [3, 70, 33],
      [1, 150, 130],
    ]) {
      const a = randn([batch, m, n], { rng: g, dtype: "float64" });
      const fast = bidiagonalSvd(a)!;
      const slow = reference.svd(a);
      expectSvd(fast, flat(a), slow, batch, m, n, 1e-12);
      // Random singular values are apart: each vector pair is the reference's, up to one sign.
      const base = 0;
      for (let j = 0; j < n; j++) {
        let dot = 0;
        for (let i = 1; i <= m; i++) dot += fast[base + i * n + j] * slow[base + i * n + j];
        expect(Math.abs(Math.abs(dot) - 1)).toBeLessThan(1e-8);
      }
    }
  });

  it("rank-deficient (zeros on the bidiagonal's diagonal), the identity (every singular value repeated), zero", () => {
    const m = 45;
    const n = 36;
    const deficient = Array.from(flat(randn([m, n], { rng: g, dtype: "float64" })));
    for (let i = 0; i < m; i++) {
      deficient[i * n + 4] = deficient[i * n + 9];
      deficient[i * n] = 0;
    }
    const identity = Array.from({ length: m * n }, (_, k) => (Math.floor(k / n) === k % n ? 1 : 0));
    // Already bidiagonal, with zeros inside and at the end of the diagonal: both of QR's zero chases.
    const bidiagonal = Array.from({ length: m * n }, (_, k) => {
      const [i, j] = [Math.floor(k / n), k % n];
      if (j === i) return i === 7 || i === n - 1 ? 0 : 1 + (i % 5);
      return j === i + 1 ? 0.5 + (i % 3) : 0;
    });
    for (const values of [deficient, identity, bidiagonal, new Array<number>(m * n).fill(0)]) {
      const a = f64(values, [m, n]);
      expectSvd(bidiagonalSvd(a)!, values, reference.svd(a), 1, m, n, 1e-12);
    }
  });

  it("float32 storage (float64 scratch)", () => {
    const a: Tensor = cast(randn([50, 40], { rng: g, dtype: "float64" }), "float32");
    const fast = bidiagonalSvd(a)!;
    expect(fast).toBeInstanceOf(Float32Array);
    expectSvd(fast, flat(a), reference.svd(a), 1, 50, 40, 1e-5);
  });

  it("a NaN is declined (undefined: the reference answers), and linalg.svd of n ≥ 128 runs it", () => {
    const values = Array.from(flat(randn([40, 40], { rng: g, dtype: "float64" })));
    values[17] = Number.NaN;
    expect(bidiagonalSvd(f64(values, [40, 40]))).toBeUndefined();
    const a = randn([140, 128], { rng: g, dtype: "float64" });
    const { S } = linalg.svd(a);
    const slow = reference.svd(a);
    flat(S).forEach((s, j) => expect(Math.abs(s - slow[j])).toBeLessThan(1e-12 * slow[0]));
  });
});
