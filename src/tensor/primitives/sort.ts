/**
 * The sorting primitives: `argsort` (the stable permutation that sorts along an axis),
 * `cumArgExtreme` (the index of each position's running max or min) and `searchsorted` (insertion
 * points by binary search). All give int32 indices and are constant (no derivative rules): the ops built on them (sort, topk, median, cummax …) take
 * their values with `gather`, so gradients flow through the indices as gather's scatter-add.
 */
import type { Extreme } from "../../backends/ops.js";
import { AdError } from "../../errors.js";
import { isFloat } from "../dtype.js";
import { definePrimitive, type AbstractValue } from "../primitive.js";
import { formatShape } from "../shape.js";
import { fromStorage } from "../tensor.js";

/** Values with an order: float, int32 or bool (as PyTorch sorts all three). */
function expectSortable<T extends AbstractValue>(op: string, x: T): T {
  if (!isFloat(x.dtype) && x.dtype !== "int32" && x.dtype !== "bool")
    throw new AdError("DTypeMismatch", `${op} needs a float, int32 or bool tensor, got ${x.dtype}`, { op, dtype: x.dtype });
  return x;
}

export interface ArgsortParams {
  readonly axis: number;
  readonly descending: boolean;
}

/** Stable: ties keep their order; NaN sorts above every number (last ascending, first descending). */
export const argsortP = definePrimitive<ArgsortParams>("argsort", {
  abstract: ([x]) => ({ shape: expectSortable("argsort", x).shape, dtype: "int32" }),
  impl: ([x], { axis, descending }, k) => fromStorage(k.argsort(x, axis, descending), "int32", [...x.shape]),
});

export interface CumArgExtremeParams {
  readonly axis: number;
  readonly extreme: Extreme;
}

/** As torch.cummax's indices: a tie moves to the later element; a NaN takes the index and keeps it. */
export const cumArgExtremeP = definePrimitive<CumArgExtremeParams>("cumArgExtreme", {
  abstract: ([x]) => ({ shape: expectSortable("cumArgExtreme", x).shape, dtype: "int32" }),
  impl: ([x], { axis, extreme }, k) => fromStorage(k.cumArgExtreme(x, axis, extreme), "int32", [...x.shape]),
});

/**
 * For values [..., m] and sorted [..., n] with the same leading axes: how many of the row's sorted
 * elements come before each value (or, with `right`, before or equal), NaN above every number.
 */
export const searchsortedP = definePrimitive<{ readonly right: boolean }>("searchsorted", {
  abstract: ([sorted, values]) => {
    const op = "searchsorted";
    expectSortable(op, sorted);
    expectSortable(op, values);
    const rank = sorted.shape.length;
    if (rank === 0 || values.shape.length !== rank || values.shape.some((d, i) => i < rank - 1 && d !== sorted.shape[i])) {
      throw new AdError("ShapeMismatch", `values of shape ${formatShape(values.shape)} do not match sortedSequence of shape ${formatShape(sorted.shape)} on its leading axes`, {
        op,
        shapes: [[...sorted.shape], [...values.shape]],
      });
    }
    return { shape: values.shape, dtype: "int32" };
  },
  impl: ([sorted, values], { right }, k) => fromStorage(k.searchsorted(sorted, values, right), "int32", [...values.shape]),
});
