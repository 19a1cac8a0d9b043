/**
 * Joining and indexing along an axis — concat, stack, split, pad, gather, indexSelect, scatterAdd,
 * oneHot: values against definitions read element by element, VJPs against central differences in
 * float64 over random shapes (size-0 and size-1 axes, reversed and transposed inputs), JVPs against
 * VJPs by the adjoint identity, grad of grad against finite differences of the gradient, and errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { gather, indexSelect, oneHot, scatterAdd } from "../../src/tensor/primitives/gather.js";
import { concat, pad, split, stack } from "../../src/tensor/primitives/join.js";
import { add, grad, jvp, mul, randint, randn, rng, sin, sum, tensor, type Rng, type Tensor } from "../../src/tensor/index.js";
import { checkGradient } from "../../src/testing/checkGradient.js";
import { errorCode, thrown } from "../support/errorCode.js";
import { close, expectJvpMatchesVjp, expectVjpMatches, f64, flat, layoutArb, type Layout } from "../support/tensors.js";

const i32 = (values: number[], shape: readonly number[] = [values.length]): Tensor => tensor(new Int32Array(values), { shape, dtype: "int32" });
/** Every multi-index of `shape`, row-major. */
function indicesOf(shape: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (const d of shape) out = out.flatMap((p) => Array.from({ length: d }, (_, i) => [...p, i]));
  return out;
}

/** A float64 tensor of `shape`, as a view of another layout when asked (a non-contiguous input). */
function operand(g: Rng, shape: readonly number[], layout: Layout): Tensor {
  if (layout === "transposed" && shape.length >= 2) {
    return randn([...shape].reverse(), { rng: g, dtype: "float64" }).permute(shape.map((_, i) => shape.length - 1 - i));
  }
  if (layout === "reversed" && shape.length >= 1) return randn(shape, { rng: g, dtype: "float64" }).slice(...shape.map(() => [null, null, -1] as const));
  return randn(shape, { rng: g, dtype: "float64" });
}

/** Grad of h(x) = ⟨v, ∇L(x)⟩ for L = Σ w·sin(f(x)), against central differences of h. */
function expectGradOfGradMatches(f: (x: Tensor) => Tensor, x: Tensor, g: Rng): void {
  const w = randn(f(x).shape, { rng: g, dtype: "float64" });
  const v = randn(x.shape, { rng: g, dtype: "float64" });
  const loss = (t: Tensor) => sum(mul(w, sin(f(t))));
  const h = (t: Tensor) => sum(mul(v, grad(loss)(t) as Tensor));
  const hx = grad(h)(x) as Tensor;
  const report = checkGradient((vs) => h(f64(vs, x.shape)).item(), flat(x), { gradient: flat(hx), rtol: 1e-6, atol: 1e-8 });
  expect(report.ok, report.summary).toBe(true);
}

const shapeArb = (minRank: number) => fc.array(fc.integer({ min: 0, max: 3 }), { minLength: minRank, maxLength: 3 });

describe("concat and stack", () => {
  const caseArb = shapeArb(1).chain((shape) =>
    fc.record({
      shape: fc.constant(shape),
      axis: fc.integer({ min: 0, max: shape.length - 1 }),
      sizes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
      layouts: fc.array(layoutArb, { minLength: 3, maxLength: 3 }),
      negative: fc.boolean(),
      seed: fc.integer(),
    }),
  );

  it("concat: values, VJP (slices of g) and JVP over random shapes with size-0 parts and strided inputs", () => {
    fc.assert(
      fc.property(caseArb, ({ shape, axis, sizes, layouts, negative, seed }) => {
        const g = rng(seed);
        const xs = sizes.map((s, i) =>
          operand(
            g,
            shape.map((d, j) => (j === axis ? s : d)),
            layouts[i],
          ),
        );
        const ax = negative ? axis - shape.length : axis;
        const y = concat(xs, ax);
        expect(y.shape).toEqual(shape.map((d, j) => (j === axis ? sizes.reduce((a, b) => a + b, 0) : d)));
        for (const idx of indicesOf(y.shape)) {
          let p = idx[axis];
          let part = 0;
          while (p >= sizes[part]) p -= sizes[part++];
          expect(y.at(...idx)).toBe(xs[part].at(...idx.map((v, j) => (j === axis ? p : v))));
        }
        const f = (...ts: Tensor[]) => concat(ts, ax);
        expectVjpMatches(f, xs, g);
        expectJvpMatchesVjp(f, xs, g);
      }),
      { numRuns: 40 },
    );
  });

  it("stack: values, VJP and JVP along a new axis anywhere", () => {
    fc.assert(
      fc.property(shapeArb(0), fc.integer({ min: 1, max: 3 }), fc.nat(), layoutArb, fc.integer(), (shape, n, pick, layout, seed) => {
        const g = rng(seed);
        const axis = pick % (shape.length + 1);
        const xs = Array.from({ length: n }, () => operand(g, shape, layout));
        const y = stack(xs, axis);
        expect(y.shape).toEqual([...shape.slice(0, axis), n, ...shape.slice(axis)]);
        for (const idx of indicesOf(y.shape)) expect(y.at(...idx)).toBe(xs[idx[axis]].at(...idx.filter((_, j) => j !== axis)));
        const f = (...ts: Tensor[]) => stack(ts, axis - shape.length - 1);
        expectVjpMatches(f, xs, g);
        expectJvpMatchesVjp(f, xs, g);
      }),
      { numRuns: 30 },
    );
  });

  it("grad of grad through concat and stack", () => {
    const g = rng(1);
    expectGradOfGradMatches((x) => concat([x, mul(x, x), x.slice(null, [0, 1])], 1), operand(g, [2, 3], "transposed"), g);
    expectGradOfGradMatches((x) => stack([mul(x, x), x], 0), operand(g, [3], "reversed"), g);
  });

  it("errors", () => {
    const a = f64([1, 2, 3, 4], [2, 2]);
    expect(errorCode(() => concat([], 0))).toBe("InvalidArgument");
    expect(errorCode(() => concat([a, f64([1, 2, 3], [1, 3])], 0))).toBe("ShapeMismatch");
    expect(errorCode(() => concat([a, f64([1, 2], [2])], 0))).toBe("ShapeMismatch");
    expect(errorCode(() => concat([a, 1 as never], 0))).toBe("InvalidArgument");
    expect(errorCode(() => concat([a], 2))).toBe("InvalidArgument");
    expect(errorCode(() => concat([f64([1], [])], 0))).toBe("InvalidArgument");
    expect(errorCode(() => concat(a as never, 0))).toBe("InvalidArgument");
    expect(errorCode(() => stack([a, f64([1, 2], [1, 2])], 0))).toBe("ShapeMismatch");
    expect(errorCode(() => stack([a], 3))).toBe("InvalidArgument");
    const e = thrown(() => concat([a, f64([1, 2, 3], [1, 3])], 0));
    expect(e.message).toContain("[2, 2]");
    expect(e.message).toContain("[1, 3]");
    // Scalars stack into a vector.
    expect(stack([f64([1], []), f64([2], [])]).toArray()).toEqual([1, 2]);
  });
});

describe("split", () => {
  it("sizes or a count: pieces are the slices, and gradients flow back through them", () => {
    fc.assert(
      fc.property(
        shapeArb(1).chain((shape) => fc.tuple(fc.constant(shape), fc.integer({ min: 0, max: shape.length - 1 }))),
        fc.nat(),
        layoutArb,
        fc.integer(),
        ([shape, axis], cut, layout, seed) => {
          const g = rng(seed);
          const d = shape[axis];
          const x = operand(g, shape, layout);
          const first = d === 0 ? 0 : cut % (d + 1);
          const pieces = split(x, [first, d - first], axis);
          expect(pieces.map((p) => p.shape[axis])).toEqual([first, d - first]);
          pieces.forEach((p, k) => {
            for (const idx of indicesOf(p.shape)) expect(p.at(...idx)).toBe(x.at(...idx.map((v, j) => (j === axis ? v + k * first : v))));
          });
          expect(split(x, 1, axis)[0].shape).toEqual(shape);
          // Each piece weighted differently, joined again.
          const f = (t: Tensor) => {
            const [p, q] = split(t, [first, d - first], axis - shape.length);
            return concat([mul(q, 3), mul(p, p)], axis);
          };
          expectVjpMatches(f, [x], g);
          expectJvpMatchesVjp(f, [x], g);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("count splits evenly; grad of grad", () => {
    const x = f64([0, 1, 2, 3, 4, 5], [6]);
    expect(split(x, 3).map((p) => p.toArray())).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(split(f64([], [0, 2]), 2, 0).map((p) => p.shape)).toEqual([
      [0, 2],
      [0, 2],
    ]);
    const g = rng(2);
    expectGradOfGradMatches(
      (t) => {
        const [a, b] = split(t, 2, 1);
        return mul(a, b);
      },
      operand(g, [2, 4], "reversed"),
      g,
    );
  });

  it("errors", () => {
    const x = f64([0, 1, 2, 3, 4, 5], [2, 3]);
    expect(errorCode(() => split(x, 2, 1))).toBe("InvalidArgument");
    expect(errorCode(() => split(x, 0, 1))).toBe("InvalidArgument");
    expect(errorCode(() => split(x, 1.5, 1))).toBe("InvalidArgument");
    expect(errorCode(() => split(x, [1, 1], 1))).toBe("ShapeMismatch");
    expect(errorCode(() => split(x, [1, -1, 3], 1))).toBe("InvalidArgument");
    expect(errorCode(() => split(x, [3], 2))).toBe("InvalidArgument");
    expect(errorCode(() => split(f64([1], []), 1))).toBe("InvalidArgument");
    expect(errorCode(() => split(x, "2" as never, 1))).toBe("InvalidArgument");
    expect(errorCode(() => split([1, 2] as never, 1))).toBe("InvalidArgument");
  });
});

describe("pad", () => {
  it("values, VJP (a slice of g), JVP over random shapes and widths", () => {
    fc.assert(
      fc.property(
        shapeArb(0).chain((shape) =>
          fc.tuple(fc.constant(shape), fc.array(fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })), { minLength: shape.length, maxLength: shape.length })),
        ),
        fc.double({ min: -3, max: 3, noNaN: true }),
        layoutArb,
        fc.integer(),
        ([shape, widths], value, layout, seed) => {
          const g = rng(seed);
          const x = operand(g, shape, layout);
          const y = pad(x, widths, value);
          expect(y.shape).toEqual(shape.map((d, i) => d + widths[i][0] + widths[i][1]));
          for (const idx of indicesOf(y.shape)) {
            const src = idx.map((v, i) => v - widths[i][0]);
            const inside = src.every((v, i) => v >= 0 && v < shape[i]);
            expect(y.at(...idx)).toBe(inside ? x.at(...src) : value);
          }
          const f = (t: Tensor) => pad(t, widths, value);
          expectVjpMatches(f, [x], g);
          expectJvpMatchesVjp(f, [x], g);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("grad of grad; value is stored in the tensor's dtype; errors", () => {
    const g = rng(3);
    expectGradOfGradMatches(
      (t) =>
        mul(
          pad(
            t,
            [
              [1, 0],
              [2, 1],
            ],
            0.5,
          ),
          pad(t, [
            [0, 1],
            [0, 3],
          ]),
        ),
      operand(g, [2, 2], "transposed"),
      g,
    );
    expect(pad(tensor([1, 2], { dtype: "int32" }), [[1, 1]], 7.9).toArray()).toEqual([7, 1, 2, 7]);
    const x = f64([1, 2], [2]);
    expect(
      errorCode(() =>
        pad(x, [
          [1, 1],
          [0, 0],
        ]),
      ),
    ).toBe("ShapeMismatch");
    expect(errorCode(() => pad(x, [[-1, 0]]))).toBe("InvalidArgument");
    expect(errorCode(() => pad(x, [[0.5, 0]] as never))).toBe("InvalidArgument");
    expect(errorCode(() => pad(x, [[1]] as never))).toBe("InvalidArgument");
    expect(errorCode(() => pad(x, 1 as never))).toBe("InvalidArgument");
    expect(errorCode(() => pad(x, [[1, 1]], "0" as never))).toBe("InvalidArgument");
    expect(errorCode(() => pad(null as never, []))).toBe("InvalidArgument");
  });
});

/** x of a random shape, an axis, and int32 indices that fit it in torch.gather's sense. */
const gatherCaseArb = fc
  .record({
    shape: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 3 }),
    shrink: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 3, maxLength: 3 }),
    along: fc.integer({ min: 0, max: 4 }),
    axisPick: fc.nat(),
    layout: layoutArb,
    seed: fc.integer(),
  })
  .map(({ shape, shrink, along, axisPick, layout, seed }) => {
    const axis = axisPick % shape.length;
    const indexShape = shape.map((d, i) => (i === axis ? (d === 0 ? 0 : along) : Math.max(0, d - shrink[i])));
    return { shape, axis, indexShape, layout, seed };
  });

describe("gather and scatterAdd", () => {
  it("gather: torch.gather values, VJP (a scatter-add of g), JVP", () => {
    fc.assert(
      fc.property(gatherCaseArb, ({ shape, axis, indexShape, layout, seed }) => {
        const g = rng(seed);
        const x = operand(g, shape, layout);
        const indices = shape[axis] === 0 ? i32([], indexShape) : randint(0, shape[axis], indexShape, { rng: g });
        const y = gather(x, axis - (seed % 2 === 0 ? 0 : shape.length), indices);
        expect(y.shape).toEqual(indexShape);
        for (const idx of indicesOf(indexShape)) expect(y.at(...idx)).toBe(x.at(...idx.map((v, j) => (j === axis ? indices.at(...idx) : v))));
        const f = (t: Tensor) => gather(t, axis, indices);
        expectVjpMatches(f, [x], g);
        expectJvpMatchesVjp(f, [x], g);
      }),
      { numRuns: 40 },
    );
  });

  it("scatterAdd: values (repeats accumulate), gradients to x and src (zero where indices do not reach), JVP", () => {
    fc.assert(
      fc.property(gatherCaseArb, fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 3, maxLength: 3 }), ({ shape, axis, indexShape, layout, seed }, extra) => {
        const g = rng(seed);
        const x = operand(g, shape, layout);
        const indices = shape[axis] === 0 ? i32([], indexShape) : randint(0, shape[axis], indexShape, { rng: g });
        // src may be larger than indices on any axis.
        const src = operand(
          g,
          indexShape.map((d, i) => d + extra[i]),
          "reversed",
        );
        const y = scatterAdd(x, axis, indices, src);
        expect(y.shape).toEqual(shape);
        const expected = indicesOf(shape).map((idx) => x.at(...idx));
        const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
        for (const idx of indicesOf(indexShape)) {
          const target = idx.map((v, j) => (j === axis ? indices.at(...idx) : v));
          expected[target.reduce((o, v, j) => o + v * strides[j], 0)] += src.at(...idx);
        }
        close(flat(y), expected, 1e-12);
        const f = (t: Tensor, s: Tensor) => scatterAdd(t, axis, indices, s);
        expectVjpMatches(f, [x, src], g);
        expectJvpMatchesVjp(f, [x, src], g);
      }),
      { numRuns: 40 },
    );
  });

  it("grad of grad through gather and scatterAdd; indices get no gradient", () => {
    const g = rng(4);
    const indices = i32([2, 0, 0, 1, 1, 1], [2, 3]);
    expectGradOfGradMatches((x) => mul(gather(x, 1, indices), gather(x, 1, i32([0, 0, 2, 2, 1, 0], [2, 3]))), operand(g, [2, 3], "transposed"), g);
    const base = operand(g, [2, 3], "contiguous");
    expectGradOfGradMatches((s) => scatterAdd(base, 1, indices, mul(s, s)), operand(g, [2, 3], "reversed"), g);
    expectGradOfGradMatches((x) => scatterAdd(mul(x, x), 0, i32([1, 0, 1], [1, 3]), x.slice([0, 1])), operand(g, [2, 3], "contiguous"), g);
  });

  it("errors: out-of-range and non-int32 indices name the op and the index; shape rules", () => {
    const x = f64([1, 2, 3, 4, 5, 6], [2, 3]);
    const e = thrown(() => gather(x, 1, i32([0, 3, 1, 0], [2, 2])));
    expect(e.code).toBe("InvalidArgument");
    expect(e.details).toMatchObject({ op: "gather", index: 3, position: [0, 1], axis: 1, size: 3 });
    expect(e.message).toContain("index 3");
    expect(thrown(() => gather(x, 0, i32([-1], [1, 1]))).details).toMatchObject({ op: "gather", index: -1 });
    expect(thrown(() => gather(x, 0, tensor([[0]]))).details).toMatchObject({ op: "gather", dtype: "float32" });
    expect(errorCode(() => gather(x, 0, tensor([[0]])))).toBe("InvalidArgument");
    expect(errorCode(() => gather(x, 0, i32([0, 0, 0, 0], [1, 4])))).toBe("ShapeMismatch");
    expect(errorCode(() => gather(x, 0, i32([0, 0], [2])))).toBe("ShapeMismatch");
    expect(errorCode(() => gather(x, 2, i32([0], [1, 1])))).toBe("InvalidArgument");
    expect(errorCode(() => gather(x, 0, [[0]] as never))).toBe("InvalidArgument");
    const s = thrown(() => scatterAdd(x, 0, i32([0, 2], [1, 2]), f64([1, 1], [1, 2])));
    expect(s.details).toMatchObject({ op: "scatterAdd", index: 2, position: [0, 1], axis: 0, size: 2 });
    expect(errorCode(() => scatterAdd(x, 0, i32([0, 1], [1, 2]), f64([1], [1, 1])))).toBe("ShapeMismatch");
    expect(errorCode(() => scatterAdd(x, 0, i32([0, 1], [1, 2]), tensor([[1, 1]])))).toBe("DTypeMismatch");
    expect(errorCode(() => scatterAdd(x, 0, tensor([[0, 1]], { dtype: "bool" }), f64([1, 1], [1, 2])))).toBe("InvalidArgument");
  });
});

describe("indexSelect", () => {
  it("values, VJP (repeated indices accumulate), JVP", () => {
    fc.assert(
      fc.property(shapeArb(1), fc.nat(), fc.integer({ min: 0, max: 4 }), layoutArb, fc.integer(), (shape, pick, n, layout, seed) => {
        const g = rng(seed);
        const axis = pick % shape.length;
        const x = operand(g, shape, layout);
        const indices = shape[axis] === 0 ? i32([]) : randint(0, shape[axis], [n], { rng: g });
        const y = indexSelect(x, axis, indices);
        expect(y.shape).toEqual(shape.map((d, i) => (i === axis ? indices.size : d)));
        for (const idx of indicesOf(y.shape)) expect(y.at(...idx)).toBe(x.at(...idx.map((v, j) => (j === axis ? indices.at(v) : v))));
        const f = (t: Tensor) => indexSelect(t, axis, indices);
        expectVjpMatches(f, [x], g);
        expectJvpMatchesVjp(f, [x], g);
      }),
      { numRuns: 40 },
    );
  });

  it("grad of grad; a strided index vector; errors", () => {
    const g = rng(5);
    expectGradOfGradMatches((x) => mul(indexSelect(x, 0, i32([1, 1, 0])), indexSelect(x, 0, i32([0, 1, 1]))), operand(g, [2, 3], "transposed"), g);
    const x = f64([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(indexSelect(x, 0, i32([0, 1, 2]).slice([null, null, -1])).toArray()).toEqual([
      [5, 6],
      [3, 4],
      [1, 2],
    ]);
    const e = thrown(() => indexSelect(x, 0, i32([0, 5])));
    expect(e.code).toBe("InvalidArgument");
    expect(e.details).toMatchObject({ op: "indexSelect", index: 5, position: [1], axis: 0, size: 3 });
    expect(errorCode(() => indexSelect(x, 0, i32([0], [1, 1])))).toBe("InvalidArgument");
    expect(errorCode(() => indexSelect(x, 0, tensor([0])))).toBe("InvalidArgument");
    expect(errorCode(() => indexSelect(x, 2, i32([0])))).toBe("InvalidArgument");
    expect(errorCode(() => indexSelect(f64([1], []), 0, i32([0])))).toBe("InvalidArgument");
  });
});

describe("oneHot", () => {
  it("float32 by default, any index shape, no gradient through it", () => {
    const y = oneHot(i32([2, 0, 1, 2], [2, 2]), 3);
    expect(y.dtype).toBe("float32");
    expect(y.toArray()).toEqual([
      [
        [0, 0, 1],
        [1, 0, 0],
      ],
      [
        [0, 1, 0],
        [0, 0, 1],
      ],
    ]);
    expect(oneHot(i32([]), 4).shape).toEqual([0, 4]);
    expect(oneHot(i32([0, 1, 2]).slice([null, null, -1]), 3, "float64").toArray()).toEqual([
      [0, 0, 1],
      [0, 1, 0],
      [1, 0, 0],
    ]);
    // Used as a constant: the gradient goes to the other factor only, in both modes.
    const labels = i32([1, 0]);
    const logits = f64([0.5, -1, 2, 0.25], [2, 2]);
    const picked = (t: Tensor) => sum(mul(oneHot(labels, 2, "float64"), t));
    expect((grad(picked)(logits) as Tensor).toArray()).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(jvp(picked, [logits], [f64([1, 2, 3, 4], [2, 2])])[1].item()).toBe(5);
    expect(add(oneHot(labels, 2, "float64"), logits).requiresGrad).toBe(false);
  });

  it("errors name the op and the offending index", () => {
    const e = thrown(() => oneHot(i32([0, 3]), 3));
    expect(e.code).toBe("InvalidArgument");
    expect(e.details).toMatchObject({ op: "oneHot", index: 3, position: [1], size: 3 });
    expect(thrown(() => oneHot(i32([-2]), 3)).details).toMatchObject({ op: "oneHot", index: -2 });
    expect(errorCode(() => oneHot(tensor([0]), 3))).toBe("InvalidArgument");
    expect(errorCode(() => oneHot(i32([0]), -1))).toBe("InvalidArgument");
    expect(errorCode(() => oneHot(i32([0]), 1.5))).toBe("InvalidArgument");
    expect(errorCode(() => oneHot(i32([0]), 2, "int32" as never))).toBe("InvalidArgument");
  });
});
