/**
 * Operand handling shared by the primitive families: operands meet at their promoted dtype
 * (dtype.ts `resultType`), numbers become rank-0 constants of it.
 */
import { AdError, describe, invalidArgument } from "../../errors.js";
import { host } from "../../backends/device.js";
import { constant, eye, full, placed } from "../creation.js";
import { allocate, type DType, isFloat, resultType, weakResultType } from "../dtype.js";
import { Tensor } from "../tensor.js";
import { cast } from "./cast.js";

/** A tensor or a plain number (a weakly typed constant: see dtype.ts `weakResultType`). */
export type TensorLike = Tensor | number;

export function lift(op: string, x: unknown, like: Tensor | undefined, argument: string): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === "number") {
    const dtype = like === undefined ? "float32" : weakResultType(like.dtype, x);
    return constant(x, dtype, like?.device ?? host);
  }
  throw invalidArgument(op, `${argument} must be a Tensor or a number, got ${describe(x)}`, { argument, got: describe(x) });
}

/**
 * Both operands as tensors of their promoted dtype. A tensor that has to rise is cast (a
 * differentiable cast: the cotangent flows back to a float input and stops at an int or bool one);
 * operands that already match pass through untouched.
 */
export function liftPair(op: string, a: unknown, b: unknown): [Tensor, Tensor] {
  const ta = lift(op, a, b instanceof Tensor ? b : undefined, "a");
  const tb = lift(op, b, ta, "b");
  if (ta.dtype === tb.dtype) return [ta, tb];
  const dtype = resultType(ta.dtype, tb.dtype);
  return [promote(ta, dtype), promote(tb, dtype)];
}

/** x in `dtype` (a promotion target at or above x's dtype): x itself when it is already there. */
export function promote(x: Tensor, dtype: DType): Tensor {
  return x.dtype === dtype ? x : cast(x, dtype);
}

/** Both operands promoted, then raised to float32 if they are int32 or bool (true division's rule). */
export function liftFloatPair(op: string, a: unknown, b: unknown): [Tensor, Tensor] {
  const [ta, tb] = liftPair(op, a, b);
  return isFloat(ta.dtype) ? [ta, tb] : [cast(ta, "float32"), cast(tb, "float32")];
}

/** Differentiable ops need float inputs. */
export function expectFloat<T extends { readonly dtype: DType }>(op: string, t: T): T {
  if (!isFloat(t.dtype)) throw new AdError("DTypeMismatch", `${op} needs a float tensor, got ${t.dtype}`, { op, dtype: t.dtype });
  return t;
}

/**
 * x as a float: int32 and bool are cast to float32 (no gradient reaches them), as PyTorch's
 * elementwise float functions (exp, log, sin, …) promote their integer inputs.
 */
export function asFloat(x: Tensor): Tensor {
  return isFloat(x.dtype) ? x : cast(x, "float32");
}

/** Ops with PyTorch's integer semantics take int32 (and floats) but not bool, as PyTorch does. */
export function expectNumeric<T extends { readonly dtype: DType }>(op: string, t: T): T {
  if (t.dtype === "bool") throw new AdError("DTypeMismatch", `${op} needs an int32 or float tensor, got bool; cast it first`, { op, dtype: t.dtype });
  return t;
}

/** A bool, uint8 or int8 tensor as int32, anything else as is: what sum, prod and cumsum count in (PyTorch's int64). */
export function countable(t: Tensor): Tensor {
  return t.dtype === "bool" || t.dtype === "uint8" || t.dtype === "int8" ? cast(t, "int32") : t;
}

/** Zeros of `like`'s shape and dtype (the tangent of something that does not depend on the inputs). */
export function zerosLike(like: Tensor): Tensor {
  return placed(allocate(like.dtype, like.size), like.dtype, [...like.shape], like.device);
}

/** `value` everywhere in `like`'s shape, dtype and device (backward's seed). */
export function fullLike(like: Tensor, value: number): Tensor {
  return full(like.shape, value, { dtype: like.dtype, device: like.device });
}

/** The n×n identity in `like`'s dtype, on its device (a rule's constant). */
export function eyeLike(like: Tensor, n: number): Tensor {
  return eye(n, n, { dtype: like.dtype, device: like.device });
}
