/**
 * The forward of an elementwise primitive: its op from the expression table (backends/expressions.ts)
 * run by the given backend (the inputs' device's, from `bind`) on the inputs as they are, and the fresh buffer wrapped as the tensor
 * its abstract rule describes. No JS function reaches the kernel, only the op's name.
 */
import type { Backend } from "../../backends/backend.js";
import type { BinaryOp, UnaryOp } from "../../backends/expressions.js";
import type { DType } from "../dtype.js";
import { broadcastShapes } from "../shape.js";
import { fromStorage, type Tensor } from "../tensor.js";

/** op(x) elementwise, in `dtype` (x's by default). */
export function unaryExpression(k: Backend, op: UnaryOp, x: Tensor, dtype: DType = x.dtype): Tensor {
  return fromStorage(k.unary(op, x, dtype), dtype, [...x.shape]);
}

/** op(a, b) elementwise over the broadcast of their shapes, in `dtype` (a's by default). */
export function binaryExpression(k: Backend, op: BinaryOp, a: Tensor, b: Tensor, dtype: DType = a.dtype): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  return fromStorage(k.binary(op, a, b, shape, dtype), dtype, shape);
}

/** cond ? a : b elementwise over the broadcast of all three, in a's dtype. */
export function whereExpression(k: Backend, cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, a.shape), b.shape);
  return fromStorage(k.where(cond, a, b, shape), a.dtype, shape);
}
