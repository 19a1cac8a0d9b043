/**
 * The kernels of the elementwise and reduction primitives: each is its reference kernel, offered
 * first by op name to the backend in use, which either computes it or declines (undefined). This
 * is the one place the primitives meet the backends for these ops; the cpu backend declines all of
 * them, so it runs the reference kernels alone.
 */
import { kernels } from "./backend.js";
import { binaryKernel, unaryKernel } from "./cpu/kernels/elementwise.js";
import type { BinaryOp, UnaryOp } from "./ops.js";
import type { Tensor } from "../tensor/tensor.js";

/** y = f(x) elementwise, in x's dtype. */
export function unaryOp(op: UnaryOp, f: (x: number) => number): (x: Tensor) => Tensor {
  const reference = unaryKernel(f);
  return (x) => kernels().unary(op, x) ?? reference(x);
}

/** z = f(a, b) elementwise with broadcasting (`ShapeMismatch` naming `op` if the shapes do not), in a's dtype. */
export function binaryOp(op: BinaryOp, f: (x: number, y: number) => number): (a: Tensor, b: Tensor) => Tensor {
  const reference = binaryKernel(f);
  return (a, b) => kernels().binary(op, a, b) ?? reference(op, a, b);
}
