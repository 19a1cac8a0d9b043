/** Operand handling shared by the primitive families: numbers become rank-0 tensors of the partner's dtype. */
import { AdError, describe, invalidArgument } from "../../errors.js";
import { allocate, coerce, isFloat } from "../dtype.js";
import { fromStorage, Tensor } from "../tensor.js";

/** A tensor or a plain number (a constant of the other operand's dtype). */
export type TensorLike = Tensor | number;

export function lift(op: string, x: unknown, like: Tensor | undefined, argument: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number") {
    const dtype = like?.dtype ?? "float32";
    const storage = allocate(dtype, 1);
    storage[0] = coerce(dtype, x);
    return fromStorage(storage, dtype, []);
  }
  throw invalidArgument(op, `${argument} must be a Tensor or a number, got ${describe(x)}`, { argument, got: describe(x) });
}

/** Both operands as tensors of one dtype (a number takes the tensor's dtype). */
export function liftPair(op: string, a: unknown, b: unknown): [Tensor, Tensor] {
  const ta = lift(op, a, b instanceof Tensor ? b : undefined, "a");
  const tb = lift(op, b, ta, "b");
  if (ta.dtype !== tb.dtype) {
    throw new AdError("DTypeMismatch", `operands have dtypes ${ta.dtype} and ${tb.dtype}; cast one first`, { op, dtypes: [ta.dtype, tb.dtype] });
  }
  return [ta, tb];
}

/** Differentiable ops need float inputs. */
export function expectFloat(op: string, t: Tensor): Tensor {
  if (!isFloat(t.dtype)) throw new AdError("DTypeMismatch", `${op} needs a float tensor, got ${t.dtype}`, { op, dtype: t.dtype });
  return t;
}

/** Zeros of `like`'s shape and dtype (the tangent of something that does not depend on the inputs). */
export function zerosLike(like: Tensor): Tensor {
  return fromStorage(allocate(like.dtype, like.size), like.dtype, [...like.shape]);
}
