/**
 * Tensor storage and views against a reference that works on plain nested arrays: random shapes
 * (size-0 and size-1 axes included), chains of views, and the values each view must show.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { AdError } from "../../src/errors.js";
import { arange, tensor, zeros, type NestedArray, type Tensor } from "../../src/tensor/index.js";
import { errorCode } from "../support/errorCode.js";

type Nested = number | Nested[];

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 0, maxLength: 4 });

function numbered(shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return arange(n, undefined, 1, { dtype: "float64" }).reshape(shape);
}

/** The reference: element at a full index of a row-major numbering. */
function build(shape: readonly number[], at: (index: number[]) => number, prefix: number[] = []): Nested {
  if (prefix.length === shape.length) return at(prefix);
  const out: Nested[] = [];
  for (let i = 0; i < shape[prefix.length]; i++) out.push(build(shape, at, [...prefix, i]));
  return out;
}

function rowMajor(shape: readonly number[], index: readonly number[]): number {
  let k = 0;
  for (let a = 0; a < shape.length; a++) k = k * shape[a] + index[a];
  return k;
}

const code = errorCode;

describe("creation and read-back", () => {
  it("nested arrays round-trip through tensor() and toArray(), with the shape inferred", () => {
    expect(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).shape,
    ).toEqual([2, 3]);
    expect(
      tensor([
        [1, 2, 3],
        [4, 5, 6],
      ]).toArray(),
    ).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(tensor(7).shape).toEqual([]);
    expect(tensor(7).item()).toBe(7);
    expect(tensor([[], []]).shape).toEqual([2, 0]);
    expect(tensor([true, false]).dtype).toBe("bool");
    expect(tensor([true, false]).toArray()).toEqual([true, false]);
    expect(tensor([0.1]).data()[0]).toBe(Math.fround(0.1));
    expect(tensor([0.1], { dtype: "float64" }).data()[0]).toBe(0.1);
    expect(tensor(new Float64Array([1, 2, 3, 4]), { shape: [2, 2] }).toArray()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(tensor(new Int32Array([1, 2])).dtype).toBe("int32");
  });

  it("ragged input, wrong shape and junk are AdErrors naming the problem", () => {
    expect(code(() => tensor([[1, 2], [3]]))).toBe("ShapeMismatch");
    expect(code(() => tensor([1, [2]]))).toBe("ShapeMismatch");
    expect(code(() => tensor([[1], 2]))).toBe("ShapeMismatch");
    expect(code(() => tensor([1, 2, 3], { shape: [2, 2] }))).toBe("ShapeMismatch");
    expect(code(() => tensor(["a"]))).toBe("InvalidArgument");
    expect(code(() => tensor([1], { dtype: "bfloat16" as never }))).toBe("InvalidArgument");
    expect(code(() => zeros([2, -1]))).toBe("InvalidArgument");
    expect(code(() => zeros([1.5]))).toBe("InvalidArgument");
  });

  it("data() is a copy: writing to it does not change the tensor", () => {
    const t = tensor([1, 2, 3]);
    t.data()[0] = 99;
    expect(t.toArray()).toEqual([1, 2, 3]);
  });
});

describe("views share storage and show the right elements", () => {
  it("reshape of a contiguous tensor is a view; −1 is inferred; a wrong count is ShapeMismatch", () => {
    const t = numbered([2, 3, 4]);
    const r = t.reshape([4, -1]);
    expect(r.shape).toEqual([4, 6]);
    expect(r.storage).toBe(t.storage);
    expect(r.toArray()).toEqual(build([4, 6], ([i, j]) => i * 6 + j));
    const e = (() => {
      try {
        t.reshape([5, 5]);
      } catch (err) {
        return err as AdError;
      }
    })();
    expect(e?.code).toBe("ShapeMismatch");
    expect(e?.details).toMatchObject({ op: "reshape", from: [2, 3, 4], to: [5, 5] });
    expect(code(() => t.reshape([-1, -1]))).toBe("InvalidArgument");
    expect(code(() => t.reshape([7, -1]))).toBe("ShapeMismatch");
  });

  it("permute/transpose match the reference on random shapes and permutations", () => {
    fc.assert(
      fc.property(
        shapeArb.chain((shape) =>
          fc.tuple(
            fc.constant(shape),
            fc.shuffledSubarray(
              shape.map((_, i) => i),
              { minLength: shape.length, maxLength: shape.length },
            ),
          ),
        ),
        ([shape, perm]) => {
          const t = numbered(shape);
          const p = t.permute(perm);
          expect(p.shape).toEqual(perm.map((a) => shape[a]));
          expect(p.storage).toBe(t.storage);
          const expected = build(p.shape, (index) => {
            const original = new Array<number>(shape.length);
            perm.forEach((a, i) => (original[a] = index[i]));
            return rowMajor(shape, original);
          });
          expect(p.toArray()).toEqual(expected);
          // A permuted view read back and renumbered is contiguous and equal.
          expect(p.contiguous().toArray()).toEqual(expected);
          expect(p.contiguous().isContiguous()).toBe(true);
        },
      ),
      { numRuns: 100 },
    );
    expect(numbered([2, 3]).transpose().toArray()).toEqual([
      [0, 3],
      [1, 4],
      [2, 5],
    ]);
    expect(code(() => numbered([2, 3]).permute([0, 0]))).toBe("InvalidArgument");
    expect(code(() => numbered([2, 3]).permute([0]))).toBe("ShapeMismatch");
  });

  it("reshape of a non-contiguous view copies, with the right order", () => {
    const t = numbered([2, 3]).transpose();
    expect(t.isContiguous()).toBe(false);
    const r = t.reshape([6]);
    expect(r.toArray()).toEqual([0, 3, 1, 4, 2, 5]);
  });

  it("expand broadcasts with stride 0 and refuses incompatible sizes", () => {
    const t = tensor([[1], [2]]);
    const e = t.expand([3, 2, 4]);
    expect(e.shape).toEqual([3, 2, 4]);
    expect(e.strides[0]).toBe(0);
    expect(e.strides[2]).toBe(0);
    expect(e.toArray()).toEqual(build([3, 2, 4], ([, j]) => j + 1));
    expect(t.broadcastTo([2, -1]).shape).toEqual([2, 1]);
    expect(code(() => t.expand([3, 3]))).toBe("ShapeMismatch");
    expect(code(() => t.expand([2]))).toBe("ShapeMismatch");
  });

  it("slice matches Python semantics on random ranges, steps and negative indices", () => {
    const bound = fc.option(fc.integer({ min: -7, max: 7 }), { nil: null });
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 6 }),
        bound,
        bound,
        fc.integer({ min: -3, max: 3 }).filter((s) => s !== 0),
        (n, start, stop, step) => {
          const t = numbered([n]);
          const got = t.slice([start, stop, step]).toArray() as number[];
          // Reference: Python's slice.indices.
          const clip = (v: number | null, dflt: number, lo: number, hi: number) => (v === null ? dflt : Math.min(Math.max(v < 0 ? v + n : v, lo), hi));
          const [s0, s1] = step > 0 ? [clip(start, 0, 0, n), clip(stop, n, 0, n)] : [clip(start, n - 1, -1, n - 1), clip(stop, -1, -1, n - 1)];
          const expected: number[] = [];
          for (let i = s0; step > 0 ? i < s1 : i > s1; i += step) expected.push(i);
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("slice with an integer drops the axis; specs combine with views", () => {
    const t = numbered([3, 4]);
    expect(t.slice(1).toArray()).toEqual([4, 5, 6, 7]);
    expect(t.slice(null, -1).toArray()).toEqual([3, 7, 11]);
    expect(t.slice([null, null, -1], [1, 3]).toArray()).toEqual([
      [9, 10],
      [5, 6],
      [1, 2],
    ]);
    expect(t.transpose().slice({ start: 1, step: 2 }).toArray()).toEqual([
      [1, 5, 9],
      [3, 7, 11],
    ]);
    expect(t.slice([2, 1]).shape).toEqual([0, 4]);
    expect(code(() => t.slice(3))).toBe("InvalidArgument");
    expect(code(() => t.slice([0, 1, 0]))).toBe("InvalidArgument");
    expect(code(() => t.slice(0, 0, 0))).toBe("ShapeMismatch");
  });

  it("squeeze/unsqueeze insert and remove size-1 axes without copying", () => {
    const t = numbered([2, 1, 3]);
    expect(t.squeeze().shape).toEqual([2, 3]);
    expect(t.squeeze(1).toArray()).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(t.squeeze(-2).storage).toBe(t.storage);
    expect(code(() => t.squeeze(0))).toBe("ShapeMismatch");
    expect(t.unsqueeze(0).shape).toEqual([1, 2, 1, 3]);
    expect(t.unsqueeze(-1).shape).toEqual([2, 1, 3, 1]);
    expect(t.unsqueeze(3).toArray()).toEqual([[[[0], [1], [2]]], [[[3], [4], [5]]]]);
    expect(code(() => t.unsqueeze(5))).toBe("InvalidArgument");
  });

  it("random chains of views agree with the same chain on the reference", () => {
    // transpose, unsqueeze, slice-by-step and squeeze in a random order, on a random shape.
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }), fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 6 }), (shape, ops) => {
        let t = numbered(shape);
        let ref: NestedArray = t.toArray();
        for (const op of ops) {
          if (op === 0 && t.rank >= 2) {
            t = t.transpose();
            ref = transposeRef(ref as NestedArray[]);
          } else if (op === 1) {
            t = t.unsqueeze(0);
            ref = [ref];
          } else if (op === 2 && t.rank >= 1) {
            t = t.slice([null, null, -1]);
            ref = [...(ref as NestedArray[])].reverse();
          } else if (op === 3 && t.rank >= 1 && t.shape[0] === 1) {
            t = t.squeeze(0);
            ref = (ref as NestedArray[])[0];
          }
        }
        expect(t.toArray()).toEqual(ref);
        expect(t.contiguous().toArray()).toEqual(ref);
        expect(Array.from(t.data())).toEqual(flat(ref));
      }),
      { numRuns: 150 },
    );
  });

  it("at() reads one element through the strides", () => {
    const t = numbered([3, 4]).transpose();
    expect(t.at(1, 2)).toBe(9);
    expect(t.at(-1, -1)).toBe(11);
    expect(code(() => t.at(4, 0))).toBe("InvalidArgument");
    expect(code(() => t.at(0))).toBe("ShapeMismatch");
  });
});

function transposeRef(m: NestedArray[]): NestedArray[] {
  // Swaps the last two axes of a nested array.
  if (!Array.isArray(m[0]) || !Array.isArray((m[0] as NestedArray[])[0])) {
    const rows = m as NestedArray[][];
    return rows.length === 0 ? [] : rows[0].map((_, j) => rows.map((r) => r[j]));
  }
  return m.map((x) => transposeRef(x as NestedArray[]));
}

function flat(x: NestedArray): number[] {
  return Array.isArray(x) ? x.flatMap(flat) : [Number(x)];
}
