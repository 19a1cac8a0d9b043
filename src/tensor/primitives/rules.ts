/**
 * The common shapes of abstract rules (output shape and dtype from the inputs'), named once as the
 * derivative rules' shapes are: the elementwise broadcast of two operands, and "same as the input".
 */
import type { DType } from "../dtype.js";
import type { AbstractValue } from "../primitive.js";
import { broadcastShapes } from "../shape.js";

/** Two operands broadcast NumPy-style (`ShapeMismatch` naming `op`), in `dtype` or the first's. */
export function broadcastRule(op: string, dtype?: DType): (inputs: readonly AbstractValue[]) => AbstractValue {
  return ([a, b]) => ({ shape: broadcastShapes(op, a.shape, b.shape), dtype: dtype ?? a.dtype });
}

/** The output has the input's shape and dtype (the input itself describes it: nothing allocated). */
export function sameRule([x]: readonly AbstractValue[]): AbstractValue {
  return x;
}
