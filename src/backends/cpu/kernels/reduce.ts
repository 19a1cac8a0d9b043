/**
 * Reference reductions over a set of axes: the input is read once in its own order, each element
 * folded into the accumulator of its output position.
 */
import { allocate, type DType, type Storage } from "../../dtype.js";
import { hostStorage } from "../../buffer.js";
import type { ReduceOp } from "../../ops.js";
import { contiguousStrides, sizeOf } from "../../shape.js";
import type { View } from "../../view.js";
import { FOLDS, type Fold, PROD_INT32 } from "./fold.js";
import { collapse } from "./strided.js";

/**
 * Folds `x` over `axes` (already normalised, distinct) into a new row-major buffer of the kept axes.
 * x is read once in its own order (no transposed copy); each output element accumulates in float64
 * and is rounded to `dtype` once at the end, so float32 sums lose no precision along the way.
 */
export function reduceAxes(x: View, axes: readonly number[], fold: Fold, dtype: DType = x.dtype): Storage {
  const reduced = new Set(axes);
  const keptShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const accStrides = contiguousStrides(keptShape).map((s, i) => (reduced.has(i) ? 0 : s));
  // The scratch comes from `allocate` too, so the allocation counter sees it and a jitted run recycles it.
  const acc = allocate("float64", sizeOf(keptShape)).fill(fold.init);
  if (sizeOf(x.shape) > 0) {
    const walk = collapse(x.shape, [x.strides, accStrides]);
    fold.loop()(walk.shape, hostStorage(x, "reduce"), x.offset, walk.strides[0], acc, walk.strides[1]);
  }
  const out = allocate(dtype, acc.length);
  out.set(acc);
  return out;
}

/**
 * The reduction `op` of x over `axes` (normalised, sorted), row-major; `keepDims` only decides the
 * shape the caller gives the result, which holds the same elements either way.
 */
export function reduce(op: ReduceOp, x: View, axes: readonly number[], _keepDims: boolean, dtype: DType = x.dtype): Storage {
  return reduceAxes(x, axes, op === "prod" && dtype === "int32" ? PROD_INT32 : FOLDS[op], dtype);
}
