/**
 * The kernels of the reduction primitives: each is its reference kernel, offered first by op name
 * to the backend in use, which either computes it or declines (undefined). The cpu backend declines
 * all of them, so it runs the reference kernels alone.
 */
import { kernels } from "./backend.js";
import type { Fold } from "./cpu/kernels/fold.js";
import { reduceAxes } from "./cpu/kernels/reduce.js";
import type { ReduceOp } from "./ops.js";
import type { Tensor } from "../tensor/tensor.js";

/** The fold of x over `axes` (normalised, sorted), as `reduceAxes`. */
export function reduceOp(op: ReduceOp, fold: Fold): (x: Tensor, axes: readonly number[], keepDims: boolean) => Tensor {
  return (x, axes, keepDims) => kernels().reduce(op, x, axes, keepDims) ?? reduceAxes(x, axes, fold, keepDims);
}
