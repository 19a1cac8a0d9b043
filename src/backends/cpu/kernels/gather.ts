/**
 * The reference kernels of indexing along an axis with int32 indices (gather, scatterAdd, oneHot),
 * over views. Each returns a fresh row-major buffer; an index out of range is an InvalidArgument
 * naming the kernel's primitive and the index's position, raised before the caller sees any result.
 */
import { allocate, type DType, type Storage } from "../../dtype.js";
import { hostStorage } from "../../buffer.js";
import { contiguousStrides, sizeOf, type Shape } from "../../shape.js";
import { outOfRange } from "../../outOfRange.js";
import type { View } from "../../view.js";

interface Walker {
  readonly offset: number;
  readonly strides: readonly number[];
}

/** Calls `body(k, offsets)` for every element k of `shape` (row-major) with each operand's offset. */
function walk(shape: Shape, operands: readonly Walker[], body: (k: number, offsets: number[]) => void): void {
  const n = sizeOf(shape);
  if (n === 0) return;
  const rank = shape.length;
  const offsets = operands.map((w) => w.offset);
  const index = new Array<number>(rank).fill(0);
  for (let k = 0; ; k++) {
    body(k, offsets);
    let axis = rank - 1;
    for (; axis >= 0; axis--) {
      index[axis]++;
      for (let j = 0; j < operands.length; j++) offsets[j] += operands[j].strides[axis];
      if (index[axis] < shape[axis]) break;
      for (let j = 0; j < operands.length; j++) offsets[j] -= operands[j].strides[axis] * shape[axis];
      index[axis] = 0;
    }
    if (axis < 0) return;
  }
}

/** The multi-index of the k-th element (row-major) of `shape`, for error messages. */
function positionOf(k: number, shape: Shape): number[] {
  const strides = contiguousStrides(shape);
  return strides.map((s, i) => Math.floor(k / s) % shape[i]);
}

/** Strides of `t` with the `axis` stride zeroed (the index supplies that coordinate). */
const withoutAxis = (t: Walker, axis: number): Walker => ({ offset: t.offset, strides: t.strides.map((s, i) => (i === axis ? 0 : s)) });

/** out[…i…] = x[…indices[…i…]…] along `axis`; out has the shape of `indices` and x's dtype. */
export function gather(x: View, indices: View, axis: number): Storage {
  const out = allocate(x.dtype, sizeOf(indices.shape));
  const src = hostStorage(x, "gather");
  const idx = hostStorage(indices, "gather");
  const size = x.shape[axis];
  const step = x.strides[axis];
  walk(indices.shape, [indices, withoutAxis(x, axis)], (k, [oi, ox]) => {
    const i = idx[oi];
    if (i < 0 || i >= size) throw outOfRange("gather", i, positionOf(k, indices.shape), axis, size);
    out[k] = src[ox + i * step];
  });
  return out;
}

/** A row-major copy of x with out[…indices[…i…]…] += src[…i…] along `axis` (repeats accumulate). */
export function scatterAdd(x: View, indices: View, src: View, axis: number): Storage {
  const out = allocate(x.dtype, sizeOf(x.shape));
  const target = { offset: 0, strides: contiguousStrides(x.shape) };
  const xs = hostStorage(x, "scatterAdd");
  walk(x.shape, [x, target], (_, [ox, oo]) => {
    out[oo] = xs[ox];
  });
  const data = hostStorage(src, "scatterAdd");
  const idx = hostStorage(indices, "scatterAdd");
  const size = x.shape[axis];
  const step = target.strides[axis];
  walk(indices.shape, [indices, src, withoutAxis(target, axis)], (k, [oi, os, oo]) => {
    const i = idx[oi];
    if (i < 0 || i >= size) throw outOfRange("scatterAdd", i, positionOf(k, indices.shape), axis, size);
    out[oo + i * step] += data[os];
  });
  return out;
}

/** [...indices.shape, depth] of `dtype`: 1 at each index, 0 elsewhere (the index axis is the last). */
export function oneHot(indices: View, depth: number, dtype: DType): Storage {
  const out = allocate(dtype, sizeOf(indices.shape) * depth);
  const idx = hostStorage(indices, "oneHot");
  walk(indices.shape, [indices], (k, [oi]) => {
    const i = idx[oi];
    if (i < 0 || i >= depth) throw outOfRange("oneHot", i, positionOf(k, indices.shape), indices.shape.length, depth);
    out[k * depth + i] = 1;
  });
  return out;
}
