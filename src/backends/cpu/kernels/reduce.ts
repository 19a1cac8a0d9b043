/**
 * Reference reductions over a set of axes: the input is viewed with the kept axes first and the
 * reduced axes last, read once in that order, and each run of `inner` consecutive elements folds
 * into one output element. Also `reduceToShape`, the one "unbroadcast" the autograd engine uses to
 * bring a cotangent back to an input's shape.
 */
import { AdError } from "../../../errors.js";
import { allocate, type DType } from "../../../tensor/dtype.js";
import { formatShape, type Shape } from "../../../tensor/shape.js";
import { fromStorage, type Tensor } from "../../../tensor/tensor.js";
import { permute, reshape } from "../../../tensor/view.js";

export interface Fold {
  /** The value of an empty reduction (0 for sum, 1 for prod, −∞ for max, …). */
  readonly init: number;
  readonly step: (acc: number, x: number) => number;
  /** Applied to the folded value with the count of reduced elements (mean divides by it). */
  readonly finish?: (acc: number, count: number) => number;
}

/** Folds `t` over `axes` (already normalised, distinct); the result keeps size-1 axes if `keepDims`. */
export function reduceAxes(t: Tensor, axes: readonly number[], fold: Fold, keepDims: boolean, dtype: DType = t.dtype): Tensor {
  const reduced = new Set(axes);
  const kept = t.shape.map((_, i) => i).filter((i) => !reduced.has(i));
  const order = [...kept, ...axes];
  const flat = permute(t, order).data();
  let inner = 1;
  for (const a of axes) inner *= t.shape[a];
  let outer = 1;
  for (const a of kept) outer *= t.shape[a];
  const out = allocate(dtype, outer);
  for (let o = 0, base = 0; o < outer; o++, base += inner) {
    let acc = fold.init;
    for (let i = 0; i < inner; i++) acc = fold.step(acc, flat[base + i]);
    out[o] = fold.finish === undefined ? acc : fold.finish(acc, inner);
  }
  const shape = keepDims ? t.shape.map((d, i) => (reduced.has(i) ? 1 : d)) : kept.map((i) => t.shape[i]);
  return fromStorage(out, dtype, shape);
}

export const SUM: Fold = { init: 0, step: (acc, x) => acc + x };

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
