/**
 * Views: new shape/strides/offset over the same storage. `reshape` copies only when the tensor is
 * not contiguous (the same rule as PyTorch's `reshape`); `contiguous` copies only when it must.
 * Every function validates its arguments and names itself and the shapes in its `AdError`.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { contiguousStrides, expectAxisList, expectShape, formatShape, normalizeAxis, sizeOf, type Shape } from "./shape.js";
import { elements, Tensor } from "./tensor.js";

function expectTensor(op: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw invalidArgument(op, `expected a Tensor, got ${describe(t)}`, { got: describe(t) });
  return t;
}

/** A copy in row-major order, or the tensor itself when it already is contiguous. */
export function contiguous<S extends Shape>(t: Tensor<S>): Tensor<S> {
  expectTensor("contiguous", t);
  if (t.isContiguous()) return t;
  return new Tensor(elements(t), t.dtype, t.shape, contiguousStrides(t.shape), 0, t.device);
}

/** The same elements in a new shape; one entry may be −1 (inferred). Copies only if not contiguous. */
export function reshape(t: Tensor, shape: readonly number[]): Tensor {
  const op = "reshape";
  expectTensor(op, t);
  expectAxisList(op, "shape", shape);
  const inferred = shape.indexOf(-1);
  let target: number[];
  if (inferred >= 0 && shape.indexOf(-1, inferred + 1) < 0) {
    const rest = expectShape(op, "shape", shape.filter((_, i) => i !== inferred));
    const known = sizeOf(rest);
    if (known === 0 || t.size % known !== 0) {
      throw new AdError("ShapeMismatch", `cannot infer −1 in [${shape.join(", ")}] for ${t.size} elements (shape ${formatShape(t.shape)})`, {
        op,
        from: [...t.shape],
        to: [...shape],
      });
    }
    target = [...shape];
    target[inferred] = t.size / known;
  } else {
    target = expectShape(op, "shape", shape);
  }
  if (sizeOf(target) !== t.size) {
    throw new AdError("ShapeMismatch", `cannot reshape ${formatShape(t.shape)} (${t.size} elements) to ${formatShape(target)} (${sizeOf(target)} elements)`, {
      op,
      from: [...t.shape],
      to: target,
    });
  }
  const c = contiguous(t);
  return new Tensor(c.storage, c.dtype, target, contiguousStrides(target), c.offset, c.device);
}

/** Reorders the axes: result axis i is input axis `axes[i]`. */
export function permute(t: Tensor, axes: readonly number[]): Tensor {
  const op = "permute";
  expectTensor(op, t);
  expectAxisList(op, "axes", axes);
  if (axes.length !== t.rank) {
    throw new AdError("ShapeMismatch", `permute needs ${t.rank} axes for shape ${formatShape(t.shape)}, got ${describe(axes)}`, { op, shape: [...t.shape], axes: describe(axes) });
  }
  const seen = new Array<boolean>(t.rank).fill(false);
  const perm = axes.map((a) => normalizeAxis(op, a, t.rank));
  for (const a of perm) {
    if (seen[a]) throw invalidArgument(op, `axes [${axes.join(", ")}] repeat axis ${a}`, { axes: [...axes] });
    seen[a] = true;
  }
  return new Tensor(
    t.storage,
    t.dtype,
    perm.map((a) => t.shape[a]),
    perm.map((a) => t.strides[a]),
    t.offset,
    t.device,
  );
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
  const op = "expand";
  expectTensor(op, t);
  expectAxisList(op, "shape", shape);
  if (shape.length < t.rank) {
    throw new AdError("ShapeMismatch", `cannot expand ${formatShape(t.shape)} to ${describe(shape)}: the target needs at least ${t.rank} axes`, {
      op,
      from: [...t.shape],
      to: describe(shape),
    });
  }
  const lead = shape.length - t.rank;
  const target = shape.map((d, i) => (d === -1 && i >= lead ? t.shape[i - lead] : d));
  const checked = expectShape(op, "shape", target);
  const strides = new Array<number>(checked.length).fill(0);
  for (let i = 0; i < t.rank; i++) {
    const from = t.shape[i];
    const to = checked[lead + i];
    if (from === to) strides[lead + i] = t.strides[i];
    else if (from === 1) strides[lead + i] = 0;
    else {
      throw new AdError("ShapeMismatch", `cannot expand ${formatShape(t.shape)} to ${formatShape(checked)}: axis ${i} has size ${from}, not 1 or ${to}`, {
        op,
        from: [...t.shape],
        to: checked,
        axis: i,
      });
    }
  }
  return new Tensor(t.storage, t.dtype, checked, strides, t.offset, t.device);
}

/**
 * One entry per leading axis: an integer picks one index and drops the axis; `[start, stop, step?]`
 * or `{ start, stop, step }` takes a Python-style range (negative indices count from the end,
 * negative steps walk backwards, out-of-range bounds are clipped); `null` keeps the whole axis.
 */
export type SliceSpec = number | null | readonly [(number | null)?, (number | null)?, (number | null)?] | { readonly start?: number; readonly stop?: number; readonly step?: number };

export function slice(t: Tensor, specs: readonly SliceSpec[]): Tensor {
  const op = "slice";
  expectTensor(op, t);
  expectAxisList(op, "specs", specs);
  if (specs.length > t.rank) {
    throw new AdError("ShapeMismatch", `slice got ${specs.length} specs for a tensor of shape ${formatShape(t.shape)}`, {
      op,
      shape: [...t.shape],
    });
  }
  const shape: number[] = [];
  const strides: number[] = [];
  let offset = t.offset;
  for (let axis = 0; axis < t.rank; axis++) {
    const d = t.shape[axis];
    const s = t.strides[axis];
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
  return new Tensor(t.storage, t.dtype, shape, strides, offset, t.device);
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
    const keep = t.shape.map((d, i) => (d === 1 ? -1 : i)).filter((i) => i >= 0);
    return new Tensor(t.storage, t.dtype, keep.map((i) => t.shape[i]), keep.map((i) => t.strides[i]), t.offset, t.device);
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
