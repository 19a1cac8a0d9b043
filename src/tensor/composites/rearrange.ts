/**
 * Rearranging elements without arithmetic, each composed of the view primitives (slice, reshape,
 * permute, expand) and concat, so their derivatives are those primitives' and no new kernel is
 * needed: flip is a slice with step −1 (a view, no copy), roll two slices joined, repeat and tile an
 * expand of a reshape, repeatInterleave an expand after the axis (or indexSelect for per-slice
 * counts), and narrow, chunk, unbind and movedim are slices and a permutation.
 */
import { AdError, describe, expectInteger, invalidArgument } from "../../errors.js";
import { tensor } from "../creation.js";
import { indexSelect } from "../primitives/gather.js";
import { concat } from "../primitives/join.js";
import { expand, expectTensor } from "../primitives/reduce.js";
import { permute, reshape, slice } from "../primitives/shape.js";
import { expectAxisList, formatShape, MAX_ELEMENTS, normalizeAxis } from "../shape.js";
import { Tensor } from "../tensor.js";
import type { SliceSpec } from "../view.js";

/** A number or a list of numbers as a checked list of integers. */
function integerList(op: string, name: string, value: unknown, min = -Number.MAX_SAFE_INTEGER): number[] {
  const list = typeof value === "number" ? [value] : value;
  expectAxisList(op, name, list);
  return list.map((v, i) => expectInteger(op, `${name}[${i}]`, v, min));
}

/** `axes` (a number or a list) normalized for a tensor of `rank`, no axis twice. */
function distinctAxes(op: string, name: string, value: unknown, rank: number): number[] {
  const axes = integerList(op, name, value).map((a) => normalizeAxis(op, a, rank));
  if (new Set(axes).size !== axes.length) throw invalidArgument(op, `${name} [${axes.join(", ")}] repeats an axis`, { argument: name, axes });
  return axes;
}

/** Specs that take [start, stop) on `axis` and everything elsewhere. */
function along(axis: number, range: SliceSpec): SliceSpec[] {
  return [...(Array(axis).fill(null) as null[]), range];
}

/** x with the order of its elements reversed along each of `axes` (torch.flip): a view. */
export function flip(x: Tensor, axes: number | readonly number[]): Tensor {
  const op = "flip";
  const t = expectTensor(op, x);
  const flipped = new Set(distinctAxes(op, "axes", axes, t.rank));
  if (flipped.size === 0) return t;
  return slice(
    t,
    t.shape.map((_, i) => (flipped.has(i) ? [null, null, -1] : null)),
  );
}

/**
 * x's elements shifted by `shifts` places along `axes` (torch.roll), wrapping around; a shift may be
 * negative or larger than the axis. With no `axes` the flattened tensor is rolled and reshaped back.
 */
export function roll(x: Tensor, shifts: number | readonly number[], axes?: number | readonly number[]): Tensor {
  const op = "roll";
  const t = expectTensor(op, x);
  const s = integerList(op, "shifts", shifts);
  if (axes === undefined) {
    if (s.length !== 1) throw invalidArgument(op, `without axes, give one shift (the flattened tensor is rolled), got ${s.length}`, { argument: "shifts", shifts: s });
    return reshape(roll(reshape(t, [-1]), s[0], 0), t.shape);
  }
  const a = distinctAxes(op, "axes", axes, t.rank);
  if (a.length !== s.length) throw invalidArgument(op, `shifts and axes need the same length, got ${s.length} and ${a.length}`, { shifts: s, axes: a });
  let y = t;
  a.forEach((axis, i) => {
    const n = y.shape[axis];
    const k = n === 0 ? 0 : ((s[i] % n) + n) % n;
    if (k !== 0) y = concat([slice(y, along(axis, [n - k, n])), slice(y, along(axis, [0, n - k]))], axis);
  });
  return y;
}

/** The checked repetition counts: at least x's rank of them unless `pad`. */
function repeatCounts(op: string, x: Tensor, reps: unknown, pad: boolean): number[] {
  const r = integerList(op, "reps", reps, 0);
  if (!pad && r.length < x.rank) {
    throw new AdError("ShapeMismatch", `${op} needs at least one count per axis of x ${formatShape(x.shape)}, got ${r.length}`, {
      op,
      shape: [...x.shape],
      reps: r,
    });
  }
  return r;
}

/** x repeated reps[i] times along each axis, leading 1s added to match reps' length. */
function tiled(x: Tensor, reps: readonly number[]): Tensor {
  const shape = [...Array<number>(reps.length - x.rank).fill(1), ...x.shape];
  // Each axis d becomes a pair (reps, d): the copies are an expand, laid out by one reshape.
  const spread = reshape(
    x,
    shape.flatMap((d) => [1, d]),
  );
  const copies = expand(
    spread,
    shape.flatMap((d, i) => [reps[i], d]),
  );
  return reshape(
    copies,
    shape.map((d, i) => d * reps[i]),
  );
}

/**
 * PyTorch's `Tensor.repeat`: x copied reps[i] times along axis i, whole (not element by element;
 * that is `repeatInterleave`). reps has at least x's rank entries; extra leading ones add axes.
 */
export function repeat(x: Tensor, reps: number | readonly number[]): Tensor {
  const op = "repeat";
  const t = expectTensor(op, x);
  return tiled(t, repeatCounts(op, t, reps, false));
}

/** NumPy's and PyTorch's tile: `repeat`, with fewer reps than axes padded with leading 1s. */
export function tile(x: Tensor, reps: number | readonly number[]): Tensor {
  const op = "tile";
  const t = expectTensor(op, x);
  const r = repeatCounts(op, t, reps, true);
  return tiled(t, [...Array<number>(Math.max(0, t.rank - r.length)).fill(1), ...r]);
}

/** Integer counts from a number list or a 1-D int32 tensor (read synchronously). */
function countsOf(op: string, repeats: unknown): number[] {
  if (!(repeats instanceof Tensor)) return integerList(op, "repeats", repeats, 0);
  if (repeats.dtype !== "int32" || repeats.rank > 1)
    throw invalidArgument(op, `repeats must be a number, a list or a 1-D int32 tensor, got ${repeats.dtype} ${formatShape(repeats.shape)}`, {
      argument: "repeats",
      dtype: repeats.dtype,
      shape: [...repeats.shape],
    });
  return integerList(op, "repeats", Array.from(repeats.data()), 0);
}

/**
 * Each slice of x along `axis` repeated in place (torch.repeat_interleave): [a, b] with 2 repeats is
 * [a, a, b, b]. `repeats` is one count (or a list of one, which broadcasts) or one per slice (a list or a 1-D int32 tensor, whose values
 * are read: the result's shape depends on them). With no `axis`, x is flattened first.
 */
export function repeatInterleave(x: Tensor, repeats: number | readonly number[] | Tensor, axis?: number): Tensor {
  const op = "repeatInterleave";
  const t0 = expectTensor(op, x);
  const t = axis === undefined ? reshape(t0, [-1]) : t0;
  if (t.rank === 0) throw invalidArgument(op, "x must have at least one axis, got a scalar (shape [])", { shape: [] });
  const a = normalizeAxis(op, axis ?? 0, t.rank);
  const n = t.shape[a];
  const counts = countsOf(op, repeats);
  if (counts.length === 1) {
    const k = counts[0];
    const spread = reshape(t, [...t.shape.slice(0, a + 1), 1, ...t.shape.slice(a + 1)]);
    const copies = expand(spread, [...t.shape.slice(0, a + 1), k, ...t.shape.slice(a + 1)]);
    return reshape(
      copies,
      t.shape.map((d, i) => (i === a ? d * k : d)),
    );
  }
  if (counts.length !== n)
    throw new AdError("ShapeMismatch", `repeats has ${counts.length} counts but axis ${a} of ${formatShape(t.shape)} has ${n} slices`, {
      op,
      shape: [...t.shape],
      repeats: counts.length,
      axis: a,
    });
  const index = counts.flatMap((c, i) => Array<number>(c).fill(i));
  return indexSelect(t, a, tensor(index, { dtype: "int32", device: t.device }));
}

/** The `length` slices of x along `axis` from `start` (negative counts from the end): a view. */
export function narrow(x: Tensor, axis: number, start: number, length: number): Tensor {
  const op = "narrow";
  const t = expectTensor(op, x);
  if (t.rank === 0) throw invalidArgument(op, "x must have at least one axis, got a scalar (shape [])", { shape: [] });
  const a = normalizeAxis(op, axis, t.rank);
  const n = t.shape[a];
  const s = expectInteger(op, "start", start, -n, n);
  const from = s < 0 ? s + n : s;
  expectInteger(op, "length", length, 0, n - from);
  return slice(t, along(a, [from, from + length]));
}

/**
 * x cut along `axis` into `chunks` pieces of ⌈n / chunks⌉ slices (the last smaller; fewer pieces
 * when they run out), as torch.chunk. Each piece is a view.
 */
export function chunk(x: Tensor, chunks: number, axis = 0): Tensor[] {
  const op = "chunk";
  const t = expectTensor(op, x);
  if (t.rank === 0) throw invalidArgument(op, "x must have at least one axis, got a scalar (shape [])", { shape: [] });
  // No axis has more than MAX_ELEMENTS slices; past that, an empty axis's `chunks` views would be an
  // array longer than JavaScript allows (a RangeError at 2³², the heap exhausted at 2³¹).
  const count = expectInteger(op, "chunks", chunks, 1, MAX_ELEMENTS);
  const a = normalizeAxis(op, axis, t.rank);
  const n = t.shape[a];
  const size = Math.ceil(n / count);
  if (size === 0) return Array.from({ length: count }, () => t);
  const pieces: Tensor[] = [];
  for (let start = 0; start < n; start += size) pieces.push(slice(t, along(a, [start, Math.min(start + size, n)])));
  return pieces;
}

/** The slices of x along `axis`, that axis removed (torch.unbind): views. */
export function unbind(x: Tensor, axis = 0): Tensor[] {
  const op = "unbind";
  const t = expectTensor(op, x);
  if (t.rank === 0) throw invalidArgument(op, "x must have at least one axis, got a scalar (shape [])", { shape: [] });
  const a = normalizeAxis(op, axis, t.rank);
  return Array.from({ length: t.shape[a] }, (_, i) => slice(t, along(a, i)));
}

/**
 * x with its axes `source` moved to positions `destination` (one axis or lists of equal length), the
 * other axes keeping their order (torch.movedim): a permutation, so a view.
 */
export function movedim(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  return moved("movedim", x, source, destination);
}

/** `movedim` under NumPy's name. */
export function moveaxis(x: Tensor, source: number | readonly number[], destination: number | readonly number[]): Tensor {
  return moved("moveaxis", x, source, destination);
}

function moved(op: string, x: unknown, source: unknown, destination: unknown): Tensor {
  const t = expectTensor(op, x);
  const from = distinctAxes(op, "source", source, t.rank);
  const to = distinctAxes(op, "destination", destination, t.rank);
  if (from.length !== to.length)
    throw invalidArgument(op, `source and destination need the same length, got ${describe(source)} and ${describe(destination)}`, { source: from, destination: to });
  const order = new Array<number>(t.rank).fill(-1);
  from.forEach((s, i) => (order[to[i]] = s));
  const rest = t.shape.map((_, i) => i).filter((i) => !from.includes(i));
  for (let i = 0, j = 0; i < order.length; i++) if (order[i] < 0) order[i] = rest[j++];
  return permute(t, order);
}
