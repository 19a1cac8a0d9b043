/**
 * The wasm backend's blocked Cholesky, LU and QR (panels in JS, trailing updates on the SIMD matmul)
 * against the reference kernels' unblocked loops: sizes across panel boundaries, batches, float64 to
 * 1e−10 and float32, the pivots the same, and the reference's own answer where a pivot fails. Small
 * matrices are declined (the reference runs them), so PyTorch's golden values (test/linalg/golden)
 * reach these kernels only through the sizes here.
 */
import { describe, expect, it } from "vitest";
import * as decompositions from "../../src/backends/cpu/kernels/decompositions.js";
import * as reference from "../../src/backends/cpu/kernels/linalg.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import * as blocked from "../../src/backends/wasm/linalg.js";
import * as blockedQr from "../../src/backends/wasm/qr.js";
import { add, arange, cast, eye, gt, matmul, mul, randn, rng, transpose, type Tensor } from "../../src/tensor/index.js";

const g = rng(20261207);

/** A·Aᵀ + n·I, batched: symmetric positive definite and well conditioned. */
function spd(batch: number[], n: number, dtype: "float32" | "float64"): Tensor {
  const a = randn([...batch, n, n], { rng: g, dtype: "float64" });
  return cast(add(matmul(a, transpose(a)), mul(eye(n, n, { dtype: "float64" }), n)), dtype);
}

function maxRelative(x: ArrayLike<number>, y: ArrayLike<number>): number {
  expect(x.length).toBe(y.length);
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < y.length; i++) scale = Math.max(scale, Math.abs(y[i]));
  for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  return worst / scale;
}

describe.runIf(simdAvailable)("wasm blocked Cholesky and LU against the reference loops", () => {
  it("Cholesky across panel boundaries and batches: float64 to 1e-10, float32 to its rounding", () => {
    for (const [batch, n] of [
      [[], 128],
      [[2], 150],
      [[], 257],
    ] as [number[], number][]) {
      const a = spd(batch, n, "float64");
      const fast = blocked.cholesky(a);
      const slow = reference.cholesky(a);
      expect(fast?.failure).toBeNull();
      expect(maxRelative(fast!.factor, slow.factor)).toBeLessThan(1e-10);
      const a32 = cast(a, "float32");
      const fast32 = blocked.cholesky(a32)!;
      expect(fast32.factor).toBeInstanceOf(Float32Array);
      expect(maxRelative(fast32.factor, reference.cholesky(a32).factor)).toBeLessThan(1e-6);
    }
  });

  it("LU with partial pivoting: the same pivots and factors (float64 to 1e-10), batched", () => {
    for (const [batch, n] of [
      [[], 128],
      [[2], 193],
    ] as [number[], number][]) {
      const a = randn([...batch, n, n], { rng: g, dtype: "float64" });
      const fast = blocked.lu(a)!;
      const slow = reference.lu(a);
      expect(Array.from(fast.permutation)).toEqual(Array.from(slow.permutation));
      expect(maxRelative(fast.factor, slow.factor)).toBeLessThan(1e-10);
      const a32 = cast(a, "float32");
      expect(maxRelative(blocked.lu(a32)!.factor, reference.lu(a32).factor)).toBeLessThan(1e-4);
    }
  });

  it("declines what the reference does better or decides: small matrices, a failing pivot", () => {
    expect(blocked.cholesky(spd([], 64, "float64"))).toBeUndefined();
    const indefinite = mul(spd([], 130, "float64"), -1);
    expect(blocked.cholesky(indefinite)).toBeUndefined();
    expect(reference.cholesky(indefinite).failure).toEqual({ batch: 0, index: 0 });
    const zeros = mul(randn([130, 130], { rng: g, dtype: "float64" }), 0);
    expect(blocked.lu(zeros)).toBeUndefined();
  });
});

describe.runIf(simdAvailable)("wasm blocked Householder QR (compact WY) against the reference loops", () => {
  it("Q reduced and complete, tall, wide and square, across panel boundaries and batches: float64 to 1e-10, float32 to its rounding", () => {
    for (const [batch, m, n, complete] of [
      [[], 128, 128, false],
      [[2], 200, 150, false],
      [[], 200, 150, true],
      [[], 140, 260, false],
    ] as [number[], number, number, boolean][]) {
      const a = randn([...batch, m, n], { rng: g, dtype: "float64" });
      const fast = blockedQr.qr(a, complete)!;
      expect(fast).toBeInstanceOf(Float64Array);
      expect(maxRelative(fast, decompositions.qr(a, complete))).toBeLessThan(1e-10);
      const a32 = cast(a, "float32");
      const fast32 = blockedQr.qr(a32, complete)!;
      expect(fast32).toBeInstanceOf(Float32Array);
      expect(maxRelative(fast32, decompositions.qr(a32, complete))).toBeLessThan(1e-5);
    }
  });

  it("declines below two panels, and keeps a zero column's reflector the identity as the reference does", () => {
    expect(blockedQr.qr(randn([127, 300], { rng: g, dtype: "float64" }), false)).toBeUndefined();
    const a = randn([150, 130], { rng: g, dtype: "float64" });
    const zeroed = mul(a, cast(gt(arange(130), 64), "float64"));
    expect(maxRelative(blockedQr.qr(zeroed, false)!, decompositions.qr(zeroed, false))).toBeLessThan(1e-10);
  });
});
