/**
 * The gather-family, group, join and max-pooling routines through the backend interface, on plain views (no Tensor): a buffer
 * read with strides and an offset, checked against index arithmetic written out per element.
 */
import fc from "fast-check";
import { afterEach, describe, expect, it } from "vitest";
import { availableBackends, getBackend, kernels, setBackend } from "../../src/backends/backend.js";
import { contiguousStrides } from "../../src/backends/shape.js";
import type { View } from "../../src/backends/view.js";
import { errorCode, thrown } from "../support/errorCode.js";
import type { Storage } from "../../src/backends/dtype.js";
import { Float16Storage } from "../../src/backends/dtype.js";

const initial = getBackend();
afterEach(() => setBackend(initial));

/** A [rows, cols] float64 view of x[r][c] = 10r + c, stored transposed (column-major) after one padding element. */
function transposed(rows: number, cols: number): View {
  const storage = new Float64Array(1 + rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) storage[1 + c * rows + r] = 10 * r + c;
  return { storage, dtype: "float64", shape: [rows, cols], strides: [1, rows], offset: 1 };
}

const int32View = (values: number[], shape: number[]): View => ({
  storage: Int32Array.from(values),
  dtype: "int32",
  shape,
  strides: shape.length === 2 ? [shape[1], 1] : [1],
  offset: 0,
});

const grid = fc.record({ rows: fc.integer({ min: 1, max: 4 }), cols: fc.integer({ min: 1, max: 4 }), m: fc.integer({ min: 0, max: 5 }) });

describe.each(availableBackends())("gather routines on %s", (backend) => {
  it("gather along axis 1 reads x[r][indices[r][j]] from a strided, offset view", () => {
    setBackend(backend);
    fc.assert(
      fc.property(
        grid.chain(({ rows, cols, m }) => fc.tuple(fc.constant({ rows, cols, m }), fc.array(fc.integer({ min: 0, max: cols - 1 }), { minLength: rows * m, maxLength: rows * m }))),
        ([{ rows, cols, m }, idx]) => {
          const out = kernels().gather(transposed(rows, cols), int32View(idx, [rows, m]), 1);
          expect(Array.from(out)).toEqual(idx.map((c, k) => 10 * Math.floor(k / m) + c));
        },
      ),
    );
  });

  it("scatterAdd adds src into a row-major copy of x, repeats accumulating", () => {
    setBackend(backend);
    fc.assert(
      fc.property(
        grid.chain(({ rows, cols, m }) => fc.tuple(fc.constant({ rows, cols, m }), fc.array(fc.integer({ min: 0, max: rows - 1 }), { minLength: m * cols, maxLength: m * cols }))),
        ([{ rows, cols, m }, idx]) => {
          const src: View = { storage: new Float64Array(m * cols).fill(0.5), dtype: "float64", shape: [m, cols], strides: [cols, 1], offset: 0 };
          const out = kernels().scatterAdd(transposed(rows, cols), int32View(idx, [m, cols]), src, 0);
          const expected = Array.from({ length: rows * cols }, (_, k) => 10 * Math.floor(k / cols) + (k % cols));
          idx.forEach((r, k) => (expected[r * cols + (k % cols)] += 0.5));
          expect(Array.from(out)).toEqual(expected);
        },
      ),
    );
  });

  it("oneHot puts a 1 at each index of the last axis", () => {
    setBackend(backend);
    expect(Array.from(kernels().oneHot(int32View([2, 0], [2]), 3, "float32"))).toEqual([0, 0, 1, 1, 0, 0]);
  });

  it("an index out of range is an InvalidArgument naming the op", () => {
    setBackend(backend);
    expect(errorCode(() => kernels().gather(transposed(2, 2), int32View([0, 2], [2, 1]), 1))).toBe("InvalidArgument");
    expect(thrown(() => kernels().oneHot(int32View([-1], [1]), 3, "float64")).details).toMatchObject({ op: "oneHot", index: -1, position: [0] });
  });

  it("cumsum, prodOthers, tieShare and argExtreme walk the groups of a strided view and return row-major buffers", () => {
    setBackend(backend);
    const x = transposed(2, 3); // [[0, 1, 2], [10, 11, 12]]
    expect(Array.from(kernels().cumsum(x, 0))).toEqual([0, 1, 2, 10, 12, 14]);
    expect(Array.from(kernels().cumsum(x, 1))).toEqual([0, 1, 3, 10, 21, 33]);
    expect(Array.from(kernels().prodOthers(x, [1]))).toEqual([2, 0, 0, 132, 120, 110]);
    expect(Array.from(kernels().prodOthers(x, [0]))).toEqual([10, 11, 12, 0, 1, 2]);
    const ties: View = { storage: Float64Array.from([9, 3, 9, 1]), dtype: "float64", shape: [2, 2], strides: [1, 2], offset: 0 }; // [[9, 9], [3, 1]]
    expect(Array.from(kernels().tieShare(ties, [1], "max"))).toEqual([0.5, 0.5, 1, 0]);
    expect(Array.from(kernels().tieShare(ties, [0], "min"))).toEqual([0, 0, 1, 1]);
    expect(Array.from(kernels().argExtreme(x, [0], "max"))).toEqual([1, 1, 1]);
    expect(Array.from(kernels().argExtreme(ties, [1], "min"))).toEqual([0, 1]);
  });

  it("argsort and cumArgExtreme walk a strided view's runs: stable, NaN above every number, int32 row-major", () => {
    setBackend(backend);
    // [[2, NaN, 1, 2], [0, -1, 0, NaN]] stored column-major.
    const x: View = { storage: Float64Array.from([2, 0, NaN, -1, 1, 0, 2, NaN]), dtype: "float64", shape: [2, 4], strides: [1, 2], offset: 0 };
    const ascending = kernels().argsort(x, 1, false);
    expect(ascending).toBeInstanceOf(Int32Array);
    expect(Array.from(ascending)).toEqual([2, 0, 3, 1, 1, 0, 2, 3]);
    expect(Array.from(kernels().argsort(x, 1, true))).toEqual([1, 0, 3, 2, 3, 0, 2, 1]);
    expect(Array.from(kernels().argsort(x, 0, false))).toEqual([1, 1, 1, 0, 0, 0, 0, 1]);
    expect(Array.from(kernels().cumArgExtreme(x, 1, "max"))).toEqual([0, 1, 1, 1, 0, 0, 2, 3]);
    expect(Array.from(kernels().cumArgExtreme(x, 1, "min"))).toEqual([0, 1, 1, 1, 0, 1, 1, 3]);
  });

  it("concat and pad copy strided, offset views into blocks of a row-major buffer", () => {
    setBackend(backend);
    const x = transposed(2, 2); // [[0, 1], [10, 11]]
    const y: View = { storage: Float64Array.from([7, 8]), dtype: "float64", shape: [2, 1], strides: [1, 1], offset: 0 };
    expect(Array.from(kernels().concat([x, y], 1))).toEqual([0, 1, 7, 10, 11, 8]);
    expect(Array.from(kernels().concat([x, x], 0))).toEqual([0, 1, 10, 11, 0, 1, 10, 11]);
    expect(
      Array.from(
        kernels().pad(
          x,
          [
            [1, 0],
            [0, 1],
          ],
          -1,
        ),
      ),
    ).toEqual([-1, -1, -1, 0, 1, -1, 10, 11, -1]);
  });

  it("maxPool2dArgmax, gatherPlanes and scatterPlanes read a strided, offset [N, C, H, W] view", () => {
    setBackend(backend);
    const t = transposed(2, 3); // [[0, 1, 2], [10, 11, 12]] as [1, 1, 2, 3]
    const x: View = { ...t, shape: [1, 1, 2, 3], strides: [6, 6, ...t.strides] };
    const argmax = kernels().maxPool2dArgmax(x, [2, 2], { stride: [1, 1], padding: [0, 0], dilation: [1, 1] }, 1, 2);
    expect(Array.from(argmax)).toEqual([4, 5]);
    expect(Array.from(kernels().gatherPlanes(x, argmax, 1, 2))).toEqual([11, 12]);
    const g: View = { storage: Float64Array.from([1, 2]), dtype: "float64", shape: [1, 1, 1, 2], strides: [2, 2, 2, 1], offset: 0 };
    expect(Array.from(kernels().scatterPlanes(g, argmax, 2, 3))).toEqual([0, 0, 0, 0, 1, 2]);
  });
});

/** Every multi-index of `shape`, row-major. */
function indicesOf(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((prefix) => Array.from({ length: d }, (_, i) => [...prefix, i]));
  return out;
}

const at = (v: View, index: readonly number[]): number => (v.storage as Storage)[v.offset + index.reduce((o, i, axis) => o + i * v.strides[axis], 0)];

// float16 storage holds bits: a copy moves them unchanged.
const DTYPES = ["float32", "float64", "int32", "bool", "float16"] as const;
const CONSTRUCTORS = { float32: Float32Array, float64: Float64Array, int32: Int32Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array, float16: Float16Storage };

/** A view of `shape` over a fresh buffer: its axes laid out in the order `layout`, every step `gap` apart, after `offset` slots. */
const stridedView = fc
  .record({
    shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
    dtype: fc.constantFrom(...DTYPES),
    offset: fc.integer({ min: 0, max: 3 }),
    gap: fc.integer({ min: 1, max: 2 }),
    seed: fc.integer({ min: 0, max: 1000 }),
  })
  .chain((r) => fc.tuple(fc.constant(r), fc.shuffledSubarray([...r.shape.keys()], { minLength: r.shape.length, maxLength: r.shape.length })))
  .map(([{ shape, dtype, offset, gap, seed }, layout]): View => {
    const strides = new Array<number>(shape.length).fill(0);
    let step = gap;
    for (const axis of [...layout].reverse()) {
      strides[axis] = step;
      step *= Math.max(shape[axis], 1);
    }
    const storage = new CONSTRUCTORS[dtype](offset + step);
    for (let i = 0; i < storage.length; i++) storage[i] = dtype === "bool" ? (i + seed) % 2 : ((i * 7 + seed) % 23) - 11;
    return { storage, dtype, shape, strides, offset };
  });

describe.each(availableBackends())("copy routines on %s", (backend) => {
  it("copy returns a row-major buffer of the view's dtype holding its elements, for any strides, offset and dtype", () => {
    setBackend(backend);
    fc.assert(
      fc.property(stridedView, (v) => {
        const out = kernels().copy(v);
        expect(out).toBeInstanceOf(CONSTRUCTORS[v.dtype]);
        expect(Array.from(out)).toEqual(indicesOf(v.shape).map((i) => at(v, i)));
        expect(out.buffer).not.toBe((v.storage as Storage).buffer);
      }),
    );
  });

  it("copyInto writes a broadcast source into the target's strided positions and nowhere else", () => {
    setBackend(backend);
    fc.assert(
      fc.property(
        stridedView.chain((target) =>
          fc.tuple(
            fc.constant(target),
            // The source keeps a suffix of the target's axes, some of them as size 1 (broadcast).
            fc.integer({ min: 0, max: target.shape.length }),
            fc.array(fc.boolean(), { minLength: target.shape.length, maxLength: target.shape.length }),
          ),
        ),
        ([target, lead, ones]) => {
          const shape = target.shape.slice(lead).map((d, i) => (ones[lead + i] ? 1 : d));
          const storage = new CONSTRUCTORS[target.dtype](1 + shape.reduce((a, b) => a * b, 1));
          storage.forEach((_, i) => (storage[i] = target.dtype === "bool" ? 1 - (i % 2) : 100 + i));
          const source: View = { storage, dtype: target.dtype, shape, strides: contiguousStrides(shape), offset: 1 };
          const before = Array.from(target.storage as Storage);
          const written = new Map<number, number>();
          for (const i of indicesOf(target.shape)) {
            const slot = target.offset + i.reduce((o, x, axis) => o + x * target.strides[axis], 0);
            written.set(
              slot,
              at(
                source,
                i.slice(lead).map((x, axis) => (shape[axis] === 1 ? 0 : x)),
              ),
            );
          }
          kernels().copyInto(target, source);
          expect(Array.from(target.storage as Storage)).toEqual(before.map((x, slot) => written.get(slot) ?? x));
        },
      ),
    );
  });
});
