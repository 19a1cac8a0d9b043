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
import { specialize } from "./specialize.js";
import { collapse, rowCount as rowCounter, rowOffset } from "./strided.js";

type Step = (acc: number, x: number) => number;

/** A reduction: its value for an empty group and its step, with the loop compiled for that step. */
export interface Fold {
  /** The value of an empty reduction (0 for sum, 1 for prod, −∞ for max, …). */
  readonly init: number;
  readonly step: Step;
  /** The loop with `step` inlined, made at first use (folds are defined while modules load). */
  loop(): FoldLoop;
}

type FoldLoop = (shape: readonly number[], x: ArrayLike<number>, xo: number, xs: readonly number[], acc: Float64Array, as: readonly number[]) => void;

/**
 * acc[a] = step(acc[a], x[o]) for every element of x, walking x in row-major order and acc at the
 * matching output position (stride 0 along reduced axes). Self-contained (see specialize.ts).
 */
const foldLoop =
  (step: Step, offsetOf: typeof rowOffset, rowCount: typeof rowCounter): FoldLoop =>
  (shape, x, xo, xs, acc, as) => {
    const last = shape.length - 1;
    const inner = shape[last];
    const sx = xs[last];
    const sa = as[last];
    const rows = rowCount(shape);
    for (let r = 0; r < rows; r++) {
      let o = offsetOf(shape, xs, xo, r);
      let a = offsetOf(shape, as, 0, r);
      if (sa === 0) {
        // Reducing along the run: accumulate in a register, one store per run.
        let v = acc[a];
        for (let i = 0; i < inner; i++, o += sx) v = step(v, x[o]);
        acc[a] = v;
      } else for (let i = 0; i < inner; i++, o += sx, a += sa) acc[a] = step(acc[a], x[o]);
    }
  };

export function defineFold(init: number, step: Step): Fold {
  let loop: FoldLoop | undefined;
  return { init, step, loop: () => (loop ??= specialize(foldLoop, `fold ${String(step)}`)(step, rowOffset, rowCounter)) };
}

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

export const SUM: Fold = defineFold(0, (acc, x) => acc + x);

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
