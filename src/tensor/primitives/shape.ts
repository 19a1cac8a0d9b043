/**
 * Shape primitives: reshape, permute, slice, contiguous. Their kernels are the zero-copy views of
 * `view.ts`; their VJPs move the cotangent back (reshape back, inverse permutation, unslice). expand
 * and `sumTo` live with sum in reduce.ts: expand's VJP is a sum and sum's VJP an expand.
 */
import { placed } from "../creation.js";
import { allocate } from "../dtype.js";
import { bind, definePrimitive, type Primitive } from "../primitive.js";
import { describe, invalidArgument } from "../../errors.js";
import { expectAxisList, normalizeAxis, sizeOf, type Shape } from "../shape.js";
import { Tensor } from "../tensor.js";
import type { ReshapeCheck, Reshaped, SqueezeCheck, Sliced, Squeezed, Unsqueezed } from "../types.js";
import * as view from "../view.js";
import { sameRule } from "./rules.js";

export const reshapeP = definePrimitive<{ readonly shape: readonly number[] }>("reshape", {
  abstract: ([x], { shape }) => ({ shape: view.reshapedShape(x.shape, shape), dtype: x.dtype }),
  impl: ([x], { shape }, k) => view.reshape(x, shape, k),
  vjp: ({ cotangent: g, inputs: [x] }) => [reshape(g, x.shape)],
  jvp: ({ tangents: [t], output }) => (t === null ? null : reshape(t, output.shape)),
});

export const permuteP = definePrimitive<{ readonly axes: readonly number[] }>("permute", {
  abstract: ([x], { axes }) => ({ shape: view.permutation(x.shape, axes).map((a) => x.shape[a]), dtype: x.dtype }),
  impl: ([x], { axes }) => view.permute(x, axes),
  vjp: ({ cotangent: g, params: { axes } }) => {
    const inverse = new Array<number>(axes.length);
    axes.forEach((a, i) => (inverse[a < 0 ? a + axes.length : a] = i));
    return [permute(g, inverse)];
  },
  jvp: ({ tangents: [t], params: { axes } }) => (t === null ? null : permute(t, axes)),
});

/** A tensor and a copy of a list argument (a shape or axes), checked before anything is recorded. */
export function operands(op: string, x: unknown, name: string, list: unknown): [Tensor, number[]] {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  expectAxisList(op, name, list);
  return [x, Array.from(list as readonly number[])];
}

/**
 * The same elements in a new shape (one entry may be −1). A literal shape reshaped to a literal target
 * with a different element count is a compile error naming both shapes.
 */
export function reshape<S extends Shape, const T extends readonly number[]>(x: Tensor<S>, shape: T & ReshapeCheck<S, T>): Tensor<Reshaped<T>>;
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  const [t, s] = operands("reshape", x, "shape", shape);
  return bind(reshapeP, [t], { shape: s });
}

/** Reorders the axes: result axis i is input axis `axes[i]`. */
export function permute(x: Tensor, axes: readonly number[]): Tensor {
  const [t, a] = operands("permute", x, "axes", axes);
  return bind(permuteP, [t], { axes: a });
}

/** Swaps two axes (the last two by default). */
export function transpose(x: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const op = "transpose";
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  const rank = x.rank;
  if (rank < 2 && axis0 === -2 && axis1 === -1) return x;
  const a = normalizeAxis(op, axis0, rank);
  const b = normalizeAxis(op, axis1, rank);
  const axes = x.shape.map((_, i) => i);
  [axes[a], axes[b]] = [axes[b], axes[a]];
  return permute(x, axes);
}

export const sliceP: Primitive<{ readonly specs: readonly view.SliceSpec[] }> = definePrimitive<{ readonly specs: readonly view.SliceSpec[] }>("slice", {
  // Only the view's shape matters here; the strides and offset it would take are placeholders.
  abstract: ([x], { specs }) => ({ shape: view.sliceLayout(x.shape, x.shape, 0, specs).shape, dtype: x.dtype }),
  impl: ([x], { specs }) => view.slice(x, specs),
  // The cotangent lands in the sliced positions of a zero tensor of the input's shape.
  vjp: ({ cotangent: g, inputs: [x], params }) => [bind(unsliceP, [g], { shape: x.shape, specs: params.specs })],
  jvp: ({ tangents: [t], params }) => (t === null ? null : bind(sliceP, [t], params)),
});

/** The adjoint of slice: zeros of `shape` with `g` written where `slice(·, specs)` reads. */
export const unsliceP: Primitive<{ readonly shape: readonly number[]; readonly specs: readonly view.SliceSpec[] }> = definePrimitive("unslice", {
  abstract: ([g], { shape }) => ({ shape, dtype: g.dtype }),
  impl: ([g], { shape, specs }, k) => {
    const out = placed(allocate(g.dtype, sizeOf(shape)), g.dtype, shape, g.device);
    k.copyInto(view.slice(out, specs), g);
    return out;
  },
  vjp: ({ cotangent: g, params: { specs } }) => [bind(sliceP, [g], { specs })],
  jvp: ({ tangents: [t], params }) => (t === null ? null : bind(unsliceP, [t], params)),
});

export const contiguousP = definePrimitive("contiguous", {
  abstract: sameRule,
  impl: ([x], _, k) => view.contiguous(x, k),
  vjp: ({ cotangent: g }) => [g],
  jvp: ({ tangents: [t] }) => t,
});

/** A Python-style slice (see `SliceSpec`), recorded for autograd. */
export function slice<S extends Shape, const Sp extends readonly view.SliceSpec[]>(x: Tensor<S>, specs: Sp): Tensor<Sliced<S, Sp>>;
export function slice(x: Tensor, specs: readonly view.SliceSpec[]): Tensor {
  const [t, s] = operands("slice", x, "specs", specs);
  return bind(sliceP, [t], { specs: s as view.SliceSpec[] });
}

/** Drops size-1 axes (one, or all), as a reshape. Squeezing a literal axis of literal size ≠ 1 is a compile error. */
export function squeeze<S extends Shape, const A extends number | undefined = undefined>(x: Tensor<S>, axis?: A & SqueezeCheck<S, A>): Tensor<Squeezed<S, A>>;
export function squeeze(x: Tensor, axis?: number): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument("squeeze", `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  return reshape(x, view.squeeze(x, axis).shape);
}

/** Inserts a size-1 axis, as a reshape. */
export function unsqueeze<S extends Shape, const A extends number>(x: Tensor<S>, axis: A): Tensor<Unsqueezed<S, A>>;
export function unsqueeze(x: Tensor, axis: number): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument("unsqueeze", `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  return reshape(x, view.unsqueeze(x, axis).shape);
}

/** The data in row-major order (a copy only if needed), recorded for autograd. */
export function contiguous(x: Tensor): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument("contiguous", `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  return bind(contiguousP, [x], undefined);
}
