/**
 * The reference kernels that map each group a reduction over `axes` folds (cumsum, tieShare,
 * prodOthers) or pick from it (argExtreme), over views. The group's elements are copied into one
 * run (reduced axes last), the body writes the same run, and the result returns to x's axis order:
 * a fresh row-major buffer.
 */
import { allocate, type DType, type Storage } from "../../dtype.js";
import { hostStorage } from "../../buffer.js";
import { contiguousStrides, sizeOf } from "../../shape.js";
import type { Extreme } from "../../ops.js";
import type { View } from "../../view.js";
import { MAX, MIN } from "./fold.js";
import { copyStrided } from "./strided.js";

interface Groups {
  /** The axis order with the kept axes first and the reduced axes last. */
  readonly order: readonly number[];
  /** x's elements in that order, row-major. */
  readonly src: Storage;
  /** The elements per group. */
  readonly n: number;
}

export function groupsOf(x: View, axes: readonly number[]): Groups {
  const order = [...x.shape.keys()].filter((i) => !axes.includes(i)).concat(axes);
  const shape = order.map((a) => x.shape[a]);
  const src = allocate(x.dtype, sizeOf(shape));
  copyStrided(
    shape,
    hostStorage(x, "groups"),
    x.offset,
    order.map((a) => x.strides[a]),
    src,
    0,
    contiguousStrides(shape),
  );
  let n = 1;
  for (const a of axes) n *= x.shape[a];
  return { order, src, n };
}

/** An x-shaped kernel: each run of `n` elements (`src[base … base+n)`) writes the same run of `dst`. */
function mapGroups(x: View, axes: readonly number[], body: (src: Storage, dst: Storage, base: number, n: number) => void): Storage {
  const { order, src, n } = groupsOf(x, axes);
  const dst = allocate(x.dtype, src.length);
  if (n > 0) for (let base = 0; base < src.length; base += n) body(src, dst, base, n);
  return ungroup(x.shape, order, dst, x.dtype);
}

/** `dst`, an x-shaped buffer in the groups' axis `order`, back in x's axis order (row-major). */
export function ungroup(shape: readonly number[], order: readonly number[], dst: Storage, dtype: DType): Storage {
  if (order.every((a, i) => a === i)) return dst;
  // x's axis order[i] is the run's axis i.
  const runStrides = contiguousStrides(order.map((a) => shape[a]));
  const strides = new Array<number>(order.length);
  order.forEach((a, i) => (strides[a] = runStrides[i]));
  const out = allocate(dtype, dst.length);
  copyStrided(shape, dst, 0, strides, out, 0, contiguousStrides(shape));
  return out;
}

/** The running sum along `axis`. */
export function cumsum(x: View, axis: number): Storage {
  return mapGroups(x, [axis], (src, dst, base, n) => {
    let acc = 0;
    for (let i = 0; i < n; i++) dst[base + i] = acc += src[base + i];
  });
}

/** 1/k at the k elements of each group equal to its max (min), 0 elsewhere. */
export function tieShare(x: View, axes: readonly number[], extreme: Extreme): Storage {
  const fold = extreme === "max" ? MAX : MIN;
  return mapGroups(x, axes, (src, dst, base, n) => {
    let best = fold.init;
    for (let i = 0; i < n; i++) best = fold.step(best, src[base + i]);
    let ties = 0;
    for (let i = 0; i < n; i++) if (src[base + i] === best) ties++;
    for (let i = 0; i < n; i++) dst[base + i] = src[base + i] === best ? 1 / ties : 0;
  });
}

/** Πⱼ≠ᵢ xⱼ over each group, from prefix and suffix products (no division, exact at zeros). */
export function prodOthers(x: View, axes: readonly number[]): Storage {
  return mapGroups(x, axes, (src, dst, base, n) => {
    let left = 1;
    for (let i = 0; i < n; i++) {
      dst[base + i] = left;
      left *= src[base + i];
    }
    let right = 1;
    for (let i = n - 1; i >= 0; i--) {
      dst[base + i] *= right;
      right *= src[base + i];
    }
  });
}

/** The index of the first max (min) of each group, int32, kept axes in order; NaN counts as the extreme, as in NumPy. */
export function argExtreme(x: View, axes: readonly number[], extreme: Extreme): Storage {
  const { src, n } = groupsOf(x, axes);
  const out = allocate("int32", n === 0 ? 0 : src.length / n);
  const better = extreme === "max" ? (v: number, best: number) => v > best : (v: number, best: number) => v < best;
  for (let o = 0, base = 0; o < out.length; o++, base += n) {
    let best = src[base];
    let at = 0;
    for (let i = 1; i < n && best === best; i++) {
      const v = src[base + i];
      if (better(v, best) || v !== v) {
        best = v;
        at = i;
      }
    }
    out[o] = at;
  }
  return out;
}
