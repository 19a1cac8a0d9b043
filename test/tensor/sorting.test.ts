/**
 * The sorting family (sort, argsort, topk, median, cummax/cummin with indices, searchsorted) and the
 * data-dependent ops (nonzero, argwhere, maskedSelect, unique): PyTorch's conventions for ties and
 * NaN, properties on generated inputs (sorted and a permutation; the gradient through the indices
 * against finite differences and JVP against VJP), the transformations (vmap, jit), and the
 * AdErrors, including the data-dependent ops under jit and vmap.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jit } from "../../src/jit/index.js";
import * as ops from "../../src/tensor/index.js";
import { grad, tensor, vmap, type Tensor } from "../../src/tensor/index.js";
import { thrown } from "../support/errorCode.js";
import { expectJvpMatchesVjp, expectVjpMatches, f64, flat, sizeOf } from "../support/tensors.js";

const ints = (t: Tensor): number[] => flat(t);
const gradOf = (f: (x: Tensor) => Tensor, x: Tensor, w?: Tensor): number[] => flat(grad((u: Tensor) => ops.sum(w === undefined ? f(u) : ops.mul(f(u), w)))(x) as Tensor);

describe("ties and NaN, as PyTorch", () => {
  const x = f64([2, NaN, 1, 2, NaN, -Infinity], [6]);
  it("sort is stable both ways; NaN last ascending, first descending", () => {
    const up = ops.sort(x);
    expect(flat(up.values)).toEqual([-Infinity, 1, 2, 2, NaN, NaN]);
    expect(ints(up.indices)).toEqual([5, 2, 0, 3, 1, 4]);
    expect(up.indices.dtype).toBe("int32");
    const down = ops.sort(x, { descending: true, stable: true });
    expect(flat(down.values)).toEqual([NaN, NaN, 2, 2, 1, -Infinity]);
    expect(ints(down.indices)).toEqual([1, 4, 0, 3, 2, 5]);
    expect(ints(ops.argsort(x, { descending: true }))).toEqual([1, 4, 0, 3, 2, 5]);
  });
  it("median is the lower middle, with the index of the element it came from; NaN where there is one", () => {
    expect(ops.median(f64([2, 1, 4, 3], [4])).item()).toBe(2);
    const m = ops.median(f64([2, 1, 4, 3, 1, NaN, 2, NaN], [2, 4]), { axis: 1 });
    expect(flat(m.values)).toEqual([2, NaN]);
    expect(ints(m.indices)).toEqual([0, 1]);
    const ties = ops.median(f64([3, 1, 3, 3], [4]), { axis: 0 });
    expect([ties.values.item(), ties.indices.item()]).toEqual([3, 0]);
    expect(ops.median(f64([1, 2, 3, 4, 5, 6], [2, 3]), { axis: 0, keepDims: true }).values.shape).toEqual([1, 3]);
  });
  it("median of all elements shares its gradient among the elements equal to it (among the NaNs where it is NaN), as PyTorch", () => {
    expect(gradOf((u) => ops.median(u), f64([3, 1, 3, 3], [4]))).toEqual([1 / 3, 0, 1 / 3, 1 / 3]);
    expect(gradOf((u) => ops.median(u), f64([NaN, 1, NaN, 3], [2, 2]))).toEqual([0.5, 0, 0.5, 0]);
    expect(ops.median(tensor([3, 1, 2], { dtype: "int32" })).dtype).toBe("int32");
  });
  it("cummax and cummin: a tie moves the index to the later element; a NaN takes it and keeps it", () => {
    const c = ops.cummax(f64([1, 3, 3, 2, NaN, 5, NaN], [7]), 0);
    expect(flat(c.values)).toEqual([1, 3, 3, 3, NaN, NaN, NaN]);
    expect(ints(c.indices)).toEqual([0, 1, 2, 2, 4, 4, 6]);
    expect(ints(ops.cummin(f64([2, 1, 1, 3], [4]), 0).indices)).toEqual([0, 1, 2, 2]);
  });
  it("cummax's gradient goes to the element its index names (PyTorch), not shared among ties", () => {
    expect(gradOf((u) => ops.cummax(u, 0).values, f64([1, 3, 3, 2, NaN, 5, NaN], [7]))).toEqual([1, 1, 2, 0, 2, 0, 1]);
  });
  it("topk: largest first (NaN largest), smallest first with largest: false; ties by index", () => {
    const t = ops.topk(f64([1, 3, 3, 2, NaN], [5]), 2);
    expect(flat(t.values)).toEqual([NaN, 3]);
    expect(ints(t.indices)).toEqual([4, 1]);
    const s = ops.topk(f64([1, 3, 3, 2, NaN], [5]), 2, { largest: false });
    expect(ints(s.indices)).toEqual([0, 3]);
    expect(ops.topk(f64([1, 2, 3, 4, 5, 6], [2, 3]), 0).values.shape).toEqual([2, 0]);
  });
  it("searchsorted: the first place, or the last with right; NaN above every number", () => {
    const seq = f64([1, 2, 2, 3], [4]);
    expect(ints(ops.searchsorted(seq, f64([2, 0, 5, NaN], [4])))).toEqual([1, 0, 4, 4]);
    expect(ints(ops.searchsorted(seq, f64([2, 0, 5], [3]), { right: true }))).toEqual([3, 0, 4]);
    const rows = ops.searchsorted(f64([1, 3, 5, 2, 4, 6], [2, 3]), f64([3, 3], [2, 1]));
    expect(rows.shape).toEqual([2, 1]);
    expect(ints(rows)).toEqual([1, 1]);
  });
  it("empty tensors and scalars", () => {
    expect(ops.sort(f64([], [2, 0])).values.shape).toEqual([2, 0]);
    expect(ops.sort(f64([], [0, 3]), { axis: 0 }).indices.shape).toEqual([0, 3]);
    expect(ops.sort(f64([7], [])).values.item()).toBe(7);
    expect(ops.cummax(f64([], [0]), 0).indices.shape).toEqual([0]);
    expect(ops.unique(f64([], [0])).values.shape).toEqual([0]);
    expect(ops.nonzero(f64([], [0, 2])).shape).toEqual([0, 2]);
  });
  it("int32 and bool sort as numbers and keep their dtype", () => {
    const s = ops.sort(tensor([3, -1, 2], { dtype: "int32" }));
    expect(s.values.dtype).toBe("int32");
    expect(flat(s.values)).toEqual([-1, 2, 3]);
    expect(flat(ops.sort(tensor([true, false, true], { dtype: "bool" })).values)).toEqual([0, 1, 1]);
  });
});

describe("the data-dependent ops", () => {
  it("nonzero and argwhere: [count, rank] int32 positions in row-major order", () => {
    const x = f64([1, 0, 0, 3, NaN, 0], [2, 3]);
    expect(ops.nonzero(x).toArray()).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
    ]);
    expect(ops.argwhere(x).dtype).toBe("int32");
    expect(ops.nonzero(f64([5], [])).shape).toEqual([1, 0]);
  });
  it("nonzero with a static size (as JAX's): the first rows, then fillValue; the same under jit and vmap", () => {
    const x = f64([1, 0, 0, 3, NaN, 0], [2, 3]);
    expect(ops.nonzero(x, { size: 5, fillValue: -1 }).toArray()).toEqual([
      [0, 0],
      [1, 0],
      [1, 1],
      [-1, -1],
      [-1, -1],
    ]);
    expect(ops.argwhere(x, { size: 2 }).toArray()).toEqual([
      [0, 0],
      [1, 0],
    ]);
    expect(ops.nonzero(x, { size: 4 }).toArray()).toEqual([...(ops.nonzero(x).toArray() as number[][]), [0, 0]]);
    expect(jit((t: Tensor) => ops.nonzero(t, { size: 3 }))(x).toArray()).toEqual(ops.nonzero(x).toArray());
    expect(vmap((r: Tensor) => ops.nonzero(r, { size: 2, fillValue: 9 }))(x).toArray()).toEqual([
      [[0], [9]],
      [[0], [1]],
    ]);
    expect(ops.nonzero(f64([], [0, 2]), { size: 1 }).toArray()).toEqual([[0, 0]]);
    expect(ops.nonzero(f64([5], []), { size: 2 }).shape).toEqual([2, 0]);
  });
  it("maskedSelect broadcasts the mask and its gradient reaches the selected elements", () => {
    const x = f64([1, 2, 3, 4], [2, 2]);
    const mask = tensor([true, false], { dtype: "bool" });
    expect(flat(ops.maskedSelect(x, mask))).toEqual([1, 3]);
    expect(gradOf((u) => ops.maskedSelect(u, mask), x, f64([10, 20], [2]))).toEqual([10, 0, 20, 0]);
  });
  it("unique: sorted values, inverse and counts; first-appearance order with sorted: false; NaNs each their own", () => {
    const u = ops.unique(tensor([3, 1, 2, 3, 1], { dtype: "int32" }), { returnInverse: true, returnCounts: true });
    expect(flat(u.values)).toEqual([1, 2, 3]);
    expect(flat(u.inverse!)).toEqual([2, 0, 1, 2, 0]);
    expect(flat(u.counts!)).toEqual([2, 1, 2]);
    expect(u.values.dtype).toBe("int32");
    expect(ops.unique(tensor([3, 1, 3]))).not.toHaveProperty("inverse");
    expect(flat(ops.unique(tensor([3, 1, 2, 3]), { sorted: false }).values)).toEqual([3, 1, 2]);
    expect(flat(ops.unique(f64([NaN, 2, NaN, 1], [4])).values)).toEqual([1, 2, NaN, NaN]);
    expect(ops.unique(f64([2, 1, 2, 1], [2, 2]), { returnInverse: true }).inverse!.shape).toEqual([2, 2]);
    const rows = ops.unique(f64([1, NaN, 0, 5, 1, NaN, 0, 5], [4, 2]), { axis: 0, returnInverse: true });
    expect(rows.values.toArray()).toEqual([
      [0, 5],
      [1, NaN],
      [1, NaN],
    ]);
    expect(flat(rows.inverse!)).toEqual([1, 0, 2, 0]);
    expect(ops.unique(f64([], [3, 0]), { axis: 0, returnCounts: true }).counts!.toArray()).toEqual([3]);
  });
  const dataDependent: [string, (x: Tensor) => unknown][] = [
    ["nonzero", (x) => ops.nonzero(x)],
    ["argwhere", (x) => ops.argwhere(x)],
    ["maskedSelect", (x) => ops.maskedSelect(x, ops.gt(x, 0))],
    ["unique", (x) => ops.unique(x).values],
  ];
  for (const [op, f] of dataDependent) {
    it(`${op} under jit and vmap is an UnsupportedOp naming ${op} and why`, () => {
      const x = f64([1, 0, 2, 0], [2, 2]);
      for (const run of [() => jit(f as (x: Tensor) => Tensor)(x), () => vmap(f as (x: Tensor) => Tensor)(x)]) {
        const e = thrown(run);
        expect(e.code).toBe("UnsupportedOp");
        expect(e.details.op).toBe(op);
        expect(e.message).toMatch(/depends on the values/);
      }
    });
  }
});

describe("properties on generated inputs", () => {
  const caseArb = fc
    .array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 })
    .chain((shape) =>
      fc.tuple(
        fc.constant(shape),
        fc.array(fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constant(NaN)), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }),
        fc.integer({ min: 0, max: shape.length - 1 }),
        fc.boolean(),
      ),
    );
  it("sort's values are ordered (NaN last or first), equal to gathering x at its indices, and the indices a stable permutation", () => {
    fc.assert(
      fc.property(caseArb, ([shape, xs, axis, descending]) => {
        const x = f64(xs, shape);
        const { values, indices } = ops.sort(x, { axis, descending });
        expect(flat(values)).toEqual(flat(ops.gather(x, axis, indices)));
        const moved = (t: Tensor) => ops.reshape(ops.transpose(ops.contiguous(t), axis, -1), [-1, shape[axis]]).toArray() as number[][];
        const rowsV = moved(values);
        const rowsI = moved(indices);
        rowsV.forEach((row, r) => {
          expect([...rowsI[r]].sort((a, b) => a - b)).toEqual(row.map((_, i) => i));
          for (let i = 1; i < row.length; i++) {
            const [a, b] = descending ? [row[i], row[i - 1]] : [row[i - 1], row[i]];
            // a ≤ b with NaN above every number; equal values keep their index order.
            expect(Number.isNaN(b) || (!Number.isNaN(a) && a <= b)).toBe(true);
            if (a === b || (Number.isNaN(a) && Number.isNaN(b))) expect(rowsI[r][i]).toBeGreaterThan(rowsI[r][i - 1]);
          }
        });
      }),
      { numRuns: 40 },
    );
  });

  it("argsort of long rows (past the insertion-sorted runs) equals a reference stable sort, both ways", () => {
    const ascending = (a: number, b: number) => (a !== a ? (b !== b ? 0 : 1) : b !== b ? -1 : a - b);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.constant(NaN)), { minLength: 0, maxLength: 300, size: "max" }), fc.boolean(), (xs, descending) => {
        const order = xs.map((_, i) => i);
        // Array.prototype.sort is stable; descending keeps NaN first and equal values in index order.
        order.sort((i, j) => (descending ? -ascending(xs[i], xs[j]) : ascending(xs[i], xs[j])));
        expect(flat(ops.argsort(f64(xs, [xs.length]), { descending }))).toEqual(order);
      }),
      { numRuns: 60 },
    );
  });

  it("searchsorted equals counting the sequence's elements that sort before each value (or not after it, right)", () => {
    const value = fc.oneof(fc.integer({ min: -4, max: 4 }), fc.constant(NaN));
    const before = (e: number, x: number, right: boolean) => (right ? !(x < e || (e !== e && x === x)) : e < x || (x !== x && e === e));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3 }),
        fc.array(value, { minLength: 0, maxLength: 40, size: "max" }),
        fc.array(value, { minLength: 0, maxLength: 6 }),
        fc.boolean(),
        (rows, seq, probes, right) => {
          // One sequence per row, each sorted (NaN last) from the same elements shifted by the row.
          const sorted = ops.sort(f64(Array.from({ length: rows }, (_, r) => seq.map((e) => e + r)).flat(), [rows, seq.length])).values;
          const values = f64(Array.from({ length: rows }, () => probes).flat(), [rows, probes.length]);
          const s = sorted.toArray() as number[][];
          const want = s.map((row) => probes.map((x) => row.filter((e) => before(e, x, right)).length));
          expect(ops.searchsorted(sorted, values, { right }).toArray()).toEqual(want);
          expect(ops.searchsorted(ops.slice(sorted, [0]), values, { right }).toArray()).toEqual(want.map(() => want[0]));
        },
      ),
      { numRuns: 60 },
    );
  });

  // Distinct values: away from ties, where the gradient of a sort is a choice. The pool of distinct
  // values must hold the largest shape's 4·4·4 = 64 elements: with [−30, 30] (61 values) a [4, 4, 4]
  // shape asked fast-check's uniqueArray for more distinct values than exist, and it searched
  // forever (the suite's hang at 100% CPU under random seeds, 2026-12-07 and 2026-12-08).
  const distinctArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 }).chain((shape) =>
    fc.tuple(
      fc.constant(shape),
      fc.uniqueArray(fc.integer({ min: -100, max: 100 }), { minLength: sizeOf(shape), maxLength: sizeOf(shape) }).map((v) => v.map((k) => k / 30 + 0.013)),
      fc.integer({ min: 0, max: shape.length - 1 }),
      fc.integer({ min: 0, max: 1 << 30 }),
    ),
  );
  const fns: [string, (x: Tensor, axis: number) => Tensor][] = [
    ["sort", (x, a) => ops.sort(x, { axis: a }).values],
    ["sort descending", (x, a) => ops.sort(x, { axis: a, descending: true }).values],
    ["topk", (x, a) => ops.topk(x, Math.min(2, x.shape[a]), { axis: a }).values],
    ["median", (x, a) => ops.median(x, { axis: a }).values],
    ["median of all", (x) => ops.median(x)],
    ["cummax", (x, a) => ops.cummax(x, a).values],
    ["cummin", (x, a) => ops.cummin(x, a).values],
  ];
  for (const [name, f] of fns) {
    it(`${name}: VJP against finite differences, JVP against VJP`, () => {
      fc.assert(
        fc.property(distinctArb, ([shape, xs, axis, seed]) => {
          const x = f64(xs, shape);
          const g = (t: Tensor) => f(t, axis);
          expectVjpMatches(g, [x], ops.rng(seed));
          expectJvpMatchesVjp(g, [x], ops.rng(seed + 1));
        }),
        { numRuns: 10 },
      );
    });
  }
});

describe("under the transformations", () => {
  const x = f64([3, 1, 2, 0, 5, 4], [2, 3]);
  it("vmap of sort, topk, median and cummax equals the op along the next axis", () => {
    expect(flat(vmap((r: Tensor) => ops.sort(r).values)(x))).toEqual(flat(ops.sort(x, { axis: 1 }).values));
    expect(flat(vmap((r: Tensor) => ops.topk(r, 2).indices)(x))).toEqual([0, 2, 1, 2]);
    expect(flat(vmap((r: Tensor) => ops.median(r, { axis: 0 }).values, { inAxes: 1 })(x))).toEqual([0, 1, 2]);
    expect(flat(vmap((r: Tensor) => ops.cummax(r, 0).indices)(x))).toEqual([0, 0, 0, 0, 1, 1]);
    const seq = f64([0, 1, 2, 3], [4]);
    expect(vmap((v: Tensor) => ops.searchsorted(seq, v))(f64([0.5, 2.5, -1, 9], [2, 2])).toArray()).toEqual([
      [1, 3],
      [0, 4],
    ]);
    expect(vmap((s: Tensor) => ops.searchsorted(s, f64([1.5], [1])))(f64([0, 1, 2, 3, 4, 5], [2, 3])).toArray()).toEqual([[2], [0]]);
  });
  it("jit of sort and its gradient equals eager", () => {
    const f = (t: Tensor) => ops.sum(ops.mul(ops.sort(t, { axis: 1 }).values, f64([1, 2, 3], [3])));
    expect(flat(jit(f)(x))).toEqual(flat(f(x)));
    expect(flat(jit(grad(f))(x) as Tensor)).toEqual([3, 1, 2, 1, 3, 2]);
  });
});

describe("bad arguments are AdErrors naming the op", () => {
  const x = f64([1, 2, 3, 4], [2, 2]);
  const cases: [string, () => unknown, string][] = [
    ["sort", () => ops.sort(x, { axis: 2 }), "InvalidArgument"],
    ["sort", () => ops.sort(x, { descending: "yes" } as never), "InvalidArgument"],
    ["argsort", () => ops.argsort([1, 2] as never), "InvalidArgument"],
    ["topk", () => ops.topk(x, 3), "InvalidArgument"],
    ["topk", () => ops.topk(x, -1), "InvalidArgument"],
    ["topk", () => ops.topk(x, 1.5), "InvalidArgument"],
    ["median", () => ops.median(f64([], [2, 0]), { axis: 1 }), "ShapeMismatch"],
    ["median", () => ops.median(f64([], [0])), "ShapeMismatch"],
    ["median", () => ops.median(x, { keepDims: true }), "InvalidArgument"],
    ["searchsorted", () => ops.searchsorted(f64([1, 2, 3, 4], [2, 2]), f64([1, 2, 3], [3, 1])), "ShapeMismatch"],
    ["searchsorted", () => ops.searchsorted(f64([1], []), x), "InvalidArgument"],
    ["maskedSelect", () => ops.maskedSelect(x, x), "DTypeMismatch"],
    ["maskedSelect", () => ops.maskedSelect(x, tensor([true, false, true], { dtype: "bool" })), "ShapeMismatch"],
    ["unique", () => ops.unique(x, { axis: 2 }), "InvalidArgument"],
    ["unique", () => ops.unique(x, { dim: 0 } as never), "InvalidArgument"],
    ["nonzero", () => ops.nonzero(3 as never), "InvalidArgument"],
    ["nonzero", () => ops.nonzero(x, { size: -1 }), "InvalidArgument"],
    ["argwhere", () => ops.argwhere(x, { size: 2, fillValue: 0.5 }), "InvalidArgument"],
  ];
  for (const [op, fn, code] of cases) {
    it(`${op}: ${code}`, () => {
      const e = thrown(fn);
      expect(e.code).toBe(code);
      expect(e.details.op).toBe(op);
    });
  }
});
