/**
 * Shapes and strides: sizes, row-major strides, NumPy broadcasting and axis normalisation, each
 * failing with an `AdError` that names the op and the shapes involved.
 */
import { AdError, describe, invalidArgument } from "../errors.js";

export type Shape = readonly number[];

/** Most axes a tensor may have: bounds every loop over a user's shape or axes (and no real model comes close). */
export const MAX_RANK = 64;

/** Largest number of elements a tensor may hold (typed arrays are limited to 2³¹−1 on some engines). */
export const MAX_ELEMENTS = 2 ** 31 - 1;

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides: the last axis varies fastest. */
export function contiguousStrides(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** Validates a shape given by a user: an array of non-negative integers with a bounded product. */
export function expectShape(op: string, name: string, value: unknown): number[] {
  expectAxisList(op, name, value);
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const d: unknown = value[i];
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) {
      throw invalidArgument(op, `${name}[${i}] must be a non-negative integer, got ${describe(d)}`, { argument: name, index: i, got: describe(d) });
    }
    out.push(d);
  }
  if (sizeOf(out) > MAX_ELEMENTS) throw invalidArgument(op, `${name} [${out.join(", ")}] has more than ${MAX_ELEMENTS} elements`, { argument: name, shape: out });
  return out;
}

/** The NumPy broadcast of two shapes: aligned from the right, each pair equal or one of them 1. */
export function broadcastShapes(op: string, a: Shape, b: Shape): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new AdError("ShapeMismatch", `shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast: ${da} vs ${db} at axis ${i - rank}`, {
        op,
        shapes: [[...a], [...b]],
        axis: i - rank,
      });
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** An axis in [−rank, rank) as a non-negative index. */
export function normalizeAxis(op: string, axis: unknown, rank: number): number {
  if (typeof axis !== "number" || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw invalidArgument(op, `axis must be an integer in [${-rank}, ${rank - 1}] for a tensor of rank ${rank}, got ${describe(axis)}`, { axis: describe(axis), rank });
  }
  return axis < 0 ? axis + rank : axis;
}

export function sameShape(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(", ")}]`;
}

/** An array of at most MAX_RANK entries (a shape, a list of axes or of slice specs). */
export function expectAxisList(op: string, name: string, value: unknown): asserts value is readonly unknown[] {
  if (!Array.isArray(value)) throw invalidArgument(op, `${name} must be an array, got ${describe(value)}`, { argument: name, got: describe(value) });
  const n: unknown = value.length;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 0 || n > MAX_RANK) {
    throw invalidArgument(op, `${name} has ${describe(n)} entries; at most ${MAX_RANK} axes are supported`, { argument: name, length: describe(n) });
  }
}

/**
 * The axes along which `from` was broadcast to get `to`: the leading axes `to` has in addition, and
 * the axes where `from` has size 1 and `to` does not. Summing a cotangent of shape `to` over them
 * (and reshaping) gives the cotangent of the input of shape `from`.
 */
export function broadcastAxes(op: string, from: Shape, to: Shape): number[] {
  const lead = to.length - from.length;
  if (lead < 0) throw new AdError("ShapeMismatch", `${formatShape(from)} is not broadcast to ${formatShape(to)}`, { op, from: [...from], to: [...to] });
  const axes: number[] = [];
  for (let i = 0; i < to.length; i++) {
    if (i < lead) axes.push(i);
    else if (from[i - lead] !== to[i]) {
      if (from[i - lead] !== 1) throw new AdError("ShapeMismatch", `${formatShape(from)} is not broadcast to ${formatShape(to)}`, { op, from: [...from], to: [...to] });
      axes.push(i);
    }
  }
  return axes;
}
