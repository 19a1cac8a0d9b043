/**
 * Products with a contracted length of 1 on the wasm backend (src/backends/wasm/outer.ts): batches of
 * outer products, vmap's per-example weight gradients. Bit for bit the reference kernel's results on
 * generated shapes, views, broadcast batches and special values (−0, ±∞, NaN); the small per-example
 * products the gemm declined run here too; a resident result is written in place, a JS one in chunks;
 * worker threads give the same bits.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capThreadsForFile } from "../support/threadCap.js";
import { withArena, type Storage } from "../../src/backends/dtype.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { matmul as wasmProduct } from "../../src/backends/wasm/matmul.js";
import { setThreads } from "../../src/backends/wasm/pool.js";
import { residentStorage } from "../../src/backends/wasm/runtime.js";
import { expand, randn, rng, tensor, transpose, type Tensor } from "../../src/tensor/index.js";
import { broadcastShapes } from "../../src/tensor/shape.js";
import { referenceMatmul, wasmMatmul } from "../support/kernels.js";

type Float = "float32" | "float64";

capThreadsForFile();

const SPECIALS = [-0, 0, Infinity, -Infinity, NaN];

/** A random [...batch, rows, cols] operand with some special values, stored transposed or not. */
function operand(seed: number, batch: readonly number[], rows: number, cols: number, transposed: boolean, dtype: Float, specials: boolean): Tensor {
  const r = rng(seed);
  const shape = transposed ? [...batch, cols, rows] : [...batch, rows, cols];
  const values = Array.from(randn(shape, { rng: r, dtype }).data());
  if (specials) for (let i = 0; i < values.length; i += 7) values[i] = SPECIALS[(i / 7) % SPECIALS.length];
  const t = tensor(values, { shape, dtype });
  return transposed ? transpose(t) : t;
}

/** Whether two results have the same shape and the same bits (NaN equals NaN, −0 differs from +0). */
function sameBits(got: Tensor, want: Tensor): boolean {
  const [a, b] = [got.data(), want.data()];
  return String(got.shape) === String(want.shape) && a.length === b.length && a.every((x, i) => Object.is(x, b[i]));
}

describe.runIf(simdAvailable)("wasm outer products (contracted length 1)", () => {
  it("equal the reference bit for bit on generated shapes, views, batch broadcasting and special values (property)", () => {
    const dim = fc.oneof(fc.constantFrom(1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17), fc.integer({ min: 18, max: 90 }));
    fc.assert(
      fc.property(
        fc.record({
          m: dim,
          n: dim,
          batch: fc.array(fc.constantFrom(1, 2, 3, 5), { maxLength: 2 }),
          // One operand's batch: broadcast (axes of 1) or dropped.
          ones: fc.array(fc.boolean(), { minLength: 2, maxLength: 2 }),
          drop: fc.integer({ min: 0, max: 2 }),
          swap: fc.boolean(),
          ta: fc.boolean(),
          tb: fc.boolean(),
          dtype: fc.constantFrom<Float>("float32", "float64"),
          specials: fc.boolean(),
          seed: fc.integer(),
        }),
        ({ m, n, batch: full, ones, drop, swap, ta, tb, dtype, specials, seed }) => {
          const partial = full.slice(Math.min(drop, full.length)).map((d, i) => (ones[i] ? 1 : d));
          const [batchA, batchB] = swap ? [partial, full] : [full, partial];
          const batch = broadcastShapes("test", batchA, batchB);
          const a = operand(seed, batchA, m, 1, ta, dtype, specials);
          const b = operand(seed + 1, batchB, 1, n, tb, dtype, specials);
          expect(sameBits(wasmMatmul(a, b, batch, 0), referenceMatmul(a, b, batch))).toBe(true);
        },
      ),
      { numRuns: 120 },
    );
  });

  it("runs the small per-example products the gemm declined (a batch of [256, 1]·[1, 10])", () => {
    const a = randn([128, 256, 1], { rng: rng(1) });
    const b = randn([128, 1, 10], { rng: rng(2) });
    const out = wasmProduct(a, b, [128]);
    expect(out).toBeDefined();
    expect(sameBits(wasmMatmul(a, b, [128]), referenceMatmul(a, b, [128]))).toBe(true);
  });

  it("reads broadcast (stride-0) operands and writes a result larger than one chunk of the scratch area", () => {
    // 3 × 300 × 400 results: more than the 2¹⁸ values written between copies out.
    const a = expand(randn([1, 300, 1], { rng: rng(3) }), [3, 300, 1]);
    const b = randn([3, 1, 400], { rng: rng(4), dtype: "float32" });
    expect(sameBits(wasmMatmul(a, b, [3]), referenceMatmul(a, b, [3]))).toBe(true);
    const c = randn([2, 700, 1], { rng: rng(5), dtype: "float64" });
    const d = expand(randn([1, 1, 500], { rng: rng(6), dtype: "float64" }), [2, 1, 500]);
    expect(sameBits(wasmMatmul(c, d, [2]), referenceMatmul(c, d, [2]))).toBe(true);
  });

  it("writes a result resident in the wasm memory in place: the storage handed out is the result", () => {
    const a = randn([4, 300, 1], { rng: rng(7) });
    const b = randn([4, 1, 33], { rng: rng(8) });
    const resident = residentStorage("float32", 4 * 300 * 33);
    expect(resident).toBeDefined();
    const out = withArena({ take: (_, n) => (n === resident?.length ? resident : undefined), made: () => {} }, () => wasmProduct(a, b, [4]));
    expect(out).toBe(resident);
    expect(sameBits(tensor(out as Storage, { shape: [4, 300, 33] }), referenceMatmul(a, b, [4]))).toBe(true);
  });

  it("gives the same bits on 1, 2 and 3 threads", () => {
    const a = randn([5, 123, 1], { rng: rng(9) });
    const b = randn([5, 1, 77], { rng: rng(10) });
    const bits = (threads: number) => {
      setThreads(threads);
      return Array.from(wasmMatmul(a, b, [5], 0, 0).data());
    };
    const one = bits(1);
    expect(bits(2)).toEqual(one);
    expect(bits(3)).toEqual(one);
  });
});
