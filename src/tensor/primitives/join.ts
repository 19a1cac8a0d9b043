/**
 * Joining and cutting along an axis: concat and pad are primitives (their VJPs are slices of the
 * cotangent); stack is concat of unsqueezed tensors and split a list of slices, so neither needs a
 * rule of its own or a primitive with several outputs.
 */
import { AdError, describe, expectLength, expectNumber, invalidArgument } from "../../errors.js";
import { coerce, type DType, resultType } from "../dtype.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { expectAxisList, formatShape, normalizeAxis, sizeOf } from "../shape.js";
import { fromStorage, Tensor } from "../tensor.js";
import type { Concat, ConcatCheck, Stack, StackCheck } from "../types.js";
import type { SliceSpec } from "../view.js";
import { promote, zerosLike } from "./lift.js";
import { slice, unsqueeze } from "./shape.js";

/** The spec that takes [start, stop) of `axis` and keeps every other axis. */
function rangeSpecs(axis: number, start: number, stop: number): SliceSpec[] {
  const specs: SliceSpec[] = new Array<SliceSpec>(axis).fill(null);
  specs.push([start, stop]);
  return specs;
}

/** The inputs' common shape with their `axis` sizes summed; every other axis must agree. */
function concatShape(inputs: readonly AbstractValue[], axis: number): number[] {
  const op = "concat";
  const first = inputs[0];
  const shape = [...first.shape];
  shape[axis] = 0;
  inputs.forEach((t, i) => {
    if (t.shape.length !== first.shape.length || t.shape.some((d, j) => j !== axis && d !== first.shape[j])) {
      throw new AdError("ShapeMismatch", `tensors[0] has shape ${formatShape(first.shape)} and tensors[${i}] ${formatShape(t.shape)}: all axes but ${axis} must agree`, {
        op,
        shapes: [[...first.shape], [...t.shape]],
        axis,
        index: i,
      });
    }
    shape[axis] += t.shape[axis];
  });
  return shape;
}

export const concatP: Primitive<{ readonly axis: number }> = definePrimitive<{ readonly axis: number }>("concat", {
  abstract: (inputs, { axis }) => ({ shape: concatShape(inputs, axis), dtype: inputs[0].dtype }),
  impl: (inputs, { axis }, k) => fromStorage(k.concat(inputs, axis), inputs[0].dtype, concatShape(inputs, axis)),
  // Each input's cotangent is its block of g.
  vjp: ({ cotangent: g, inputs, params: { axis } }) => {
    let start = 0;
    return inputs.map((t) => {
      const stop = start + t.shape[axis];
      const gi = slice(g, rangeSpecs(axis, start, stop));
      start = stop;
      return gi;
    });
  },
  jvp: ({ tangents, inputs, params }) =>
    bind(
      concatP,
      tangents.map((t, i) => t ?? zerosLike(inputs[i])),
      params,
    ),
});

/**
 * A non-empty array of tensors (the common checks of concat and stack), promoted to their common
 * dtype as torch.cat does: a cast that has to rise passes the cotangent back to a float input.
 */
function expectTensorList(op: string, tensors: unknown): Tensor[] {
  // Any number of tensors (not the axis-list checker's 64): the length is read once, as an array's.
  if (!Array.isArray(tensors)) throw invalidArgument(op, `tensors must be an array, got ${describe(tensors)}`, { argument: "tensors", got: describe(tensors) });
  const n = expectLength(op, "tensors", tensors);
  if (n === 0) throw invalidArgument(op, "needs at least one tensor, got an empty array", { argument: "tensors" });
  const list: Tensor[] = [];
  for (let i = 0; i < n; i++) {
    const t: unknown = tensors[i];
    if (!(t instanceof Tensor)) throw invalidArgument(op, `tensors[${i}] must be a Tensor, got ${describe(t)}`, { argument: "tensors", index: i, got: describe(t) });
    list.push(t);
  }
  const dtype = list.reduce((d: DType, t) => resultType(d, t.dtype), list[0].dtype);
  return list.map((t) => promote(t, dtype));
}

/**
 * Joins tensors along an existing axis; every other axis must agree. For a tuple of literal shapes
 * the result's axis is the sum, and a literal mismatch off the axis is a compile error naming both shapes.
 */
export function concat<const Ts extends readonly Tensor[], const A extends number = 0>(tensors: Ts & ConcatCheck<Ts, A>, axis?: A): Tensor<Concat<Ts, A>>;
export function concat(tensors: readonly Tensor[], axis = 0): Tensor {
  const op = "concat";
  const list = expectTensorList(op, tensors);
  const first = list[0];
  if (first.rank === 0) throw invalidArgument(op, "cannot concatenate scalars (shape []); use stack", { shape: [] });
  const a = normalizeAxis(op, axis, first.rank);
  return bind(concatP, list, { axis: a });
}

/**
 * Joins tensors of one shape along a new axis `axis` (in [−rank−1, rank]). For a tuple of literal
 * shapes the new axis has the tensor count, and a literal mismatch is a compile error naming both shapes.
 */
export function stack<const Ts extends readonly Tensor[], const A extends number = 0>(tensors: Ts & StackCheck<Ts>, axis?: A): Tensor<Stack<Ts, A>>;
export function stack(tensors: readonly Tensor[], axis = 0): Tensor {
  const op = "stack";
  const list = expectTensorList(op, tensors);
  const first = list[0];
  const a = normalizeAxis(op, axis, first.rank + 1);
  list.forEach((t, i) => {
    if (t.rank !== first.rank || t.shape.some((d, j) => d !== first.shape[j])) {
      throw new AdError("ShapeMismatch", `tensors[0] has shape ${formatShape(first.shape)} and tensors[${i}] ${formatShape(t.shape)}: stack needs equal shapes`, {
        op,
        shapes: [[...first.shape], [...t.shape]],
        index: i,
      });
    }
  });
  return concat(
    list.map((t) => unsqueeze(t, a)),
    a,
  );
}

/**
 * Cuts `x` along `axis` into consecutive pieces: `sizes` gives their lengths (summing to the axis'
 * size), a number `count` that many equal pieces (the size must divide evenly). Each piece is a slice.
 */
export function split(x: Tensor, sizesOrCount: number | readonly number[], axis = 0): Tensor[] {
  const op = "split";
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  if (x.rank === 0) throw invalidArgument(op, "cannot split a scalar (shape [])", { shape: [] });
  const a = normalizeAxis(op, axis, x.rank);
  const d = x.shape[a];
  let sizes: number[];
  if (typeof sizesOrCount === "number") {
    const count = sizesOrCount;
    if (!Number.isInteger(count) || count < 1 || count > Math.max(d, 1) * 1024 || d % count !== 0) {
      throw invalidArgument(op, `count must be a positive integer that divides axis ${a} of size ${d}, got ${describe(count)}`, {
        argument: "count",
        got: describe(count),
        size: d,
        axis: a,
      });
    }
    sizes = new Array<number>(count).fill(d / count);
  } else {
    if (!Array.isArray(sizesOrCount))
      throw invalidArgument(op, `sizes must be an array or a count, got ${describe(sizesOrCount)}`, { argument: "sizes", got: describe(sizesOrCount) });
    if (sizesOrCount.length > 1_000_000) throw invalidArgument(op, `sizes has ${sizesOrCount.length} entries`, { argument: "sizes" });
    sizes = [];
    let total = 0;
    for (let i = 0; i < sizesOrCount.length; i++) {
      const s: unknown = sizesOrCount[i];
      if (typeof s !== "number" || !Number.isInteger(s) || s < 0)
        throw invalidArgument(op, `sizes[${i}] must be a non-negative integer, got ${describe(s)}`, { argument: "sizes", index: i, got: describe(s) });
      sizes.push(s);
      total += s;
    }
    if (total !== d) {
      throw new AdError("ShapeMismatch", `sizes [${sizes.join(", ")}] sum to ${total}, but axis ${a} of ${formatShape(x.shape)} has size ${d}`, {
        op,
        shape: [...x.shape],
        sizes,
        axis: a,
      });
    }
  }
  const pieces: Tensor[] = [];
  let start = 0;
  for (const s of sizes) {
    pieces.push(slice(x, rangeSpecs(a, start, start + s)));
    start += s;
  }
  return pieces;
}

export interface PadParams {
  readonly widths: readonly (readonly [number, number])[];
  readonly value: number;
}

/** Each axis grown by its [before, after] widths (one pair per axis). */
function paddedShape(shape: readonly number[], widths: PadParams["widths"]): number[] {
  const op = "pad";
  if (widths.length !== shape.length) {
    throw new AdError("ShapeMismatch", `widths has ${widths.length} entries for a tensor of shape ${formatShape(shape)}; give one [before, after] per axis`, {
      op,
      shape: [...shape],
      widths: widths.length,
    });
  }
  const padded = shape.map((d, i) => d + widths[i][0] + widths[i][1]);
  if (sizeOf(padded) > 2 ** 31 - 1) throw invalidArgument(op, `the padded shape ${formatShape(padded)} has too many elements`, { shape: padded });
  return padded;
}

export const padP: Primitive<PadParams> = definePrimitive<PadParams>("pad", {
  abstract: ([x], { widths }) => ({ shape: paddedShape(x.shape, widths), dtype: x.dtype }),
  impl: ([x], { widths, value }, k) => fromStorage(k.pad(x, widths, coerce(x.dtype, value)), x.dtype, paddedShape(x.shape, widths)),
  // The padding is constant: the cotangent is g cut back to x's block.
  vjp: ({ cotangent: g, inputs: [x], params: { widths } }) => [
    slice(
      g,
      x.shape.map((d, i) => [widths[i][0], widths[i][0] + d] as const),
    ),
  ],
  jvp: ({ tangents: [t], params: { widths } }) => (t === null ? null : bind(padP, [t], { widths, value: 0 })),
});

/** Pads every axis i with `widths[i] = [before, after]` elements of `value` (default 0). */
export function pad(x: Tensor, widths: readonly (readonly [number, number])[], value = 0): Tensor {
  const op = "pad";
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  expectAxisList(op, "widths", widths);
  const checked: [number, number][] = [];
  for (let i = 0; i < widths.length; i++) {
    const w: unknown = widths[i];
    const ok = Array.isArray(w) && w.length === 2 && w.every((v: unknown) => typeof v === "number" && Number.isInteger(v) && v >= 0 && v <= 2 ** 31 - 1);
    if (!ok) throw invalidArgument(op, `widths[${i}] must be [before, after] with non-negative integers, got ${describe(w)}`, { argument: "widths", index: i, got: describe(w) });
    const [before, after] = w as [number, number];
    checked.push([before, after]);
  }
  return bind(padP, [x], { widths: checked, value: expectNumber(op, "value", value) });
}
