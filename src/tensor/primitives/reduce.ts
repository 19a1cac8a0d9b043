/**
 * Reductions over axes. Primitives: sum (with expand, its adjoint, and `sumTo`), max, min, prod,
 * cumsum, and their helpers `prodOthers` (each element's product of the rest of its group: prod's
 * derivative, correct at zeros) and `tieShare` (the constant weights that split max's/min's
 * cotangent evenly among tied extremes). Composed: mean. No gradient: argmax, argmin.
 */
import type { Extreme } from "../../backends/ops.js";
import { AdError, describe, invalidArgument } from "../../errors.js";
import { isFloat, isInteger } from "../dtype.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { broadcastAxes, expectAxisList, formatShape, normalizeAxis, sameShape, type Shape } from "../shape.js";
import { fromStorage, Tensor } from "../tensor.js";
import type { Reduced } from "../types.js";
import * as view from "../view.js";
import { add, div, mul, sub } from "./arithmetic.js";
import { countable, expectFloat, expectNumeric, eyeLike } from "./lift.js";
import { operands, permute, reshape, slice, unsqueeze } from "./shape.js";
import { sameRule } from "./rules.js";

export interface AxesParams {
  readonly axes: readonly number[];
  readonly keepDims: boolean;
}

/** The shape a reduction keeps, with size-1 axes where it reduced. */
function keptShape(shape: readonly number[], axes: readonly number[]): number[] {
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/** The axis order with the kept axes first and the reduced axes last. */
function groupOrder(rank: number, axes: readonly number[]): number[] {
  const kept = [];
  for (let i = 0; i < rank; i++) if (!axes.includes(i)) kept.push(i);
  return [...kept, ...axes];
}

function inverseOf(order: readonly number[]): number[] {
  const inverse = new Array<number>(order.length);
  order.forEach((a, i) => (inverse[a] = i));
  return inverse;
}

// ── sum ─────────────────────────────────────────────────────────────────────────────────────────

/** The abstract rule of a reduction over `axes` (normalised): the axes dropped, or kept as 1s. */
function reducedType(x: AbstractValue, { axes, keepDims }: AxesParams): AbstractValue {
  return { shape: keepDims ? x.shape.map((d, i) => (axes.includes(i) ? 1 : d)) : x.shape.filter((_, i) => !axes.includes(i)), dtype: x.dtype };
}

export const sumP: Primitive<AxesParams> = definePrimitive<AxesParams>("sum", {
  abstract: ([x], p) => reducedType(expectNumeric("sum", x), p),
  impl: ([x], p, k) => fromStorage(k.reduce("sum", x, p.axes, p.keepDims), x.dtype, reducedType(x, p).shape),
  // Each input element contributed once: the cotangent is broadcast back over the reduced axes.
  vjp: ({ cotangent: g, inputs: [x], params: { axes } }) => [expand(reshape(g, keptShape(x.shape, axes)), x.shape)],
  jvp: ({ tangents: [t], params }) => (t === null ? null : bind(sumP, [t], params)),
});

// ── expand, sum's adjoint ───────────────────────────────────────────────────────────────────────
// Here rather than with the other views in shape.ts: expand's VJP sums and sum's VJP expands, so
// two modules holding them would import each other (a run-time cycle).

export const expandP = definePrimitive<{ readonly shape: readonly number[] }>("expand", {
  abstract: ([x], { shape }) => ({ shape: view.expandedShape(x.shape, shape), dtype: x.dtype }),
  impl: ([x], { shape }) => view.expand(x, shape),
  vjp: ({ cotangent: g, inputs: [x] }) => [sumTo(g, x.shape)],
  jvp: ({ tangents: [t], output }) => (t === null ? null : expand(t, output.shape)),
});

/** Broadcasts to `shape` without copying. */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  const [t, s] = operands("expand", x, "shape", shape);
  return bind(expandP, [t], { shape: s });
}

/**
 * Sums `g` (of a shape `shape` was broadcast to) back down to `shape`: the engine's one
 * "unbroadcast", built from primitives so it is differentiable.
 */
export function sumTo(g: Tensor, shape: Shape): Tensor {
  if (sameShape(g.shape, shape)) return g;
  const axes = broadcastAxes("sumTo", shape, g.shape);
  return reshape(sum(g, axes), shape);
}

// ── max, min ────────────────────────────────────────────────────────────────────────────────────

/**
 * 1/k at the k elements of each group equal to its max (min), 0 elsewhere: how max's cotangent is
 * shared among ties (the scalar ½/½ rule generalised). Piecewise constant, so its derivative is zero
 * (as floor's is). It is applied to detached inputs, but a trace does not record `detach`, so a
 * jitted derivative of max replayed under grad or jvp reaches it with a tangent: the zero rules.
 */
export const tieShareP = definePrimitive<{ readonly axes: readonly number[]; readonly extreme: Extreme }>("tieShare", {
  abstract: sameRule,
  impl: ([x], { axes, extreme }, k) => fromStorage(k.tieShare(x, axes, extreme), x.dtype, [...x.shape]),
  vjp: () => [null],
  jvp: () => null,
});

function tieShare(x: Tensor, axes: readonly number[], extreme: Extreme): Tensor {
  return bind(tieShareP, [x.detach()], { axes, extreme });
}

function extremePrimitive(extreme: Extreme): Primitive<AxesParams> {
  const prim: Primitive<AxesParams> = definePrimitive<AxesParams>(extreme, {
    abstract: ([x], p) => reducedType(x, p),
    impl: ([x], p, k) => fromStorage(k.reduce(extreme, x, p.axes, p.keepDims), x.dtype, reducedType(x, p).shape),
    // ∂max/∂xᵢ = 1/k at the k tied maxima, 0 elsewhere.
    vjp: ({ cotangent: g, inputs: [x], params: { axes } }) => [mul(reshape(g, keptShape(x.shape, axes)), tieShare(x, axes, extreme))],
    jvp: ({ tangents: [t], inputs: [x], params }) => (t === null ? null : bind(sumP, [mul(t, tieShare(x, params.axes, extreme))], params)),
  });
  return prim;
}

export const maxP = extremePrimitive("max");
export const minP = extremePrimitive("min");

// ── prod ────────────────────────────────────────────────────────────────────────────────────────

/** Πⱼ≠ᵢ xⱼ over each group of `axes`, from prefix and suffix products (no division, exact at zeros). */
export const prodOthersP: Primitive<{ readonly axes: readonly number[] }> = definePrimitive<{ readonly axes: readonly number[] }>("prodOthers", {
  abstract: ([x]) => expectFloat("prodOthers", x),
  impl: ([x], { axes }, k) => fromStorage(k.prodOthers(x, axes), x.dtype, [...x.shape]),
  vjp: ({ cotangent: g, inputs: [x], params: { axes } }) => {
    const pairs = pairProducts(x, axes);
    return [ungroup(sum(mul(unsqueeze(group(g, axes), -1), pairs.others), -2), x.shape, axes)];
  },
  jvp: ({ tangents: [t], inputs: [x], params: { axes } }) => {
    if (t === null) return null;
    const pairs = pairProducts(x, axes);
    return ungroup(sum(mul(unsqueeze(group(t, axes), -2), pairs.others), -1), x.shape, axes);
  },
});

/** x with the kept axes first and the reduced axes flattened into one last axis. */
function group(x: Tensor, axes: readonly number[]): Tensor {
  const order = groupOrder(x.rank, axes);
  const keptDims = order.slice(0, x.rank - axes.length).map((a) => x.shape[a]);
  return reshape(permute(x, order), [...keptDims, axes.reduce((n, a) => n * x.shape[a], 1)]);
}

/** The inverse of `group` for a tensor of `shape`. */
function ungroup(r: Tensor, shape: readonly number[], axes: readonly number[]): Tensor {
  const order = groupOrder(shape.length, axes);
  return permute(
    reshape(
      r,
      order.map((a) => shape[a]),
    ),
    inverseOf(order),
  );
}

/**
 * For each group flattened to n elements: [..., i, k] = Πⱼ∉{i,k} xⱼ for i ≠ k and 0 on the diagonal,
 * as prodOthers of the matrix whose row i is x with xᵢ replaced by 1 (so it nests to any order).
 */
function pairProducts(x: Tensor, axes: readonly number[]): { others: Tensor } {
  const xr = group(x, axes);
  const n = xr.shape[xr.rank - 1];
  const identity = eyeLike(x, n);
  const offDiagonal = sub(1, identity);
  const rows = add(mul(expand(unsqueeze(xr, -2), [...xr.shape.slice(0, -1), n, n]), offDiagonal), identity);
  return { others: mul(bind(prodOthersP, [rows], { axes: [rows.rank - 1] }), offDiagonal) };
}

export const prodP: Primitive<AxesParams> = definePrimitive<AxesParams>("prod", {
  abstract: ([x], p) => reducedType(expectNumeric("prod", x), p),
  impl: ([x], p, k) => fromStorage(k.reduce("prod", x, p.axes, p.keepDims), x.dtype, reducedType(x, p).shape),
  // ∂(Π xⱼ)/∂xᵢ = Πⱼ≠ᵢ xⱼ
  vjp: ({ cotangent: g, inputs: [x], params: { axes } }) => [mul(reshape(g, keptShape(x.shape, axes)), bind(prodOthersP, [x], { axes }))],
  jvp: ({ tangents: [t], inputs: [x], params }) => (t === null ? null : bind(sumP, [mul(t, bind(prodOthersP, [x], { axes: params.axes }))], params)),
});

// ── cumsum ──────────────────────────────────────────────────────────────────────────────────────

/** Reverses `x` along `axis` (a view: slice with step −1). */
function flip(x: Tensor, axis: number): Tensor {
  return slice(
    x,
    x.shape.map((_, i) => (i === axis ? [null, null, -1] : null)),
  );
}

export const cumsumP: Primitive<{ readonly axis: number }> = definePrimitive<{ readonly axis: number }>("cumsum", {
  abstract: ([x]) => expectNumeric("cumsum", x),
  impl: ([x], { axis }, k) => fromStorage(k.cumsum(x, axis), x.dtype, [...x.shape]),
  vjp: ({ cotangent: g, params: { axis } }) => [flip(bind(cumsumP, [flip(g, axis)], { axis }), axis)],
  jvp: ({ tangents: [t], params }) => (t === null ? null : bind(cumsumP, [t], params)),
});

// ── argmax, argmin ──────────────────────────────────────────────────────────────────────────────

/** The index of the first max (min) along one axis, as int32; NaN counts as the extreme, as in NumPy. */
export const argExtremeP = definePrimitive<{ readonly axes: readonly number[]; readonly keepDims: boolean; readonly extreme: Extreme }>("argExtreme", {
  abstract: ([x], p) => ({ shape: reducedType(x, p).shape, dtype: "int32" }),
  impl: ([x], { axes, keepDims, extreme }, k) => fromStorage(k.argExtreme(x, axes, extreme), "int32", [...reducedType(x, { axes, keepDims }).shape]),
});

// ── public API ──────────────────────────────────────────────────────────────────────────────────

export function axesOf(op: string, x: Tensor, axis: number | readonly number[] | undefined): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list = typeof axis === "number" ? [axis] : axis;
  expectAxisList(op, "axis", list);
  const axes = list.map((a) => normalizeAxis(op, a, x.rank));
  if (new Set(axes).size !== axes.length) throw invalidArgument(op, `axis [${list.join(", ")}] repeats an axis`, { axis: [...list] });
  return axes.sort((a, b) => a - b);
}

export function expectTensor(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  return x;
}

export function expectKeepDims(op: string, keepDims: unknown): boolean {
  if (typeof keepDims !== "boolean") throw invalidArgument(op, `keepDims must be a boolean, got ${describe(keepDims)}`, { argument: "keepDims", got: describe(keepDims) });
  return keepDims;
}

/** Numbers to compare: a float or integer tensor, or bool where `bools` (max and min of a mask, as in PyTorch). */
function expectOrdered(op: string, x: Tensor, bools = false): Tensor {
  if (!isFloat(x.dtype) && !isInteger(x.dtype) && !(bools && x.dtype === "bool"))
    throw new AdError("DTypeMismatch", `${op} needs a float or integer tensor, got ${x.dtype}`, { op, dtype: x.dtype });
  return x;
}

/** An extreme over no elements has no value (NumPy and PyTorch refuse it too). */
function expectNonEmpty(op: string, x: Tensor, axes: readonly number[]): void {
  if (axes.some((a) => x.shape[a] === 0)) {
    throw new AdError("ShapeMismatch", `${op} over an empty axis of shape ${formatShape(x.shape)} has no value`, { op, shape: [...x.shape], axes: [...axes] });
  }
}

/**
 * Σ over `axis` (all axes by default); `keepDims` keeps them with size 1. An int32 sum is int32 (and
 * bool counts as int32), wrapping modulo 2³² past its range; PyTorch sums ints to int64.
 */
export function sum<S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  keepDims?: K,
): Tensor<Reduced<S, A, K>>;
export function sum(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = countable(expectTensor("sum", x));
  return bind(sumP, [t], { axes: axesOf("sum", t, axis), keepDims: keepDims === true });
}

/** The mean over `axis` (all axes by default) of a float tensor, as PyTorch's. An empty reduction is NaN, as in NumPy. */
export function mean<S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  keepDims?: K,
): Tensor<Reduced<S, A, K>>;
export function mean(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = expectFloat("mean", expectTensor("mean", x));
  const axes = axesOf("mean", t, axis);
  let count = 1;
  for (const a of axes) count *= t.shape[a];
  if (!Number.isFinite(count)) throw new AdError("InvalidArgument", "mean over too many elements", { op: "mean" });
  return div(sum(t, axes, keepDims), count);
}

function extreme(prim: Primitive<AxesParams>, x: unknown, axis: number | readonly number[] | undefined, keepDims: unknown): Tensor {
  const op = prim.name;
  const t = expectOrdered(op, expectTensor(op, x), true);
  const axes = axesOf(op, t, axis);
  expectNonEmpty(op, t, axes);
  return bind(prim, [t], { axes, keepDims: expectKeepDims(op, keepDims) });
}

/** The largest element over `axis` (all axes by default). Its gradient is shared evenly among ties. */
export function max<S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  keepDims?: K,
): Tensor<Reduced<S, A, K>>;
export function max(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  return extreme(maxP, x, axis, keepDims);
}

/** The smallest element over `axis` (all axes by default). Its gradient is shared evenly among ties. */
export function min<S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  keepDims?: K,
): Tensor<Reduced<S, A, K>>;
export function min(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  return extreme(minP, x, axis, keepDims);
}

/**
 * Π over `axis` (all axes by default); the gradient is the product of the others, exact at zeros.
 * An int32 (or bool) product is int32, exact while it fits; past int32's range it is unspecified.
 */
export function prod<S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  keepDims?: K,
): Tensor<Reduced<S, A, K>>;
export function prod(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const t = countable(expectTensor("prod", x));
  return bind(prodP, [t], { axes: axesOf("prod", t, axis), keepDims: expectKeepDims("prod", keepDims) });
}

/** Running sums along `axis`: yᵢ = Σⱼ≤ᵢ xⱼ; int32 (and bool) in int32, wrapping as sum does. */
export function cumsum<S extends Shape>(x: Tensor<S>, axis: number): Tensor<S>;
export function cumsum(x: Tensor, axis: number): Tensor {
  const t = countable(expectTensor("cumsum", x));
  return bind(cumsumP, [t], { axis: normalizeAxis("cumsum", axis, t.rank) });
}

function argExtreme(op: string, extreme: Extreme, x: unknown, axis: unknown, keepDims: unknown): Tensor {
  const t = expectOrdered(op, expectTensor(op, x));
  if (axis !== undefined && typeof axis !== "number") throw invalidArgument(op, `axis must be an integer or undefined, got ${describe(axis)}`, { axis: describe(axis) });
  const axes = axesOf(op, t, axis);
  expectNonEmpty(op, t, axes);
  return bind(argExtremeP, [t.detach()], { axes, keepDims: expectKeepDims(op, keepDims), extreme });
}

/** The index of the first largest element along `axis` (of the flattened tensor by default), int32, no gradient. */
export function argmax<S extends Shape, const A extends number | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  keepDims?: K,
): Tensor<Reduced<S, A, K>>;
export function argmax(x: Tensor, axis?: number, keepDims = false): Tensor {
  return argExtreme("argmax", "max", x, axis, keepDims);
}

/** The index of the first smallest element along `axis` (of the flattened tensor by default), int32, no gradient. */
export function argmin<S extends Shape, const A extends number | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  keepDims?: K,
): Tensor<Reduced<S, A, K>>;
export function argmin(x: Tensor, axis?: number, keepDims = false): Tensor {
  return argExtreme("argmin", "min", x, axis, keepDims);
}
