/**
 * Folds: a reduction's value for an empty group and its step, with the loop that applies the step
 * along strided rows compiled once per fold (see specialize.ts).
 */
import type { ReduceOp } from "../../ops.js";
import { specialize } from "./specialize.js";
import { rowCount as rowCounter, rowOffset } from "./strided.js";

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

export const SUM: Fold = defineFold(0, (acc, x) => acc + x);
// NaN wins, as in NumPy and PyTorch.
export const MAX: Fold = defineFold(-Infinity, (acc, v) => (v > acc || v !== v ? v : acc));
export const MIN: Fold = defineFold(Infinity, (acc, v) => (v < acc || v !== v ? v : acc));
export const PROD: Fold = defineFold(1, (acc, v) => acc * v);
// An int32 product wraps modulo 2³² at every step (as PyTorch's), where the double would round past 2⁵³.
export const PROD_INT32: Fold = defineFold(1, (acc, v) => Math.imul(acc, v));

/** The fold of each reduction the backends offer by name. */
export const FOLDS: Record<ReduceOp, Fold> = { sum: SUM, max: MAX, min: MIN, prod: PROD };
