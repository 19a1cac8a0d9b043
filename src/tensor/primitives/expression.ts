/**
 * The forward of an elementwise primitive: its op from the expression table (backends/expressions.ts)
 * run by the backend in use on the inputs as they are, and the fresh buffer wrapped as the tensor
 * its abstract rule describes. No JS function reaches the kernel, only the op's name.
 */
import { kernels } from "../../backends/backend.js";
import type { BinaryOp, UnaryOp } from "../../backends/expressions.js";
import type { DType } from "../dtype.js";
import { broadcastShapes } from "../shape.js";
import { fromStorage, type Tensor } from "../tensor.js";

/** op(x) elementwise, in `dtype` (x's by default). */
export function unaryExpression(op: UnaryOp, x: Tensor, dtype: DType = x.dtype): Tensor {
  return fromStorage(kernels().unary(op, x, dtype), dtype, [...x.shape]);
}

/** op(a, b) elementwise over the broadcast of their shapes, in `dtype` (a's by default). */
export function binaryExpression(op: BinaryOp, a: Tensor, b: Tensor, dtype: DType = a.dtype): Tensor {
  const shape = broadcastShapes(op, a.shape, b.shape);
  return fromStorage(kernels().binary(op, a, b, shape, dtype), dtype, shape);
}

/** cond ? a : b elementwise over the broadcast of all three, in a's dtype. */
export function whereExpression(cond: Tensor, a: Tensor, b: Tensor): Tensor {
  const shape = broadcastShapes("where", broadcastShapes("where", cond.shape, a.shape), b.shape);
  return fromStorage(kernels().where(cond, a, b, shape), a.dtype, shape);
}
