/**
 * Views: new shape/strides/offset over the same storage. `reshape` copies only when the tensor is
 * not contiguous (the same rule as PyTorch's `reshape`); `contiguous` copies only when it must.
 * Every function validates its arguments and names itself and the shapes in its `AdError`.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { contiguousStrides, expectAxisList, expectShape, formatShape, normalizeAxis, sizeOf, type Shape } from "./shape.js";
import type { Backend } from "../backends/backend.js";
import { Tensor } from "./tensor.js";

function expectTensor(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw invalidArgument(op, `expected a Tensor, got ${describe(t)}`, { got: describe(t) });
  return t;
}

/** A copy in row-major order by `kernels` (t's device's by default), or t itself when it already is contiguous. */
export function contiguous<S extends Shape>(t: Tensor<S>, kernels: Backend = t.device.kernels): Tensor<S> {
  expectTensor("contiguous", t);
  if (t.isContiguous()) return t;
  return new Tensor(kernels.copy(t), t.dtype, t.shape, contiguousStrides(t.shape), 0, t.device);
}

/** The same elements in a new shape; one entry may be −1 (inferred). Copies (by `kernels`) only if not contiguous. */
export function reshape(t: Tensor, shape: readonly number[], kernels: Backend = t.device.kernels): Tensor {
  expectTensor("reshape", t);
  const target = reshapedShape(t.shape, shape);
  const c = contiguous(t, kernels);
  return new Tensor(c.storage, c.dtype, target, contiguousStrides(target), c.offset, c.device);
}

/** reshape's target for a tensor of shape `from` (−1 inferred), checked: the element counts agree. */
export function reshapedShape(from: Shape, shape: readonly number[]): number[] {
  const op = "reshape";
  expectAxisList(op, "shape", shape);
  const size = sizeOf(from);
  const inferred = shape.indexOf(-1);
  let target: number[];
  if (inferred >= 0 && shape.indexOf(-1, inferred + 1) < 0) {
    const rest = expectShape(
      op,
      "shape",
      shape.filter((_, i) => i !== inferred),
    );
    const known = sizeOf(rest);
    if (known === 0 || size % known !== 0) {
      throw new AdError("ShapeMismatch", `cannot infer −1 in [${shape.join(", ")}] for ${size} elements (shape ${formatShape(from)})`, {
        op,
        from: [...from],
        to: [...shape],
      });
    }
    target = [...shape];
    target[inferred] = size / known;
  } else {
    target = expectShape(op, "shape", shape);
  }
  if (sizeOf(target) !== size) {
    throw new AdError("ShapeMismatch", `cannot reshape ${formatShape(from)} (${size} elements) to ${formatShape(target)} (${sizeOf(target)} elements)`, {
      op,
      from: [...from],
      to: target,
    });
  }
  return target;
}

/** Reorders the axes: result axis i is input axis `axes[i]`. */
export function permute(t: Tensor, axes: readonly number[]): Tensor {
  expectTensor("permute", t);
  return pickAxes(t, permutation(t.shape, axes));
}

/** The view whose axis i is t's axis `axes[i]` (axes left out must have size 1). */
function pickAxes(t: Tensor, axes: readonly number[]): Tensor {
  return new Tensor(
    t.storage,
    t.dtype,
    axes.map((a) => t.shape[a]),
    axes.map((a) => t.strides[a]),
    t.offset,
    t.device,
  );
}

/** permute's axes for a tensor of `shape`, normalised and checked: each axis exactly once. */
export function permutation(shape: Shape, axes: readonly number[]): number[] {
  const op = "permute";
  const rank = shape.length;
  expectAxisList(op, "axes", axes);
  if (axes.length !== rank) {
    throw new AdError("ShapeMismatch", `permute needs ${rank} axes for shape ${formatShape(shape)}, got ${describe(axes)}`, { op, shape: [...shape], axes: describe(axes) });
  }
  const seen = new Array<boolean>(rank).fill(false);
  const perm = axes.map((a) => normalizeAxis(op, a, rank));
  for (const a of perm) {
    if (seen[a]) throw invalidArgument(op, `axes [${axes.join(", ")}] repeat axis ${a}`, { axes: [...axes] });
    seen[a] = true;
  }
  return perm;
}

/** Swaps two axes (the last two by default: the matrix transpose). */
export function transpose(t: Tensor, axis0 = -2, axis1 = -1): Tensor {
  const op = "transpose";
  expectTensor(op, t);
  if (t.rank < 2 && axis0 === -2 && axis1 === -1) return t;
  const a = normalizeAxis(op, axis0, t.rank);
  const b = normalizeAxis(op, axis1, t.rank);
  const perm = t.shape.map((_, i) => i);
  perm[a] = b;
  perm[b] = a;
  return permute(t, perm);
}

/** Broadcasts to `shape` (NumPy rules) with stride 0 on the repeated axes; −1 keeps a size. */
export function expand(t: Tensor, shape: readonly number[]): Tensor {
  expectTensor("expand", t);
  const target = expandedShape(t.shape, shape);
  const lead = target.length - t.rank;
  const strides = new Array<number>(target.length).fill(0);
  for (let i = 0; i < t.rank; i++) if (t.shape[i] === target[lead + i]) strides[lead + i] = t.strides[i];
  return new Tensor(t.storage, t.dtype, target, strides, t.offset, t.device);
}

/** expand's target for a tensor of shape `from` (−1 keeps a size), checked: each axis equal or from 1. */
export function expandedShape(from: Shape, shape: readonly number[]): number[] {
  const op = "expand";
  const rank = from.length;
  expectAxisList(op, "shape", shape);
  if (shape.length < rank) {
    throw new AdError("ShapeMismatch", `cannot expand ${formatShape(from)} to ${describe(shape)}: the target needs at least ${rank} axes`, {
      op,
      from: [...from],
      to: describe(shape),
    });
  }
  const lead = shape.length - rank;
  const checked = expectShape(
    op,
    "shape",
    shape.map((d, i) => (d === -1 && i >= lead ? from[i - lead] : d)),
  );
  for (let i = 0; i < rank; i++) {
    if (from[i] !== checked[lead + i] && from[i] !== 1) {
      throw new AdError("ShapeMismatch", `cannot expand ${formatShape(from)} to ${formatShape(checked)}: axis ${i} has size ${from[i]}, not 1 or ${checked[lead + i]}`, {
        op,
        from: [...from],
        to: checked,
        axis: i,
      });
    }
  }
  return checked;
}

/**
 * One entry per leading axis: an integer picks one index and drops the axis; `[start, stop, step?]`
 * or `{ start, stop, step }` takes a Python-style range (negative indices count from the end,
 * negative steps walk backwards, out-of-range bounds are clipped); `null` keeps the whole axis.
 */
export type SliceSpec =
  number | null | readonly [(number | null)?, (number | null)?, (number | null)?] | { readonly start?: number; readonly stop?: number; readonly step?: number };

export function slice(t: Tensor, specs: readonly SliceSpec[]): Tensor {
  expectTensor("slice", t);
  const { shape, strides, offset } = sliceLayout(t.shape, t.strides, t.offset, specs);
  return new Tensor(t.storage, t.dtype, shape, strides, offset, t.device);
}

/** The view a slice takes of a layout (shape, strides, offset), the specs checked against the shape. */
export function sliceLayout(inShape: Shape, inStrides: readonly number[], inOffset: number, specs: readonly SliceSpec[]): { shape: number[]; strides: number[]; offset: number } {
  const op = "slice";
  const rank = inShape.length;
  expectAxisList(op, "specs", specs);
  if (specs.length > rank) {
    throw new AdError("ShapeMismatch", `slice got ${specs.length} specs for a tensor of shape ${formatShape(inShape)}`, {
      op,
      shape: [...inShape],
    });
  }
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = inOffset;
  for (let axis = 0; axis < rank; axis++) {
    const d = inShape[axis];
    const s = inStrides[axis];
    const spec: unknown = axis < specs.length ? specs[axis] : null;
    if (spec === null || spec === undefined) {
      shape.push(d);
      strides.push(s);
      continue;
    }
    if (typeof spec === "number") {
      if (!Number.isInteger(spec) || spec < -d || spec >= d) {
        throw invalidArgument(op, `index ${spec} is out of range for axis ${axis} of size ${d}`, { axis, index: spec, size: d });
      }
      offset += (spec < 0 ? spec + d : spec) * s;
      continue;
    }
    const range = rangeOf(op, axis, spec);
    const step = range.step ?? 1;
    if (!Number.isInteger(step) || step === 0) throw invalidArgument(op, `step must be a non-zero integer, got ${describe(step)}`, { axis, step: describe(step) });
    const [start, stop] = bounds(op, axis, d, step, range.start, range.stop);
    const count = step > 0 ? Math.max(0, Math.ceil((stop - start) / step)) : Math.max(0, Math.ceil((start - stop) / -step));
    if (count > 0) offset += start * s;
    shape.push(count);
    strides.push(s * step);
  }
  return { shape, strides, offset };
}

function rangeOf(op: string, axis: number, spec: unknown): { start?: number; stop?: number; step?: number } {
  if (Array.isArray(spec)) {
    expectAxisList(op, "range", spec);
    if (spec.length > 3) throw invalidArgument(op, `a range is [start, stop, step], got ${spec.length} entries at axis ${axis}`, { axis });
    return { start: spec[0] as number | undefined, stop: spec[1] as number | undefined, step: spec[2] as number | undefined };
  }
  if (typeof spec === "object" && spec !== null) return spec as { start?: number; stop?: number; step?: number };
  throw invalidArgument(op, `slice spec at axis ${axis} must be an integer, a range or null, got ${describe(spec)}`, { axis, got: describe(spec) });
}

/** Python's slice.indices: clip start/stop into the axis for the given step direction. */
function bounds(op: string, axis: number, d: number, step: number, start: unknown, stop: unknown): [number, number] {
  const norm = (v: unknown, fallback: number, lo: number, hi: number): number => {
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "number" || !Number.isInteger(v)) throw invalidArgument(op, `range bounds must be integers, got ${describe(v)} at axis ${axis}`, { axis, got: describe(v) });
    const x = v < 0 ? v + d : v;
    return Math.min(Math.max(x, lo), hi);
  };
  return step > 0 ? [norm(start, 0, 0, d), norm(stop, d, 0, d)] : [norm(start, d - 1, -1, d - 1), norm(stop, -1, -1, d - 1)];
}

/** Drops size-1 axes: the given one (which must have size 1), or all of them. */
export function squeeze(t: Tensor, axis?: number): Tensor {
  const op = "squeeze";
  expectTensor(op, t);
  if (axis === undefined) {
    return pickAxes(
      t,
      t.shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0),
    );
  }
  const a = normalizeAxis(op, axis, t.rank);
  if (t.shape[a] !== 1) {
    throw new AdError("ShapeMismatch", `cannot squeeze axis ${a} of shape ${formatShape(t.shape)}: its size is ${t.shape[a]}, not 1`, { op, shape: [...t.shape], axis: a });
  }
  return new Tensor(
    t.storage,
    t.dtype,
    t.shape.filter((_, i) => i !== a),
    t.strides.filter((_, i) => i !== a),
    t.offset,
    t.device,
  );
}

/** Inserts a size-1 axis at `axis` (in [−rank−1, rank]). */
export function unsqueeze(t: Tensor, axis: number): Tensor {
  const op = "unsqueeze";
  expectTensor(op, t);
  const a = normalizeAxis(op, axis, t.rank + 1);
  const shape = [...t.shape];
  const strides = [...t.strides];
  shape.splice(a, 0, 1);
  strides.splice(a, 0, a < t.rank ? t.strides[a] * t.shape[a] : 1);
  return new Tensor(t.storage, t.dtype, shape, strides, t.offset, t.device);
}
