/**
 * Issue 18's shape and indexing ops and the norm reduction against PyTorch: values and gradients of
 * sum(w · f(...)) with respect to every float input, float64 to 1e-10 and float32 values to 1e-5
 * (golden data from test/golden/shape18.py), and the edge shapes (empty tensors, counts of pieces).
 */
import { describe, expect, it } from "vitest";
import * as ops from "../../src/tensor/index.js";
import { concat, grad, mul, ne, reshape, stack, sum, tensor, zeros, type Tensor } from "../../src/tensor/index.js";
import { flat } from "../support/tensors.js";
import { decode, expectGolden, loadGolden, type Encoded } from "../support/golden.js";

type Params = Record<string, Encoded>;
interface Data {
  readonly values: Encoded[];
  readonly shape: number[];
}
interface Case {
  readonly floats: Data[];
  readonly ints: { readonly values: number[]; readonly shape: number[] }[];
  readonly params: Params;
  readonly value: Encoded[];
  readonly valueShape: number[];
  readonly weight: number[];
  readonly grads: Encoded[][];
}
interface Golden {
  readonly cases: Record<string, Case>;
  readonly edges: Record<string, Encoded>;
}

const golden = loadGolden<Golden>("shape18");
const num = (v: Encoded | undefined): number | undefined => (v === undefined ? undefined : decode(v)[0]);
const list = (v: Encoded | undefined): number | number[] | undefined => (v === undefined || !Array.isArray(v) ? num(v) : decode(v));

/** Several outputs compared as PyTorch records them: flattened and joined. */
const joined = (ys: Tensor[]): Tensor => concat(ys.map((y) => reshape(y, [-1])));

/** An index spec as recorded: {"tensor": k} is the k-th int input ({"mask": k} it as a bool mask), [start] a range, a number, null. */
function specOf(s: Encoded | null | { tensor: number } | { mask: number }, is: Tensor[]): ops.IndexSpec {
  if (s === null) return null;
  if (Array.isArray(s)) return decode(s) as [number];
  if (typeof s !== "object") return num(s) as number;
  return "mask" in s ? ne(is[s.mask], 0) : is[s.tensor];
}

/** Each golden case's call, by the case name's first word, as adjoint spells it. */
const FUNCTIONS: Record<string, (xs: Tensor[], is: Tensor[], p: Params) => Tensor> = {
  flip: ([x], _, p) => ops.flip(x, list(p.axes)!),
  roll: ([x], _, p) => ops.roll(x, list(p.shifts)!, list(p.axes)),
  repeat: ([x], _, p) => ops.repeat(x, list(p.reps)!),
  tile: ([x], _, p) => ops.tile(x, list(p.reps)!),
  repeatInterleave: ([x], _, p) => ops.repeatInterleave(x, list(p.repeats)!, num(p.axis)),
  narrow: ([x], _, p) => ops.narrow(x, num(p.axis)!, num(p.start)!, num(p.length)!),
  movedim: ([x], _, p) => ops.movedim(x, list(p.source)!, list(p.destination)!),
  moveaxis: ([x], _, p) => ops.moveaxis(x, list(p.source)!, list(p.destination)!),
  chunk: ([x], _, p) => joined(ops.chunk(x, num(p.chunks)!, num(p.axis))),
  unbind: ([x], _, p) => joined(ops.unbind(x, num(p.axis))),
  maskedFill: ([x, v], [m], p) => ops.maskedFill(x, ne(m, 0), v ?? num(p.value)!),
  indexAdd: ([x, s], [i], p) => ops.indexAdd(x, num(p.axis)!, i, p.axis === 0 ? ops.narrow(s, 1, 0, 4) : s, p.alpha === undefined ? undefined : { alpha: num(p.alpha) }),
  takeAlongDim: ([x], [i], p) => ops.takeAlongDim(x, i, num(p.axis)),
  take: ([x], [i]) => ops.take(x, i),
  scatter: ([x, s], [i], p) =>
    ops.scatter(
      x,
      num(p.axis)!,
      i,
      s,
      p.reduce === undefined ? undefined : { reduce: p.reduce as ops.ScatterReduce, ...(p.includeSelf === undefined ? {} : { includeSelf: Boolean(p.includeSelf) }) },
    ),
  meshgrid: ([a, b], _, p) => joined(ops.meshgrid(a, b, { indexing: p.indexing as "ij" | "xy" })),
  tril: ([x], _, p) => ops.tril(x, num(p.k)),
  triu: ([x], _, p) => ops.triu(x, num(p.k)),
  diagonal: ([x], _, p) => ops.diagonal(x, num(p.k), num(p.axis1), num(p.axis2)),
  diag: ([x], _, p) => ops.diag(x, num(p.k)),
  diagEmbed: ([x], _, p) => ops.diagEmbed(x, num(p.k)),
  index: ([x], is, p) => ops.index(x, ...(p.specs as Encoded[]).map((s) => specOf(s, is))),
  norm: ([x], _, p) => ops.norm(x, { ord: num(p.ord), axis: list(p.axis), keepDims: p.keepDims as boolean | undefined }),
};

const inputs = (c: Case, dtype: "float32" | "float64"): [Tensor[], Tensor[]] => [
  c.floats.map((d) => tensor(decode(d.values), { dtype, shape: d.shape })),
  c.ints.map((d) => tensor(d.values, { dtype: "int32", shape: d.shape })),
];

describe("issue 18 shape and indexing ops against PyTorch", () => {
  for (const [name, c] of Object.entries(golden.cases)) {
    it(`${name} (float64 value and gradients)`, () => {
      const f = FUNCTIONS[name.split("_")[0]];
      const [xs, is] = inputs(c, "float64");
      const y = f(xs, is, c.params);
      expect(y.shape).toEqual(c.valueShape);
      expectGolden(flat(y), decode(c.value), 1e-10);
      const w = tensor(c.weight, { dtype: "float64", shape: c.valueShape });
      const argnums = xs.map((_, i) => i);
      const gs = grad((...ts: Tensor[]) => sum(mul(w, f(ts, is, c.params))), { argnums })(...xs) as Tensor[];
      gs.forEach((g, i) => expectGolden(flat(g), decode(c.grads[i]), 1e-10));
    });
  }

  it("float32 values agree to 1e-5", () => {
    for (const [name, c] of Object.entries(golden.cases)) {
      const [xs, is] = inputs(c, "float32");
      const y = FUNCTIONS[name.split("_")[0]](xs, is, c.params);
      expect(y.dtype, name).toBe("float32");
      expectGolden(flat(y), decode(c.value).map(Math.fround), 1e-5);
    }
  });
});

describe("edge shapes, as PyTorch", () => {
  const E = golden.edges;
  const empty = (shape: number[]) => zeros(shape, { dtype: "float64" });
  const shapes = (ys: Tensor[]) => ys.map((y) => y.shape);
  it("chunk gives ⌈n / chunks⌉-sized pieces, fewer when they run out, and `chunks` empty ones of an empty axis", () => {
    expect([...shapes(ops.chunk(empty([6, 5]), 4)), ...shapes(ops.chunk(empty([5, 2]), 3))]).toEqual(E.chunk_shapes);
    expect(shapes(ops.chunk(empty([0, 2]), 3))).toEqual(E.chunk_empty);
  });
  it("unbind of an empty axis gives no pieces; of a non-empty one, empty pieces", () => {
    expect([...shapes(ops.unbind(empty([0, 3]))), ...shapes(ops.unbind(empty([2, 0])))]).toEqual(E.unbind_empty);
  });
  it("empty tensors flip, roll, repeat and tile to the shapes PyTorch gives", () => {
    expect(ops.flip(empty([0, 3]), [0, 1]).shape).toEqual(E.flip_empty);
    expect(ops.roll(empty([0, 3]), 5, 0).shape).toEqual(E.roll_empty);
    expect(ops.repeat(empty([2, 3]), [0, 2]).shape).toEqual(E.repeat_zero);
    expect(ops.tile(empty([0, 3]), [2, 2]).shape).toEqual(E.tile_empty);
    expect(ops.repeatInterleave(empty([2, 3]), 0, 1).shape).toEqual(E.repeatInterleave_zero);
  });
  it("the norm over an empty axis is 0; a diagonal past the matrix is empty; meshgrid xy swaps the first two axes", () => {
    expect(flat(ops.norm(empty([0, 3]), { axis: 0 }))).toEqual(E.norm_empty);
    expect(ops.diagonal(empty([2, 3]), 5).shape).toEqual(E.diagonal_none);
    expect(shapes(ops.meshgrid(empty([2]), empty([3]), empty([4]), { indexing: "xy" }))).toEqual(E.meshgrid_three_xy);
    expect(stack(ops.meshgrid(empty([2]), empty([3]))).shape).toEqual([2, 2, 3]);
  });
});
