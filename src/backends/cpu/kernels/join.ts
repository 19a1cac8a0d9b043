/**
 * The reference kernels of joining along an axis (concat) and padding (pad), over views: each
 * input is copied, in any strides, into its block of a fresh row-major buffer. The shapes were
 * checked by the primitives' abstract rules.
 */
import { allocate, type Storage } from "../../dtype.js";
import { hostStorage } from "../../buffer.js";
import { contiguousStrides, sizeOf } from "../../shape.js";
import type { View } from "../../view.js";
import { copyStrided } from "./strided.js";

/** Copies `src` into the block of the row-major `out` of `outShape` starting at `start`. */
function copyInto(out: Storage, outShape: readonly number[], start: readonly number[], src: View): void {
  const strides = contiguousStrides(outShape);
  let base = 0;
  for (let i = 0; i < start.length; i++) base += start[i] * strides[i];
  copyStrided(src.shape, hostStorage(src, "concat"), src.offset, src.strides, out, base, strides);
}

/** The inputs (one dtype, equal on every axis but `axis`) one after another along `axis`. */
export function concat(inputs: readonly View[], axis: number): Storage {
  const first = inputs[0];
  const shape = [...first.shape];
  shape[axis] = 0;
  for (const t of inputs) shape[axis] += t.shape[axis];
  const out = allocate(first.dtype, sizeOf(shape));
  const start = new Array<number>(shape.length).fill(0);
  for (const t of inputs) {
    copyInto(out, shape, start, t);
    start[axis] += t.shape[axis];
  }
  return out;
}

/** x grown by `widths` ([before, after] per axis), the new elements `fill` (already in x's dtype). */
export function pad(x: View, widths: readonly (readonly [number, number])[], fill: number): Storage {
  const shape = x.shape.map((d, i) => d + widths[i][0] + widths[i][1]);
  const out = allocate(x.dtype, sizeOf(shape));
  if (!Object.is(fill, 0)) out.fill(fill);
  copyInto(
    out,
    shape,
    widths.map((w) => w[0]),
    x,
  );
  return out;
}
