/**
 * The sorting-based ops, composed on the `argsort` primitive: sort, argsort, topk, median, and
 * searchsorted (a primitive of its own). Each finds its indices on the detached input and takes its values with `gather`, so
 * the gradient flows through the indices (gather's VJP is a scatter-add), as in PyTorch. Ties keep
 * their order (a stable sort) and NaN sorts above every number, as PyTorch's sort does.
 */
import { AdError, describe, expectBooleanOption, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { add, div, sub } from "../primitives/arithmetic.js";
import { isFloat } from "../dtype.js";
import { eq, gt, ne } from "../primitives/compare.js";
import { gather } from "../primitives/gather.js";
import { expectNumeric } from "../primitives/lift.js";
import { expectTensor, sum } from "../primitives/reduce.js";
import { maximum, minimum, where } from "../primitives/select.js";
import { reshape, slice, squeeze } from "../primitives/shape.js";
import { argsortP, searchsortedP } from "../primitives/sort.js";
import { bind } from "../primitive.js";
import { formatShape, normalizeAxis, type Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { ValuesIndices } from "../types.js";

export type { ValuesIndices };

/** Options of sort and argsort. */
export interface SortOptions {
  /** The axis to sort along: the last by default. */
  readonly axis?: number;
  /** Largest first (NaN first); ascending by default. */
  readonly descending?: boolean;
  /** Accepted for PyTorch's signature: the sort is always stable. */
  readonly stable?: boolean;
}

/** `axis` of x (the last by default), a scalar counting as one element along axis 0 or −1. */
function axisOf(op: string, x: Tensor, axis: unknown = -1): number {
  if (typeof axis !== "number") throw invalidArgument(op, `axis must be an integer, got ${describe(axis)}`, { argument: "axis", got: describe(axis) });
  return normalizeAxis(op, axis, Math.max(x.rank, 1));
}

/** `body` on x seen with at least one axis; a scalar's results come back as scalars. */
function onAxis(x: Tensor, body: (t: Tensor) => ValuesIndices): ValuesIndices {
  if (x.rank > 0) return body(x);
  const { values, indices } = body(reshape(x, [1]));
  return { values: reshape(values, []), indices: reshape(indices, []) };
}

function sortable(op: string, x: unknown): Tensor {
  const t = expectTensor(op, x);
  if (t.dtype === "bool") return t;
  return expectNumeric(op, t);
}

function argsortOf(x: Tensor, axis: number, descending: boolean): Tensor {
  return bind(argsortP, [x.detach()], { axis, descending });
}

function sortOptions(op: string, options: unknown): { descending: boolean; axis: unknown } {
  const o = expectOptions<SortOptions>(op, options, ["axis", "descending", "stable"]);
  expectBooleanOption(op, "stable", o.stable, true);
  return { axis: o.axis, descending: expectBooleanOption(op, "descending", o.descending, false) };
}

/**
 * x sorted along `axis` (the last by default) with the indices that sort it, as torch.sort: stable
 * (ties keep their order, ascending or descending), NaN last ascending and first descending.
 * The gradient of `values` goes back to where each value came from.
 */
export function sort<S extends Shape>(x: Tensor<S>, options?: SortOptions): ValuesIndices<S>;
export function sort(x: Tensor, options?: SortOptions): ValuesIndices {
  const op = "sort";
  const t = sortable(op, x);
  const { axis, descending } = sortOptions(op, options);
  const a = axisOf(op, t, axis);
  return onAxis(t, (u) => {
    const indices = argsortOf(u, a, descending);
    return { values: gather(u, a, indices), indices };
  });
}

/** The int32 indices that sort x along `axis` (sort's `indices`; no gradient). */
export function argsort<S extends Shape>(x: Tensor<S>, options?: SortOptions): Tensor<S>;
export function argsort(x: Tensor, options?: SortOptions): Tensor {
  const op = "argsort";
  const t = sortable(op, x);
  const { axis, descending } = sortOptions(op, options);
  const a = axisOf(op, t, axis);
  return onAxis(t, (u) => ({ values: u, indices: argsortOf(u, a, descending) })).indices;
}

/** Options of topk. */
export interface TopkOptions {
  /** The axis to pick along: the last by default. */
  readonly axis?: number;
  /** The k largest (the default; NaN counts as largest) or, when false, the k smallest. */
  readonly largest?: boolean;
  /** Accepted for PyTorch's signature: the results are always in order (largest first, or smallest first). */
  readonly sorted?: boolean;
}

/**
 * The k largest (or smallest) elements along `axis` with their int32 indices, in order. Among equal
 * values the earlier index comes first (PyTorch leaves the order of ties unspecified).
 */
export function topk(x: Tensor, k: number, options?: TopkOptions): ValuesIndices {
  const op = "topk";
  const t = sortable(op, x);
  const o = expectOptions<TopkOptions>(op, options, ["axis", "largest", "sorted"]);
  const largest = expectBooleanOption(op, "largest", o.largest, true);
  expectBooleanOption(op, "sorted", o.sorted, true);
  const a = axisOf(op, t, o.axis);
  const n = t.rank === 0 ? 1 : t.shape[a];
  expectInteger(op, "k", k, 0);
  if (k > n) throw invalidArgument(op, `k = ${k} is more than the ${n} elements along axis ${a} of shape ${formatShape(t.shape)}`, { k, shape: [...t.shape], axis: a });
  return onAxis(t, (u) => {
    const all = argsortOf(u, a, largest);
    const indices = slice(
      all,
      u.shape.map((_, i) => (i === a ? [0, k] : null)),
    );
    return { values: gather(u, a, indices), indices };
  });
}

/** Options of median along an axis. */
export interface MedianOptions {
  readonly axis?: number;
  readonly keepDims?: boolean;
}

/**
 * The median, as torch.median: of an even count the lower of the two middle values; NaN where a
 * NaN is present. Without `axis`, of all elements (a scalar tensor); with `axis`, `{ values,
 * indices }` along it (`keepDims` keeps it as size 1), the index being where the median came from
 * (the first NaN where there is one), and the gradient goes to that element. Without `axis` the
 * gradient is shared evenly among the elements equal to the median, as PyTorch's is.
 */
export function median(x: Tensor): Tensor;
export function median(x: Tensor, options: MedianOptions & { readonly axis: number }): ValuesIndices;
export function median(x: Tensor, options?: MedianOptions): Tensor | ValuesIndices;
export function median(x: Tensor, options?: MedianOptions): Tensor | ValuesIndices {
  const op = "median";
  const t = sortable(op, x);
  const o = expectOptions<MedianOptions>(op, options, ["axis", "keepDims"]);
  const keepDims = expectBooleanOption(op, "keepDims", o.keepDims, false);
  if (o.axis === undefined) {
    if (o.keepDims !== undefined) throw invalidArgument(op, "keepDims needs an axis", { argument: "keepDims" });
    if (t.size === 0) throw emptyMedian(t);
    return medianOfAll(t);
  }
  const a = axisOf(op, t, o.axis);
  if (t.rank > 0 && t.shape[a] === 0) throw emptyMedian(t);
  const r = onAxis(t, (u) => medianAlong(u, a));
  if (keepDims || t.rank === 0) return r;
  return { values: squeeze(r.values, a), indices: squeeze(r.indices, a) };
}

function emptyMedian(x: Tensor): AdError {
  return new AdError("ShapeMismatch", `median over an empty axis of shape ${formatShape(x.shape)} has no value`, { op: "median", shape: [...x.shape] });
}

/**
 * The median of all of x, with PyTorch's gradient for this form: shared evenly among the elements
 * equal to it (among the NaNs where it is NaN). m + Σ_tied (x − m) / k is m exactly, with that gradient.
 */
function medianOfAll(x: Tensor): Tensor {
  const m = reshape(medianAlong(reshape(x.detach(), [x.size]), 0).values, []);
  if (!isFloat(x.dtype)) return m;
  const xd = x.detach();
  const tied = maximum(eq(xd, m), minimum(ne(xd, xd), ne(m, m)));
  return add(m, div(sum(where(tied, sub(x, m), 0)), sum(tied)));
}

/** The median along `axis` of x (rank ≥ 1, that axis non-empty), kept as size 1. */
function medianAlong(x: Tensor, axis: number): ValuesIndices {
  const n = x.shape[axis];
  const order = argsortOf(x, axis, false);
  // NaNs sort last: the first of them sits at n − (their count); without NaN the lower middle, ⌊(n − 1)/2⌋.
  const nans = sum(ne(x.detach(), x.detach()), axis, true);
  const at = where(gt(nans, 0), sub(n, nans), (n - 1) >> 1);
  const indices = gather(order, axis, at);
  return { values: gather(x, axis, indices), indices };
}

/** Options of searchsorted. */
export interface SearchsortedOptions {
  /** The last place each value could go (after equal elements) instead of the first. */
  readonly right?: boolean;
}

/**
 * Where each of `values` would go in `sortedSequence` (sorted ascending along its last axis) to keep
 * it sorted, as int32 indices: the first such place, or the last with `right`. A 1-D sequence serves
 * values of any shape; otherwise the leading axes of both match and each row is searched for its
 * own values. NaN counts as above every number. A binary search per value (the `searchsorted`
 * primitive).
 */
export function searchsorted(sortedSequence: Tensor, values: Tensor, options?: SearchsortedOptions): Tensor {
  const op = "searchsorted";
  const s = sortable(op, sortedSequence);
  const v = sortable(op, values);
  const right = expectBooleanOption(op, "right", expectOptions<SearchsortedOptions>(op, options, ["right"]).right, false);
  if (s.rank === 0) throw invalidArgument(op, "sortedSequence must have at least one axis, got a scalar", { shape: [] });
  if (s.rank > 1) return bind(searchsortedP, [s.detach(), v.detach()], { right });
  // One sequence for every value: the values as one row, and back to their shape.
  return reshape(bind(searchsortedP, [s.detach(), reshape(v.detach(), [v.size])], { right }), v.shape);
}
