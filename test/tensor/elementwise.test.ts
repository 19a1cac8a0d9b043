/**
 * The elementwise extras (rsqrt, abs, sign, relu, sigmoid, softplus, erf, gelu, pow, maximum,
 * minimum, clip, where, comparisons, cast) against finite differences in float64: VJPs over random
 * shapes with size-1 axes, broadcasting and non-contiguous inputs; JVPs against the VJP (adjoint
 * identity) and finite differences; grad of grad against finite differences of the gradient; the
 * conventions at kinks and ties; stability; errors.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { centralDifference } from "../../src/testing/checkGradient.js";
import { add, grad, jacfwd, jacrev, jvp, mul, sin, sum, tensor, vjp, type Tensor } from "../../src/tensor/index.js";
import { cast } from "../../src/tensor/primitives/cast.js";
import { eq, ge, gt, le, lt, ne } from "../../src/tensor/primitives/compare.js";
import { clip, maximum, minimum, where } from "../../src/tensor/primitives/select.js";
import { abs, erf, gelu, pow, relu, rsqrt, sigmoid, sign, softplus } from "../../src/tensor/primitives/unary.js";
import { errorCode } from "../support/errorCode.js";
import { expectGradientMatches, f64, flat, shapeArb, sizeOf, valuesFor } from "../support/tensors.js";

/** A non-uniform scalar of any tensor, so every output element matters differently. */
const weight = (t: Tensor): Tensor => sum(mul(t, sin(add(t, 1))));

/** Values on the grid offset + k/4: two grids with different offsets never tie, and offset 0.1 keeps 0.1 from 0. */
const gridFor = (shape: readonly number[], offset: number) =>
  fc.array(
    fc.integer({ min: -8, max: 8 }).map((k) => offset + k / 4),
    { minLength: sizeOf(shape), maxLength: sizeOf(shape) },
  );

/** How a leaf is seen by the op: as is, transposed (a strided view) or flipped along axis 0 (a negative stride). */
type View = "id" | "transpose" | "flip";
const viewArb = (rank: number): fc.Arbitrary<View> =>
  fc.constantFrom<View>(...(rank >= 2 ? (["id", "transpose", "flip"] as const) : rank === 1 ? (["id", "flip"] as const) : (["id"] as const)));
const leafShape = (seen: readonly number[], view: View) => (view === "transpose" ? [...seen.slice(0, -2), seen[seen.length - 1], seen[seen.length - 2]] : [...seen]);
const applyView = (x: Tensor, view: View): Tensor => (view === "transpose" ? x.transpose() : view === "flip" ? x.slice([null, null, -1]) : x);

type Values = (shape: readonly number[]) => fc.Arbitrary<number[]>;
const range =
  (min: number, max: number): Values =>
  (s) =>
    valuesFor(s, min, max);
const offGrid: Values = (s) => gridFor(s, 0.1);

const unaryCases: [string, (x: Tensor) => Tensor, Values][] = [
  ["rsqrt", rsqrt, range(0.2, 4)],
  ["abs", abs, offGrid],
  ["relu", relu, offGrid],
  ["sigmoid", sigmoid, range(-6, 6)],
  ["softplus", softplus, range(-6, 6)],
  ["erf", erf, range(-3, 3)],
  ["gelu (erf)", (x) => gelu(x), range(-4, 4)],
  ["gelu (tanh)", (x) => gelu(x, { approximate: "tanh" }), range(-4, 4)],
  ["pow(x, 2.5)", (x) => pow(x, 2.5), range(0.2, 3)],
  ["pow(2, x)", (x) => pow(2, x), range(-2, 2)],
  ["clip(x, -1, 0.65)", (x) => clip(x, -1, 0.65), offGrid],
  ["maximum(x, 0)", (x) => maximum(x, 0), offGrid],
];

describe("unary primitives", () => {
  it.each(unaryCases)("%s: VJP vs finite differences over random shapes and views", (_name, f, values) => {
    fc.assert(
      fc.property(
        shapeArb.chain((s) => viewArb(s.length).chain((v) => fc.tuple(fc.constant(s), fc.constant(v), values(leafShape(s, v))))),
        ([seen, view, xs]) => {
          const shape = leafShape(seen, view);
          const loss = (x: Tensor) => weight(f(applyView(x, view)));
          const g = grad(loss)(f64(xs, shape)) as Tensor;
          expect(g.shape).toEqual(shape);
          expectGradientMatches(loss, xs, shape, flat(g));
        },
      ),
      { numRuns: 12 },
    );
  });

  it.each(unaryCases)("%s: JVP agrees with the VJP and with finite differences", (_name, f, values) => {
    fc.assert(
      fc.property(values([2, 3]), valuesFor([2, 3], -1, 1), valuesFor([3, 2], -1, 1), (xs, vs, cs) => {
        const x = f64(xs, [2, 3]);
        const v = f64(vs, [2, 3]);
        const ct = f64(cs, [3, 2]);
        const h = (t: Tensor) => f(t.transpose());
        const [, t] = jvp(h, [x], [v]);
        const forward = sum(mul(ct, t)).item();
        const reverse = sum(mul(vjp(h, x)[1](ct)[0], v)).item();
        expect(Math.abs(forward - reverse)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(reverse)));
        // Steps small enough to stay off the kinks of abs/relu/clip (inputs are ≥ 0.1 from them); the
        // difference quotient itself is good to ~1e-6 near rsqrt's steep end (x ≈ 0.2), hence 1e-5.
        const numeric = centralDifference((s) => sum(mul(ct, h(add(x, mul(v, s[0]))))).item(), [0], 0, 1e-2);
        expect(Math.abs(forward - numeric)).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(numeric)));
      }),
      { numRuns: 6 },
    );
  });

  it.each(unaryCases)("%s: grad of grad vs finite differences of the gradient", (_name, f, values) => {
    fc.assert(
      fc.property(values([3]), valuesFor([3], -1, 1), (xs, vs) => {
        const v = f64(vs, [3]);
        const first = (x: Tensor) => sum(mul(grad((t: Tensor) => weight(f(t)))(x) as Tensor, v));
        const g2 = grad(first)(f64(xs, [3])) as Tensor;
        expectGradientMatches(first, xs, [3], flat(g2), 1e-5);
      }),
      { numRuns: 5 },
    );
  });

  it("jacfwd equals jacrev through every unary op at once", () => {
    const x = f64([0.3, -1.1, 0.7, 1.9], [2, 2]);
    const h = (t: Tensor) => add(mul(gelu(t), sigmoid(t.transpose())), add(softplus(abs(t)), mul(relu(t), rsqrt(add(mul(t, t), 1)))));
    const jf = flat(jacfwd(h)(x));
    flat(jacrev(h)(x)).forEach((r, i) => expect(Math.abs(jf[i] - r)).toBeLessThan(1e-13));
  });
});

const pairArb = fc
  .tuple(shapeArb, fc.array(fc.boolean(), { maxLength: 3 }), fc.array(fc.boolean(), { maxLength: 3 }), fc.integer({ min: 0, max: 3 }))
  .map(([shape, onesA, onesB, drop]) => [shape.map((d, i) => (onesA[i] ? 1 : d)), shape.map((d, i) => (onesB[i] ? 1 : d)).slice(Math.min(drop, shape.length))] as const);

const binaryCases: [string, (a: Tensor, b: Tensor) => Tensor, Values, Values][] = [
  // The base stays ≥ 0.5: near 0.3 with b ≈ −2 the finite-difference reference itself is off by ~1e−6.
  ["pow", pow, range(0.5, 2), range(-2, 2)],
  ["maximum", maximum, offGrid, (s) => gridFor(s, 0)],
  ["minimum", minimum, offGrid, (s) => gridFor(s, 0)],
  ["clip(a, b, b + 0.55)", (a, b) => clip(a, b, add(b, 0.55)), (s) => gridFor(s, 0), offGrid],
];

describe("binary primitives with broadcasting", () => {
  it.each(binaryCases)("%s: gradients w.r.t. both operands (one of them a view) vs finite differences", (_name, op, va, vb) => {
    fc.assert(
      fc.property(
        pairArb.chain(([sa, sb]) => viewArb(sa.length).chain((view) => fc.tuple(fc.constant(sa), fc.constant(sb), fc.constant(view), va(leafShape(sa, view)), vb(sb)))),
        ([seenA, sb, view, as, bs]) => {
          const sa = leafShape(seenA, view);
          const a = f64(as, sa);
          const b = f64(bs, sb);
          const [ga, gb] = grad((x: Tensor, y: Tensor) => weight(op(applyView(x, view), y)), { argnums: [0, 1] })(a, b) as Tensor[];
          expect(ga.shape).toEqual(sa);
          expect(gb.shape).toEqual(sb);
          expectGradientMatches((x) => weight(op(applyView(x, view), b)), as, sa, flat(ga));
          expectGradientMatches((y) => weight(op(applyView(a, view), y)), bs, sb, flat(gb));
        },
      ),
      { numRuns: 15 },
    );
  });

  it.each(binaryCases)("%s: JVP in both operands agrees with the VJP; grad of grad vs finite differences", (_name, op, va, vb) => {
    fc.assert(
      fc.property(va([2, 3]), vb([3]), valuesFor([2, 3], -1, 1), valuesFor([3], -1, 1), valuesFor([2, 3], -1, 1), (as, bs, das, dbs, cs) => {
        const a = f64(as, [2, 3]);
        const b = f64(bs, [3]);
        const ct = f64(cs, [2, 3]);
        const [, t] = jvp(op, [a, b], [f64(das, [2, 3]), f64(dbs, [3])]);
        const [ga, gb] = vjp(op, a, b)[1](ct);
        const forward = sum(mul(ct, t)).item();
        const reverse = sum(mul(ga, f64(das, [2, 3]))).item() + sum(mul(gb, f64(dbs, [3]))).item();
        expect(Math.abs(forward - reverse)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(reverse)));
        // Second order: the gradient of ⟨∇ₐ loss, u⟩ with respect to a and to b.
        const first = (x: Tensor, y: Tensor) => sum(mul(grad((p: Tensor) => weight(op(p, y)))(x) as Tensor, ct));
        const [haa, hab] = grad(first, { argnums: [0, 1] })(a, b) as Tensor[];
        expectGradientMatches((x) => first(x, b), as, [2, 3], flat(haa), 1e-5);
        expectGradientMatches((y) => first(a, y), bs, [3], flat(hab), 1e-5);
      }),
      { numRuns: 5 },
    );
  });
});

describe("where", () => {
  const tripleArb = fc
    .tuple(shapeArb, fc.array(fc.boolean(), { maxLength: 3 }), fc.array(fc.boolean(), { maxLength: 3 }), fc.array(fc.boolean(), { maxLength: 3 }), fc.integer({ min: 0, max: 3 }))
    .map(
      ([shape, oc, oa, ob, drop]) =>
        [shape.map((d, i) => (oc[i] ? 1 : d)), shape.map((d, i) => (oa[i] ? 1 : d)), shape.map((d, i) => (ob[i] ? 1 : d)).slice(Math.min(drop, shape.length))] as const,
    );

  it("broadcasts all three; gradients to both branches vs finite differences; none to cond", () => {
    fc.assert(
      fc.property(
        tripleArb.chain(([sc, sa, sb]) =>
          viewArb(sa.length).chain((view) =>
            fc.tuple(fc.constant([sc, sa, sb] as const), fc.constant(view), valuesFor(sc, -1, 1), valuesFor(leafShape(sa, view), -2, 2), valuesFor(sb, -2, 2)),
          ),
        ),
        ([[sc, seenA, sb], view, cs, as, bs]) => {
          const sa = leafShape(seenA, view);
          const c = f64(cs, sc);
          const cond = gt(c, 0);
          const a = f64(as, sa);
          const b = f64(bs, sb);
          const op = (x: Tensor, y: Tensor) => where(cond, applyView(x, view), y);
          // Values: each element of the broadcast is picked from the right branch.
          const y = op(a, b);
          const ex = (t: Tensor) => t.expand(y.shape).data();
          const [ec, ea, eb] = [ex(cond), ex(applyView(a, view)), ex(b)];
          expect(flat(y)).toEqual(Array.from(ec, (k, i) => (k ? ea[i] : eb[i])));
          const [ga, gb, gc] = grad((x: Tensor, z: Tensor, w: Tensor) => weight(where(gt(w, 0), applyView(x, view), z)), { argnums: [0, 1, 2] })(a, b, c) as Tensor[];
          expect(ga.shape).toEqual(sa);
          expect(gb.shape).toEqual(sb);
          expect(flat(gc).every((v) => v === 0)).toBe(true);
          expectGradientMatches((x) => weight(op(x, b)), as, sa, flat(ga));
          expectGradientMatches((z) => weight(op(a, z)), bs, sb, flat(gb));
        },
      ),
      { numRuns: 25 },
    );
  });

  it("JVP agrees with the VJP; grad of grad; number branches take the other's dtype", () => {
    const cond = tensor([true, false, true], { dtype: "bool" });
    const a = f64([0.5, -1, 2], [3]);
    const b = f64([3, 4, -0.5], [3]);
    const op = (x: Tensor, y: Tensor) => where(cond, mul(x, x), sin(y));
    const [, t] = jvp(op, [a, b], [f64([1, 2, 3], [3]), f64([-1, 1, 2], [3])]);
    const ct = f64([0.3, -0.7, 1.1], [3]);
    const [ga, gb] = vjp(op, a, b)[1](ct);
    expect(sum(mul(ct, t)).item()).toBeCloseTo(sum(mul(ga, f64([1, 2, 3], [3]))).item() + sum(mul(gb, f64([-1, 1, 2], [3]))).item(), 12);
    const second = grad((x: Tensor) => sum(grad((p: Tensor) => sum(where(cond, mul(p, mul(p, p)), 0)))(x) as Tensor))(a) as Tensor;
    expect(flat(second).map((v) => v + 0)).toEqual([3, 0, 12]);
    expect(where(cond, a, 0).dtype).toBe("float64");
    expect(flat(where(cond, 1, a))).toEqual([1, -1, 1]);
    expect(where(cond, 1, 0).dtype).toBe("float32");
    expect(where(tensor([], { dtype: "bool" }), f64([], [0]), 1).shape).toEqual([0]);
  });

  it("rejects a non-bool or non-tensor cond and mismatched shapes; branches of two dtypes promote", () => {
    const a = f64([1, 2], [2]);
    expect(errorCode(() => where(a, a, a))).toBe("DTypeMismatch");
    expect(errorCode(() => where([true, false] as never, a, a))).toBe("InvalidArgument");
    expect(where(gt(a, 1), a, tensor([1, 2])).dtype).toBe("float64");
    expect(errorCode(() => where(gt(a, 1), a, f64([1, 2, 3], [3])))).toBe("ShapeMismatch");
    expect(errorCode(() => where(gt(f64([1, 2, 3], [3]), 1), a, a))).toBe("ShapeMismatch");
    expect(errorCode(() => where(gt(a, 1), a, "0" as never))).toBe("InvalidArgument");
  });
});

describe("comparisons", () => {
  const ops: [string, (a: Tensor | number, b: Tensor | number) => Tensor, (x: number, y: number) => boolean][] = [
    ["eq", eq, (x, y) => x === y],
    ["ne", ne, (x, y) => x !== y],
    ["lt", lt, (x, y) => x < y],
    ["le", le, (x, y) => x <= y],
    ["gt", gt, (x, y) => x > y],
    ["ge", ge, (x, y) => x >= y],
  ];
  it.each(ops)("%s: broadcasting bool result matching the number comparison (NaN included); no gradient", (_name, op, ref) => {
    const a = f64([0, 1, NaN, 2, -1, 1], [2, 3]);
    const b = f64([1, 1, NaN], [3]);
    const y = op(a.transpose().transpose(), b);
    expect(y.dtype).toBe("bool");
    expect(y.shape).toEqual([2, 3]);
    const bs = [1, 1, NaN];
    expect(y.toArray()).toEqual([0, 1].map((i) => [0, 1, 2].map((j) => ref(flat(a)[i * 3 + j], bs[j]))));
    expect(flat(op(a, 1))).toEqual(flat(a).map((v) => (ref(v, 1) ? 1 : 0)));
    // Differentiating through a mask: zero, not a crash, in every mode and at second order.
    const h = (t: Tensor) => mul(cast(op(t, 0.5), "float64"), t);
    const x = f64([0.2, 0.8, 0.5], [3]);
    expect(flat(grad((t: Tensor) => sum(cast(op(t, b), "float64")))(x) as Tensor)).toEqual([0, 0, 0]);
    expect(flat(jvp((t: Tensor) => cast(op(t, 0.5), "float64"), [x], [x])[1])).toEqual([0, 0, 0]);
    expect(jvp((t: Tensor) => op(t, 0.5), [x], [x])[1].dtype).toBe("bool");
    expect(flat(jacrev(h)(x))).toEqual(flat(jacfwd(h)(x)));
    const hess = grad((t: Tensor) => sum(grad((u: Tensor) => sum(mul(h(u), u)))(t) as Tensor))(x) as Tensor;
    expect(flat(hess)).toEqual([0.2, 0.8, 0.5].map((v) => (ref(v, 0.5) ? 2 : 0)));
  });

  it("mixed dtypes promote, shapes that do not broadcast are a ShapeMismatch; ints and bools compare", () => {
    const a = f64([1, 2], [2]);
    expect(lt(a, tensor([1.5, 2])).toArray()).toEqual([true, false]);
    expect(lt(tensor([1, 5], { dtype: "int32" }), 2.5).toArray()).toEqual([true, false]);
    expect(errorCode(() => lt(a, f64([1, 2, 3], [3])))).toBe("ShapeMismatch");
    expect(errorCode(() => lt(a, null as never))).toBe("InvalidArgument");
    expect(lt(tensor([1, 5], { dtype: "int32" }), 3).toArray()).toEqual([true, false]);
    expect(eq(gt(a, 1), lt(a, 2)).toArray()).toEqual([false, false]);
    expect(gt(f64([], [0, 2]), 0).shape).toEqual([0, 2]);
  });
});

describe("cast", () => {
  it("converts values: float32 rounding, int32 truncation toward zero, bool as ≠ 0 (NaN true)", () => {
    const x = f64([1.7, -1.7, 0, NaN, 0.1], [5]);
    expect(flat(cast(x, "int32"))).toEqual([1, -1, 0, 0, 0]);
    expect(cast(x, "bool").toArray()).toEqual([true, true, false, true, true]);
    expect(flat(cast(x, "float32"))[4]).toBe(Math.fround(0.1));
    expect(cast(x, "float32").dtype).toBe("float32");
    expect(flat(cast(tensor([true, false], { dtype: "bool" }), "float64"))).toEqual([1, 0]);
    expect(flat(cast(x.slice([null, null, -1]), "float64"))).toEqual(flat(x).reverse());
    expect(errorCode(() => cast(x, "bfloat16" as never))).toBe("InvalidArgument");
    expect(errorCode(() => cast([1] as never, "float64"))).toBe("InvalidArgument");
  });

  it("float → float passes the gradient (cast back to the input's dtype); to int/bool stops it", () => {
    fc.assert(
      fc.property(
        shapeArb.chain((s) => fc.tuple(fc.constant(s), valuesFor(s, -2, 2))),
        ([shape, xs]) => {
          const loss = (x: Tensor) => weight(cast(cast(x, "float64"), "float64"));
          const g = grad(loss)(f64(xs, shape)) as Tensor;
          expectGradientMatches(loss, xs, shape, flat(g));
          const through32 = grad((x: Tensor) => sum(mul(cast(cast(x, "float32"), "float64"), f64(xs, shape))))(f64(xs, shape)) as Tensor;
          expect(through32.dtype).toBe("float64");
          expect(flat(through32)).toEqual(xs.map(Math.fround));
          const stopped = grad((x: Tensor) => sum(add(cast(cast(x, "int32"), "float64"), cast(cast(x, "bool"), "float64"))))(f64(xs, shape)) as Tensor;
          expect(flat(stopped).every((v) => v === 0)).toBe(true);
        },
      ),
      { numRuns: 10 },
    );
    const x = f64([0.5, 1.5], [2]);
    const [, t] = jvp((u: Tensor) => cast(u, "float32"), [x], [f64([1, 2], [2])]);
    expect(t.dtype).toBe("float32");
    expect(flat(t)).toEqual([1, 2]);
    expect(flat(jvp((u: Tensor) => cast(cast(u, "int32"), "float64"), [x], [x])[1])).toEqual([0, 0]);
    const second = grad((u: Tensor) => sum(grad((v: Tensor) => sum(mul(cast(v, "float32"), cast(v, "float32"))))(u) as Tensor))(x) as Tensor;
    expect(flat(second)).toEqual([2, 2]);
  });
});

describe("conventions at kinks and ties", () => {
  const d = (f: (t: Tensor) => Tensor, xs: number[]) => flat(grad((t: Tensor) => sum(f(t)))(f64(xs, [xs.length])) as Tensor);

  it("abs and relu have derivative 0 at 0; sign has derivative 0 everywhere; NaN propagates", () => {
    expect(d(abs, [-2, 0, 3]).map((v) => v + 0)).toEqual([-1, 0, 1]);
    expect(d(relu, [-2, 0, 3])).toEqual([0, 0, 1]);
    expect(d(sign, [-2, 0, 3])).toEqual([0, 0, 0]);
    expect(flat(jvp(sign, [f64([1, -1], [2])], [f64([1, 1], [2])])[1])).toEqual([0, 0]);
    expect(flat(sign(f64([-2, 0, 3, NaN], [4])))).toEqual([-1, 0, 1, NaN]);
    expect(flat(relu(f64([-2, 0, 3, NaN], [4])))).toEqual([0, 0, 3, NaN]);
  });

  it("maximum/minimum split ties ½/½ (so maximum(x, x) has derivative 1) and propagate NaN", () => {
    const a = f64([1, 2, 3], [3]);
    const b = f64([1, 5, 0], [3]);
    const [ga, gb] = grad((x: Tensor, y: Tensor) => sum(maximum(x, y)), { argnums: [0, 1] })(a, b) as Tensor[];
    expect(flat(ga)).toEqual([0.5, 0, 1]);
    expect(flat(gb)).toEqual([0.5, 1, 0]);
    const [ma, mb] = grad((x: Tensor, y: Tensor) => sum(minimum(x, y)), { argnums: [0, 1] })(a, b) as Tensor[];
    expect(flat(ma)).toEqual([0.5, 1, 0]);
    expect(flat(mb)).toEqual([0.5, 0, 1]);
    expect(d((t) => maximum(t, t), [1, -2])).toEqual([1, 1]);
    expect(flat(maximum(f64([NaN, 1], [2]), 0))).toEqual([NaN, 1]);
    expect(flat(jvp((x: Tensor) => maximum(x, 1), [a], [f64([1, 1, 1], [3])])[1])).toEqual([0.5, 1, 1]);
  });

  it("clip: values, ½ at a bound, gradients to tensor bounds, one-sided bounds", () => {
    expect(flat(clip(f64([-3, 0.5, 4], [3]), -1, 2))).toEqual([-1, 0.5, 2]);
    expect(d((t) => clip(t, -1, 2), [-3, -1, 0.5, 2, 4])).toEqual([0, 0.5, 1, 0.5, 0]);
    expect(flat(clip(f64([-3, 4], [2]), undefined, 2))).toEqual([-3, 2]);
    expect(flat(clip(f64([-3, 4], [2]), 0))).toEqual([0, 4]);
    const lo = f64([0], [1]);
    expect(flat(grad((l: Tensor) => sum(clip(f64([-3, 4, -1], [3]), l, 2)))(lo) as Tensor)).toEqual([2]);
    expect(errorCode(() => clip(f64([1], [1]), 2, 1))).toBe("InvalidArgument");
    expect(errorCode(() => clip(f64([1], [1])))).toBe("InvalidArgument");
    expect(errorCode(() => clip(f64([1], [1]), "0" as never))).toBe("InvalidArgument");
    expect(errorCode(() => clip([1] as never, 0, 1))).toBe("InvalidArgument");
    expect(clip(f64([1], [1]), tensor([0]), 1).dtype).toBe("float64");
  });

  it("pow: ∂/∂a = 0 where b = 0 (even at a = 0), ∂/∂b = 0 where a = 0, and the b = 0 row keeps its derivative in b", () => {
    const a = f64([0, 2, 0, -2], [4]);
    const b = f64([0, 0, 2, 3], [4]);
    const [ga, gb] = grad((x: Tensor, y: Tensor) => sum(pow(x, y)), { argnums: [0, 1] })(a, b) as Tensor[];
    expect(flat(ga)).toEqual([0, 0, 0, 12]);
    expect(flat(gb).slice(0, 3)).toEqual([0, Math.log(2), 0]);
    expect(Number.isNaN(flat(gb)[3])).toBe(true);
    // ∂²(aᵇ)/∂b∂a at b = 0 is 1/a; at (0, 0) the convention gives 0, and nothing is NaN.
    const mixed = grad((y: Tensor) => sum(grad((x: Tensor) => sum(pow(x, y)))(f64([0, 2, 4], [3])) as Tensor))(f64([0, 0, 0], [3])) as Tensor;
    expect(flat(mixed)).toEqual([0, 0.5, 0.25]);
    const second = grad((x: Tensor) => sum(grad((u: Tensor) => sum(pow(u, f64([0, 2, 3], [3]))))(x) as Tensor))(f64([0, 0, 2], [3])) as Tensor;
    expect(flat(second)).toEqual([0, 2, 12]);
    expect(errorCode(() => pow(tensor([1, 2], { dtype: "int32" }), 2))).toBe("DTypeMismatch");
    expect(errorCode(() => pow(f64([1, 2], [2]), f64([1, 2, 3], [3])))).toBe("ShapeMismatch");
  });
});

describe("stability and special values", () => {
  it("sigmoid and softplus do not overflow; their gradients stay finite", () => {
    const x = f64([-800, -40, 0, 40, 800], [5]);
    const s = flat(sigmoid(x));
    expect([s[0], s[2], s[3], s[4]]).toEqual([0, 0.5, 1, 1]);
    expect(s[1] / Math.exp(-40)).toBeCloseTo(1, 14);
    expect(flat(softplus(x))[4]).toBe(800);
    expect(flat(softplus(x))[0]).toBe(0);
    expect(flat(softplus(x))[2]).toBeCloseTo(Math.log(2), 15);
    for (const f of [sigmoid, softplus, (t: Tensor) => gelu(t), (t: Tensor) => gelu(t, { approximate: "tanh" })]) {
      expect(flat(grad((t: Tensor) => sum(f(t)))(x) as Tensor).every(Number.isFinite)).toBe(true);
    }
  });

  it("gelu: golden values for both forms (PyTorch), rsqrt, erf; bad options are refused", () => {
    const x = f64([-3, -1, 0, 0.5, 2], [5]);
    // x·½(1 + erf(x/√2)) and ½x(1 + tanh(√(2/π)(x + 0.044715x³))) in float64 with CPython's math.erf and math.tanh.
    const exact = [-0.00404969409489031, -0.15865525393145707, 0, 0.34573123063700656, 1.9544997361036416];
    const approx = [-0.0036373920817729943, -0.15880800939172324, 0, 0.34571400982514394, 1.954597694087775];
    flat(gelu(x)).forEach((v, i) => expect(v).toBeCloseTo(exact[i], 13));
    flat(gelu(x, { approximate: "tanh" })).forEach((v, i) => expect(v).toBeCloseTo(approx[i], 13));
    expect(flat(gelu(x, { approximate: "none" }))).toEqual(flat(gelu(x)));
    expect(flat(rsqrt(f64([4, 0.25], [2])))).toEqual([0.5, 2]);
    expect(flat(erf(f64([1], [1])))[0]).toBeCloseTo(0.8427007929497149, 15);
    expect(errorCode(() => gelu(x, { approximate: "fast" as never }))).toBe("InvalidArgument");
    expect(errorCode(() => gelu(x, null as never))).toBe("InvalidArgument");
    expect(errorCode(() => relu(tensor([true])))).toBe("DTypeMismatch");
    expect(errorCode(() => abs("1" as never))).toBe("InvalidArgument");
    expect(relu(f64([], [0, 3])).shape).toEqual([0, 3]);
  });
});
