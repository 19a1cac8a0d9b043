/**
 * Reference reductions over a set of axes: the input is read once in its own order, each element
 * folded into the accumulator of its output position. Also `reduceToShape`, the one "unbroadcast"
 * the autograd engine uses to bring a cotangent back to an input's shape.
 */
import { AdError } from "../../../errors.js";
import { allocate, type DType } from "../../dtype.js";
import { contiguousStrides, formatShape, sizeOf, type Shape } from "../../shape.js";
import { fromStorage, type Tensor } from "../../../tensor/tensor.js";
import { reshape } from "../../../tensor/view.js";
import { SUM, type Fold } from "./fold.js";
import { collapse } from "./strided.js";

/**
 * Folds `t` over `axes` (already normalised, distinct); the result keeps size-1 axes if `keepDims`.
 * t is read once in its own order (no transposed copy); each output element accumulates in float64
 * and is rounded to `dtype` once at the end, so float32 sums lose no precision along the way.
 */
export function reduceAxes(t: Tensor, axes: readonly number[], fold: Fold, keepDims: boolean, dtype: DType = t.dtype): Tensor {
  const reduced = new Set(axes);
  const keptShape = t.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const accStrides = contiguousStrides(keptShape).map((s, i) => (reduced.has(i) ? 0 : s));
  const acc = new Float64Array(sizeOf(keptShape)).fill(fold.init);
  if (t.size > 0) {
    const walk = collapse(t.shape, [t.strides, accStrides]);
    fold.loop()(walk.shape, t.storage, t.offset, walk.strides[0], acc, walk.strides[1]);
  }
  const out = allocate(dtype, acc.length);
  out.set(acc);
  const shape = keepDims ? keptShape : t.shape.filter((_, i) => !reduced.has(i));
  return fromStorage(out, dtype, shape);
}

/**
 * The axes along which `from` was broadcast to get `to`: the leading axes `to` has in addition, and
 * the axes where `from` has size 1 and `to` does not. Summing a cotangent of shape `to` over them
 * (and reshaping) gives the cotangent of the input of shape `from`.
 */
export function broadcastAxes(op: string, from: Shape, to: Shape): number[] {
  const lead = to.length - from.length;
  if (lead < 0) throw new AdError("ShapeMismatch", `${formatShape(from)} is not broadcast to ${formatShape(to)}`, { op, from: [...from], to: [...to] });
  const axes: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (i < lead) axes.push(i);
    else if (from[i - lead] !== to[i]) {
      if (from[i - lead] !== 1) throw new AdError("ShapeMismatch", `${formatShape(from)} is not broadcast to ${formatShape(to)}`, { op, from: [...from], to: [...to] });
      axes.push(i);
    }
  }
  return axes;
}

/** Sums `t` (of a broadcast shape) back down to `shape`. */
export function reduceToShape(op: string, t: Tensor, shape: Shape): Tensor {
  const axes = broadcastAxes(op, shape, t.shape);
  if (axes.length === 0) return t;
  return reshape(reduceAxes(t, axes, SUM, false), shape);
}
