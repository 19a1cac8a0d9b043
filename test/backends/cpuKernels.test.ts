/**
 * The reference CPU kernels against index arithmetic on plain arrays: random shapes with size-0 and
 * size-1 axes, broadcasting in both directions, and non-contiguous inputs (transposed, sliced with
 * negative steps, expanded).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { binaryKernel as storageBinaryKernel, unaryKernel as storageUnaryKernel } from "../../src/backends/cpu/kernels/elementwise.js";
import { specialize } from "../../src/backends/cpu/kernels/specialize.js";
import { defineFold, SUM } from "../../src/backends/cpu/kernels/fold.js";
import { reduceAxes } from "../../src/backends/cpu/kernels/reduce.js";
import { copyStrided } from "../../src/backends/cpu/kernels/strided.js";
import type { DType } from "../../src/backends/dtype.js";
import { broadcastAxes, broadcastShapes } from "../../src/backends/shape.js";
import { sumTo } from "../../src/tensor/primitives/reduce.js";
import { add, arange, tensor, type Tensor } from "../../src/tensor/index.js";
import { fromStorage } from "../../src/tensor/tensor.js";
import { errorCode } from "../support/errorCode.js";

// The kernels over views, their buffers wrapped as tensors (as the primitives do) to read them back.
const unaryKernel =
  (f: (x: number) => number) =>
  (x: Tensor, dtype: DType = x.dtype): Tensor =>
    fromStorage(storageUnaryKernel(f)(x, dtype), dtype, [...x.shape]);
const binaryKernel = (f: (x: number, y: number) => number) => (op: string, a: Tensor, b: Tensor) => {
  const shape = broadcastShapes(op, a.shape, b.shape);
  return fromStorage(storageBinaryKernel(f)(a, b, shape, a.dtype), a.dtype, shape);
};

const dim = fc.integer({ min: 0, max: 3 });

function numbered(shape: readonly number[], start = 0): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return arange(start, start + n, 1, { dtype: "float64" }).reshape(shape);
}

/** Elements of t in row-major order, read through `at` (independent of the kernels' loops). */
function elements(t: Tensor): number[] {
  const out: number[] = [];
  const visit = (prefix: number[]) => {
    if (prefix.length === t.rank) out.push(t.at(...prefix));
    else for (let i = 0; i < t.shape[prefix.length]; i++) visit([...prefix, i]);
  };
  visit([]);
  return out;
}

/** A random view with the given logical shape: contiguous, transposed-and-back, or reversed. */
function someView(shape: number[], kind: number, start: number): Tensor {
  if (kind === 1 && shape.length >= 2) return numbered([...shape.slice(0, -2), shape[shape.length - 1], shape[shape.length - 2]], start).transpose();
  if (kind === 2 && shape.length >= 1) return numbered(shape, start).slice([null, null, -1]);
  return numbered(shape, start);
}

describe("mapBinary broadcasts like NumPy", () => {
  it("matches the reference on random broadcastable shapes and views", () => {
    const pair = fc.array(fc.tuple(dim, fc.integer({ min: 0, max: 2 })), { maxLength: 4 }).chain((dims) =>
      fc.tuple(
        fc.constant(dims.map(([d]) => d)),
        // each side: drop some leading axes, set some axes to 1
        fc.integer({ min: 0, max: dims.length }),
        fc.integer({ min: 0, max: dims.length }),
        fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }),
        fc.array(fc.boolean(), { minLength: dims.length, maxLength: dims.length }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 2 }),
      ),
    );
    fc.assert(
      fc.property(pair, ([out, dropA, dropB, onesA, onesB, kindA, kindB]) => {
        const sa = out.map((d, i) => (onesA[i] ? 1 : d)).slice(dropA);
        const sb = out.map((d, i) => (onesB[i] ? 1 : d)).slice(dropB);
        const a = someView(sa, kindA, 0);
        const b = someView(sb, kindB, 100);
        const z = binaryKernel((x, y) => 1000 * x + y)("test", a, b);
        const expectedShape = out.map((d, i) => {
          const da = i >= dropA ? (onesA[i] ? 1 : d) : 1;
          const db = i >= dropB ? (onesB[i] ? 1 : d) : 1;
          return da === 1 ? db : da;
        });
        expect(z.shape).toEqual(expectedShape.slice(Math.min(dropA, dropB)));
        // Reference: read each operand at the broadcast index.
        const ref: number[] = [];
        const visit = (prefix: number[]) => {
          if (prefix.length === z.rank) {
            const pick = (t: Tensor) => t.at(...prefix.slice(z.rank - t.rank).map((i, k) => (t.shape[k] === 1 ? 0 : i)));
            ref.push(1000 * pick(a) + pick(b));
          } else for (let i = 0; i < z.shape[prefix.length]; i++) visit([...prefix, i]);
        };
        visit([]);
        expect(Array.from(z.data())).toEqual(ref);
      }),
      { numRuns: 200 },
    );
  });

  it("shapes that do not broadcast are a ShapeMismatch naming the op and both shapes (the primitive's rule, before any kernel)", () => {
    expect(errorCode(() => add(numbered([2, 3]), numbered([2])))).toBe("ShapeMismatch");
    try {
      add(numbered([2, 3]), numbered([4, 3]));
    } catch (e) {
      expect((e as { details: unknown }).details).toMatchObject({
        op: "add",
        shapes: [
          [2, 3],
          [4, 3],
        ],
      });
    }
  });

  it("a unary kernel reads any view and writes a contiguous result of the requested dtype", () => {
    const t = numbered([2, 3]).transpose();
    const y = unaryKernel((v) => v * 2)(t);
    expect(y.toArray()).toEqual([
      [0, 6],
      [2, 8],
      [4, 10],
    ]);
    expect(y.isContiguous()).toBe(true);
    expect(unaryKernel((v) => (v > 0 ? 1 : 0))(tensor([1, -1]), "bool").toArray()).toEqual([true, false]);
    // Three axes, the middle one reversed and the last strided: no run merges, every row is offset.
    const v = numbered([2, 3, 4]).slice(null, [null, null, -1], [null, null, 2]);
    expect(unaryKernel((x) => x + 0.5)(v).toArray()).toEqual((v.toArray() as number[][][]).map((m) => m.map((r) => r.map((x) => x + 0.5))));
  });

  it("specialize re-creates a self-contained factory, and falls back to it where code generation is refused", () => {
    const factory = (k: number) => (x: number) => x * k;
    const copy = specialize(factory);
    expect(copy).not.toBe(factory);
    expect(copy(3)(2)).toBe(6);
    const saved = globalThis.Function;
    globalThis.Function = function refused() {
      throw new EvalError("Code generation from strings disallowed for this context");
    } as unknown as FunctionConstructor;
    try {
      expect(specialize(factory)).toBe(factory);
    } finally {
      globalThis.Function = saved;
    }
  });
});

describe("reductions", () => {
  it("sum over random axis sets matches the reference", () => {
    fc.assert(
      fc.property(
        fc.array(dim, { maxLength: 4 }).chain((shape) => fc.tuple(fc.constant(shape), fc.subarray(shape.map((_, i) => i)), fc.integer({ min: 0, max: 2 }))),
        ([shape, axes, kind]) => {
          const t = someView(shape, kind, 1);
          const r = reduceAxes(t, axes, SUM);
          const kept = shape.map((_, i) => i).filter((i) => !axes.includes(i));
          const sums = new Map<string, number>();
          const visit = (prefix: number[]) => {
            if (prefix.length === t.rank) {
              const key = kept.map((i) => prefix[i]).join(",");
              sums.set(key, (sums.get(key) ?? 0) + t.at(...prefix));
            } else for (let i = 0; i < shape[prefix.length]; i++) visit([...prefix, i]);
          };
          visit([]);
          const got = Array.from(r);
          const outShape = kept.map((i) => shape[i]);
          const expected: number[] = [];
          const walk = (prefix: number[]) => {
            if (prefix.length === outShape.length) expected.push(sums.get(prefix.join(",")) ?? 0);
            else for (let i = 0; i < outShape[prefix.length]; i++) walk([...prefix, i]);
          };
          walk([]);
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("folds of their own: a max with −∞ init, a product along the leading axis", () => {
    const t = tensor(
      [
        [1, 5, 2],
        [7, 0, 3],
      ],
      { dtype: "float64" },
    );
    const prod = defineFold(1, (a, x) => a * x);
    expect(Array.from(reduceAxes(t, [1], defineFold(-Infinity, Math.max)))).toEqual([5, 7]);
    expect(Array.from(reduceAxes(t, [0], prod))).toEqual([7, 0, 6]);
    expect(Array.from(reduceAxes(t.transpose(), [1], prod))).toEqual([7, 0, 6]);
  });

  it("a float32 sum accumulates in float64 and rounds once", () => {
    // 2²⁴ + 1 is not a float32: a float32 accumulator would stick at 2²⁴ and lose every later 1.
    const n = 1 << 12;
    const x = tensor(new Float32Array(n + 1).fill(1).map((v, i) => (i === 0 ? 1 << 24 : v)));
    expect(reduceAxes(x, [0], SUM)[0]).toBe((1 << 24) + n);
  });

  it("sumTo undoes a broadcast: summing ones gives the repeat count", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 3 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }),
        fc.array(fc.boolean(), { maxLength: 3 }),
        (shape, lead, ones) => {
          const from = shape.map((d, i) => (ones[i] ? 1 : d));
          const to = [...lead, ...shape];
          const g = tensor(1, { dtype: "float64" }).expand(to);
          const r = sumTo(g, from);
          expect(r.shape).toEqual(from);
          const repeats = to.reduce((p, d) => p * d, 1) / from.reduce((p, d) => p * d, 1);
          expect(elements(r).every((x) => x === repeats)).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
    expect(broadcastAxes("t", [3, 1], [2, 3, 4])).toEqual([0, 2]);
    expect(errorCode(() => broadcastAxes("t", [3, 2], [3, 4]))).toBe("ShapeMismatch");
    expect(errorCode(() => broadcastAxes("t", [1, 3, 2], [3, 2]))).toBe("ShapeMismatch");
  });
});

describe("copyStrided", () => {
  it("copies any strided walk, by element or as block runs (long unit-stride rows between arrays of one type), to the index arithmetic's result", () => {
    // Shapes whose last axis is long enough for block runs, sources and targets in either order of axes, at an offset.
    const walk = fc.record({
      shape: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 150 })),
      transposeSource: fc.boolean(),
      offset: fc.integer({ min: 0, max: 5 }),
      dstType: fc.constantFrom("float32", "float64"),
    });
    fc.assert(
      fc.property(walk, ({ shape, transposeSource, offset, dstType }) => {
        const [a, b, c] = shape;
        const n = a * b * c;
        const src = Float32Array.from({ length: n + offset }, (_, i) => i * 0.5 - 7);
        // The source's axes 0 and 1 swapped in memory, or row-major.
        const srcStrides = transposeSource ? [c, a * c, 1] : [b * c, c, 1];
        const dst = dstType === "float32" ? new Float32Array(n + offset) : new Float64Array(n + offset);
        copyStrided(shape, src, offset, srcStrides, dst, offset, [b * c, c, 1]);
        for (let i = 0; i < a; i++)
          for (let j = 0; j < b; j++) for (let k = 0; k < c; k++) expect(dst[offset + (i * b + j) * c + k]).toBe(src[offset + i * srcStrides[0] + j * srcStrides[1] + k]);
        expect([...dst.subarray(0, offset)]).toEqual(new Array(offset).fill(0));
      }),
    );
  });
});
