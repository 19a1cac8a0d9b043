/**
 * The wasm backend's convolutions (im2col + the SIMD matmul, col2im for the input gradient) against
 * the reference's direct loops: random geometry (stride, padding, dilation, rectangular kernels, a
 * kernel as large as the padded input), non-contiguous operands, float32 and float64, batches and
 * filter counts of 1.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { windowCount } from "../../src/backends/geometry.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { randn, rng, transpose, type Tensor } from "../../src/tensor/index.js";
import { maxAbsDiff as maxDiff } from "../support/backends.js";
import { reference, wasm } from "../support/kernels.js";

const maxAbsDiff = (x: Tensor, y: Tensor): number => {
  expect(x.shape).toEqual(y.shape);
  return maxDiff(x, y);
};

/** A random tensor of `shape`, stored with its last two axes swapped when `swapped` (a non-contiguous view). */
function operand(r: ReturnType<typeof rng>, shape: number[], swapped: boolean, dtype: "float32" | "float64"): Tensor {
  if (!swapped) return randn(shape, { rng: r, dtype });
  const [a, b] = shape.slice(-2);
  return transpose(randn([...shape.slice(0, -2), b, a], { rng: r, dtype }));
}

describe.runIf(simdAvailable)("wasm conv2d (im2col + matmul)", () => {
  it("forward, input gradient and weight gradient match the direct reference loops (property)", () => {
    const small = fc.integer({ min: 1, max: 3 });
    fc.assert(
      fc.property(
        fc.record({
          N: small,
          C: small,
          F: small,
          H: fc.integer({ min: 1, max: 9 }),
          W: fc.integer({ min: 1, max: 9 }),
          KH: small,
          KW: small,
          stride: fc.tuple(small, small),
          padding: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
          dilation: fc.tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 2 })),
          swapX: fc.boolean(),
          swapW: fc.boolean(),
          dtype: fc.constantFrom("float32" as const, "float64" as const),
          seed: fc.integer(),
        }),
        ({ N, C, F, H, W, KH, KW, stride, padding, dilation, swapX, swapW, dtype, seed }) => {
          const geo = { stride, padding, dilation } as const;
          const OH = windowCount(H, KH, stride[0], padding[0], dilation[0]);
          const OW = windowCount(W, KW, stride[1], padding[1], dilation[1]);
          fc.pre(OH >= 1 && OW >= 1);
          const r = rng(seed);
          const x = operand(r, [N, C, H, W], swapX, dtype);
          const w = operand(r, [F, C, KH, KW], swapW, dtype);
          const g = operand(r, [N, F, OH, OW], swapX, dtype);
          const tol = (dtype === "float32" ? 1e-5 : 1e-13) * Math.max(1, C * KH * KW, N * OH * OW, F);
          expect(maxAbsDiff(wasm.conv2d(x, w, geo, OH, OW, 0), reference.conv2d(x, w, geo, OH, OW))).toBeLessThanOrEqual(tol);
          expect(maxAbsDiff(wasm.conv2dInputGrad(g, w, geo, H, W, 0), reference.conv2dInputGrad(g, w, geo, H, W))).toBeLessThanOrEqual(tol);
          expect(maxAbsDiff(wasm.conv2dWeightGrad(x, g, geo, KH, KW, 0), reference.conv2dWeightGrad(x, g, geo, KH, KW))).toBeLessThanOrEqual(tol);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a CNN-sized layer: [8, 3, 28, 28] ⋆ [16, 3, 3, 3], padding 1", () => {
    const r = rng(11);
    const geo = { stride: [1, 1], padding: [1, 1], dilation: [1, 1] } as const;
    const x = randn([8, 3, 28, 28], { rng: r });
    const w = randn([16, 3, 3, 3], { rng: r });
    const g = randn([8, 16, 28, 28], { rng: r });
    expect(maxAbsDiff(wasm.conv2d(x, w, geo, 28, 28), reference.conv2d(x, w, geo, 28, 28))).toBeLessThan(1e-4);
    expect(maxAbsDiff(wasm.conv2dInputGrad(g, w, geo, 28, 28), reference.conv2dInputGrad(g, w, geo, 28, 28))).toBeLessThan(1e-4);
    expect(maxAbsDiff(wasm.conv2dWeightGrad(x, g, geo, 3, 3), reference.conv2dWeightGrad(x, g, geo, 3, 3))).toBeLessThan(1e-2);
  });
});
