/**
 * The cpu kernel's unrolled 2 × 2 max-pool argmax (src/backends/cpu/kernels/conv.ts) against the
 * rule written out: in each window the first maximum in row-major tap order, or the first NaN. Values
 * from a small set force ties and NaNs; strides 1–3 (overlapping and gapped windows), an offset view.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { maxPool2dArgmax } from "../../src/backends/cpu/kernels/conv.js";

/** The window rule directly: position ih·W + iw of the chosen tap, per [n, c, oh, ow]. */
function reference(xs: Float32Array, offset: number, [N, C, H, W]: number[], [sh, sw]: number[], outH: number, outW: number): number[] {
  const out: number[] = [];
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let oh = 0; oh < outH; oh++)
        for (let ow = 0; ow < outW; ow++) {
          let best = NaN;
          let at = -1;
          for (let kh = 0; kh < 2; kh++)
            for (let kw = 0; kw < 2; kw++) {
              const [ih, iw] = [oh * sh + kh, ow * sw + kw];
              const v = xs[offset + ((n * C + c) * H + ih) * W + iw];
              if (at < 0 || (!Number.isNaN(best) && (Number.isNaN(v) || v > best))) [best, at] = [v, ih * W + iw];
            }
          out.push(at);
        }
  return out;
}

describe("max-pool argmax, 2 × 2 windows", () => {
  it("chooses the first maximum, or the first NaN, in every window (generated shapes, strides, ties)", () => {
    fc.assert(
      fc.property(
        fc.record({ N: fc.integer({ min: 1, max: 2 }), C: fc.integer({ min: 1, max: 3 }), H: fc.integer({ min: 2, max: 9 }), W: fc.integer({ min: 2, max: 9 }) }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 3 }),
        fc.array(fc.constantFrom(-1, 0, 1, 2, NaN), { minLength: 1 }),
        ({ N, C, H, W }, sh, sw, offset, pool) => {
          const shape = [N, C, H, W];
          const xs = Float32Array.from({ length: offset + N * C * H * W }, (_, i) => pool[i % pool.length]);
          const [outH, outW] = [Math.floor((H - 2) / sh) + 1, Math.floor((W - 2) / sw) + 1];
          const x = { storage: xs, dtype: "float32" as const, shape, strides: [C * H * W, H * W, W, 1], offset };
          const got = maxPool2dArgmax(x, [2, 2], { stride: [sh, sw], padding: [0, 0], dilation: [1, 1] }, outH, outW);
          expect(Array.from(got)).toEqual(reference(xs, offset, shape, [sh, sw], outH, outW));
        },
      ),
      { numRuns: 200 },
    );
  });
});
