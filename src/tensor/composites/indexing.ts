/**
 * Indexing with masks and int32 index tensors, composed of where, gather and scatterAdd (each
 * other's adjoints), so the derivatives are theirs: maskedFill, indexAdd, takeAlongDim, take,
 * scatter with PyTorch's reductions, and meshgrid. Indices get no gradient.
 *
 * scatter's prod/amax/amin reduce, for every target slot, a candidate matrix [..., m + 1, n] (the
 * slot's own value, then each source element or the reduction's neutral value): O(m·n) memory for m
 * sources and n slots along the axis, but prod's gradient is then exact at zeros and max's and
 * min's shared among ties (the slot's own value included), PyTorch's conventions.
 */
import { AdError, describe, expectFinite, expectNumber, expectOptions, invalidArgument } from "../../errors.js";
import { outOfRange } from "../../backends/outOfRange.js";
import { arange } from "../creation.js";
import { add, div, mul } from "../primitives/arithmetic.js";
import { eq, gt, lt } from "../primitives/compare.js";
import { gather, scatterAdd } from "../primitives/gather.js";
import { concat, pad } from "../primitives/join.js";
import { fullLike, zerosLike } from "../primitives/lift.js";
import { expand, expectTensor, max, min, prod } from "../primitives/reduce.js";
import { where } from "../primitives/select.js";
import { permute, reshape, slice, unsqueeze } from "../primitives/shape.js";
import { broadcastShapes, formatShape, normalizeAxis, sameShape } from "../shape.js";
import { maskPositions } from "./selection.js";
import { Tensor } from "../tensor.js";
import type { SliceSpec } from "../view.js";

/**
 * f's result, with an index out of range that the gather or scatterAdd kernel found reported under
 * `op` (the function the user called), at its position in the user's index (`at` maps the kernel's
 * position back) and on the user's axis where that differs from the kernel's.
 */
function naming<T>(op: string, f: () => T, at: (position: number[]) => number[] = (p) => p, axis?: number): T {
  try {
    return f();
  } catch (error) {
    const details = error instanceof AdError && (error.details.op === "gather" || error.details.op === "scatterAdd") ? error.details : undefined;
    if (details === undefined || !("index" in details)) throw error;
    throw outOfRange(op, details.index as number, at(details.position as number[]), axis ?? (details.axis as number), details.size as number);
  }
}

function indexOperand(op: string, index: unknown, name = "index"): Tensor {
  if (!(index instanceof Tensor)) throw invalidArgument(op, `${name} must be an int32 Tensor, got ${describe(index)}`, { argument: name, got: describe(index) });
  if (index.dtype !== "int32") throw invalidArgument(op, `${name} must be an int32 tensor, got ${index.dtype}`, { argument: name, dtype: index.dtype });
  return index;
}

/**
 * x with `value` (any number, ±Infinity included: the attention mask's −∞) written where `mask` (a bool tensor that broadcasts to x's shape) is true
 * (torch.masked_fill). A tensor value (0-d, or broadcasting to x) gets the gradient of the filled
 * places; x gets the rest.
 */
export function maskedFill(x: Tensor, mask: Tensor, value: number | Tensor): Tensor {
  const op = "maskedFill";
  const t = expectTensor(op, x);
  if (!(mask instanceof Tensor) || mask.dtype !== "bool")
    throw new AdError("DTypeMismatch", `mask must be a bool tensor, got ${mask instanceof Tensor ? mask.dtype : describe(mask)}`, { op, argument: "mask" });
  if (!(value instanceof Tensor)) expectNumber(op, "value", value);
  const shape = broadcastShapes(op, broadcastShapes(op, t.shape, mask.shape), value instanceof Tensor ? value.shape : []);
  if (!sameShape(shape, t.shape))
    throw new AdError("ShapeMismatch", `mask ${formatShape(mask.shape)} and value must broadcast to x's shape ${formatShape(t.shape)}`, {
      op,
      shapes: [[...t.shape], [...mask.shape]],
    });
  return where(mask, value, t);
}

/** index [k] laid along `axis` of a tensor shaped `shape` (which has k there), expanded to it. */
function alongAxis(index: Tensor, axis: number, shape: readonly number[]): Tensor {
  return expand(
    reshape(
      index,
      shape.map((d, i) => (i === axis ? d : 1)),
    ),
    shape,
  );
}

/** A 1-D int32 index for `op` on `axis` of `x`. */
function vectorIndex(op: string, index: unknown): Tensor {
  const idx = indexOperand(op, index);
  if (idx.rank !== 1) throw invalidArgument(op, `index must be 1-D, got shape ${formatShape(idx.shape)}`, { argument: "index", shape: [...idx.shape] });
  return idx;
}

export interface IndexAddOptions {
  /** The factor on `source` (default 1). */
  readonly alpha?: number;
}

/**
 * A copy of x with alpha · source[…, i, …] added to x[…, index[i], …] along `axis`
 * (torch.index_add); repeated indices accumulate. `source` has x's shape with index.size on `axis`.
 */
export function indexAdd(x: Tensor, axis: number, index: Tensor, source: Tensor, options?: IndexAddOptions): Tensor {
  const op = "indexAdd";
  const t = expectTensor(op, x);
  const { alpha = 1 } = expectOptions<IndexAddOptions>(op, options, ["alpha"]);
  expectFinite(op, "alpha", alpha);
  if (!(source instanceof Tensor)) throw invalidArgument(op, `source must be a Tensor, got ${describe(source)}`, { argument: "source", got: describe(source) });
  if (t.rank === 0) throw invalidArgument(op, "x must have at least one axis, got a scalar (shape [])", { shape: [] });
  const a = normalizeAxis(op, axis, t.rank);
  const idx = vectorIndex(op, index);
  const want = t.shape.map((d, i) => (i === a ? idx.size : d));
  if (!sameShape(source.shape, want))
    throw new AdError("ShapeMismatch", `source must have shape ${formatShape(want)} (x's with index's length on axis ${a}), got ${formatShape(source.shape)}`, {
      op,
      shapes: [[...t.shape], [...idx.shape], [...source.shape]],
      axis: a,
    });
  const src = alpha === 1 ? source : mul(source, alpha);
  return naming(
    op,
    () => scatterAdd(t, a, alongAxis(idx, a, want), src),
    (position) => [position[a]],
  );
}

/**
 * x's elements at `indices` along `axis` (torch.take_along_dim): x and indices broadcast on every
 * other axis. With no `axis`, both are flattened (indices into the flat x).
 */
export function takeAlongDim(x: Tensor, indices: Tensor, axis?: number): Tensor {
  const op = "takeAlongDim";
  const t = expectTensor(op, x);
  const idx = indexOperand(op, indices, "indices");
  if (axis === undefined)
    return naming(
      op,
      () => gather(reshape(t, [-1]), 0, reshape(idx, [-1])),
      (position) => unravel(position[0], idx.shape),
    );
  const a = normalizeAxis(op, axis, t.rank);
  if (idx.rank !== t.rank)
    throw new AdError("ShapeMismatch", `indices need x's rank ${t.rank}, got shape ${formatShape(idx.shape)}`, { op, shapes: [[...t.shape], [...idx.shape]], axis: a });
  const other = (s: readonly number[]) => s.map((d, i) => (i === a ? 1 : d));
  const batch = broadcastShapes(op, other(t.shape), other(idx.shape));
  const to = (v: Tensor) => {
    const shape = batch.map((d, i) => (i === a ? v.shape[a] : d));
    return sameShape(shape, v.shape) ? v : expand(v, shape);
  };
  return naming(op, () => gather(to(t), a, to(idx)));
}

/** The multi-index of row-major position `flat` in `shape`. */
function unravel(flat: number, shape: readonly number[]): number[] {
  const position = new Array<number>(shape.length);
  for (let i = shape.length - 1, rest = flat; i >= 0; i--) {
    position[i] = rest % shape[i];
    rest = Math.floor(rest / shape[i]);
  }
  return position;
}

/**
 * x read as a flat vector at `indices` (torch.take): the result has indices' shape; a negative index
 * counts from the end.
 */
export function take(x: Tensor, indices: Tensor): Tensor {
  const op = "take";
  const t = expectTensor(op, x);
  const idx = indexOperand(op, indices, "indices");
  const wrapped = where(lt(idx, 0), add(idx, t.size), idx);
  return reshape(
    naming(
      op,
      () => gather(reshape(t, [-1]), 0, reshape(wrapped, [-1])),
      (position) => unravel(position[0], idx.shape),
    ),
    idx.shape,
  );
}

export type ScatterReduce = "sum" | "prod" | "mean" | "amax" | "amin";
const REDUCES: readonly ScatterReduce[] = ["sum", "prod", "mean", "amax", "amin"];

export interface ScatterOptions {
  /**
   * How sources landing on one slot combine (torch.scatter_reduce): none (the default) writes them,
   * and where several land on one slot their sum is written (PyTorch leaves that order undefined).
   */
  readonly reduce?: ScatterReduce;
  /** With `reduce`, whether the slot's own value joins the reduction (default true); else it is kept only where nothing lands. */
  readonly includeSelf?: boolean;
}

/**
 * A copy of x with src[i][j][k] sent to out[i][index[i][j][k]][k] for axis 1 (torch.scatter, and
 * torch.scatter_reduce with `reduce`). index has x's rank, is no larger than src anywhere nor than x
 * on the other axes. Gradients follow PyTorch: amax/amin share the slot's cotangent evenly among the
 * values equal to the result; prod's is the product of the others (exact at zeros); mean's is
 * divided by the count.
 */
export function scatter(x: Tensor, axis: number, index: Tensor, src: Tensor, options?: ScatterOptions): Tensor {
  const op = "scatter";
  const t = expectTensor(op, x);
  const { reduce, includeSelf = true } = expectOptions<ScatterOptions>(op, options, ["reduce", "includeSelf"]);
  if (reduce !== undefined && !REDUCES.includes(reduce))
    throw invalidArgument(op, `reduce must be one of ${REDUCES.join(", ")}, got ${describe(reduce)}`, { argument: "reduce", got: describe(reduce) });
  if (typeof includeSelf !== "boolean")
    throw invalidArgument(op, `includeSelf must be a boolean, got ${describe(includeSelf)}`, { argument: "includeSelf", got: describe(includeSelf) });
  const idx = indexOperand(op, index);
  if (!(src instanceof Tensor)) throw invalidArgument(op, `src must be a Tensor, got ${describe(src)}`, { argument: "src", got: describe(src) });
  if (t.rank === 0) throw invalidArgument(op, "x must have at least one axis, got a scalar (shape [])", { shape: [] });
  const a = normalizeAxis(op, axis, t.rank);
  const s = sourceFor(op, t, idx, src, a);
  const hits = naming(op, () => scatterAdd(zerosLike(t), a, idx, fullLike(s, 1).detach()));
  const hit = gt(hits.detach(), 0);
  if (reduce === undefined) return where(hit, scatterAdd(zerosLike(t), a, idx, s), t);
  if (reduce === "sum" || reduce === "mean") {
    const base = includeSelf ? t : where(hit, 0, t);
    const total = scatterAdd(base, a, idx, s);
    if (reduce === "sum") return total;
    return div(total, where(hit, add(hits, includeSelf ? 1 : 0), 1));
  }
  const reduced = candidatesReduced(t, a, idx, s, reduce, includeSelf);
  return includeSelf ? reduced : where(hit, reduced, t);
}

/** src cut to index's shape (the part scatter reads), checked as scatterAdd checks it. */
function sourceFor(op: string, x: Tensor, index: Tensor, src: Tensor, axis: number): Tensor {
  if (src.dtype !== x.dtype) throw new AdError("DTypeMismatch", `x has dtype ${x.dtype} but src has ${src.dtype}`, { op, dtypes: [x.dtype, src.dtype] });
  const fits = index.rank === x.rank && src.rank === x.rank && index.shape.every((d, i) => d <= src.shape[i] && (i === axis || d <= x.shape[i]));
  if (!fits)
    throw new AdError(
      "ShapeMismatch",
      `index ${formatShape(index.shape)} must have x's rank and be no larger than src ${formatShape(src.shape)}, nor than x ${formatShape(x.shape)} but on axis ${axis}`,
      {
        op,
        shapes: [[...x.shape], [...index.shape], [...src.shape]],
        axis,
      },
    );
  return sameShape(index.shape, src.shape)
    ? src
    : slice(
        src,
        index.shape.map((d) => [0, d]),
      );
}

/**
 * prod/amax/amin of each slot: with the axis moved last, a [..., m, n] matrix holding source j in
 * row j where index says slot n (the neutral value elsewhere), the slot's own value as one more row,
 * reduced over the rows.
 */
function candidatesReduced(x: Tensor, axis: number, index: Tensor, src: Tensor, reduce: "prod" | "amax" | "amin", includeSelf: boolean): Tensor {
  const last = (v: Tensor) => permute(v, [...v.shape.keys()].filter((i) => i !== axis).concat(axis));
  const neutral = reduce === "prod" ? 1 : reduce === "amax" ? -Infinity : Infinity;
  const n = x.shape[axis];
  const slots = arange(0, n, 1, { dtype: "int32", device: x.device });
  const lands = eq(unsqueeze(last(index), -1), slots);
  let rows = where(lands, unsqueeze(last(src), -1), neutral);
  const xl = last(x);
  const short = xl.shape.slice(0, -1).map((d, i) => [0, d - rows.shape[i]] as [number, number]);
  if (short.some(([, w]) => w > 0)) rows = pad(rows, [...short, [0, 0], [0, 0]], neutral);
  if (includeSelf) rows = concat([unsqueeze(xl, -2), rows], -2);
  const reduced = rows.shape[rows.rank - 2] === 0 ? fullLike(xl, neutral) : (reduce === "prod" ? prod : reduce === "amax" ? max : min)(rows, -2);
  const order = [...x.shape.keys()].filter((i) => i !== axis).concat(axis);
  return permute(
    reduced,
    order.map((_, i) => order.indexOf(i)),
  );
}

export interface MeshgridOptions {
  /** "ij" (the default, matrix indexing: output i varies along axis i) or "xy" (Cartesian: the first two axes swapped). */
  readonly indexing?: "ij" | "xy";
}

/**
 * Coordinate grids from 1-D tensors (torch.meshgrid): each output has shape [n₀, n₁, …] ("ij") or
 * [n₁, n₀, …] ("xy") and holds its input along its own axis. Expanded views of the inputs.
 */
export function meshgrid(...args: readonly Tensor[] | readonly [...Tensor[], MeshgridOptions]): Tensor[] {
  const op = "meshgrid";
  const last = args[args.length - 1];
  const hasOptions = last !== undefined && !(last instanceof Tensor) && !Array.isArray(last);
  const tensors: unknown[] = hasOptions ? args.slice(0, -1) : [...args];
  const { indexing = "ij" } = expectOptions<MeshgridOptions>(op, hasOptions ? last : undefined, ["indexing"]);
  if (indexing !== "ij" && indexing !== "xy")
    throw invalidArgument(op, `indexing must be "ij" or "xy", got ${describe(indexing)}`, { argument: "indexing", got: describe(indexing) });
  const ts = tensors.map((t, i) => {
    if (!(t instanceof Tensor) || t.rank !== 1)
      throw invalidArgument(op, `tensors[${i}] must be a 1-D Tensor, got ${t instanceof Tensor ? formatShape(t.shape) : describe(t)}`, { argument: "tensors", index: i });
    return t;
  });
  const sizes = ts.map((t) => t.shape[0]);
  const swap = indexing === "xy" && ts.length >= 2;
  const position = (i: number) => (swap && i < 2 ? 1 - i : i);
  const shape = ts.map((_, i) => sizes[position(i)]);
  return ts.map((t, i) => {
    const at = position(i);
    return expand(
      reshape(
        t,
        shape.map((d, j) => (j === at ? d : 1)),
      ),
      shape,
    );
  });
}

/** One entry of `index`: a slice spec (an integer, a range, null), an int32 tensor of positions or a bool mask. */
export type IndexSpec = SliceSpec | Tensor;

/**
 * x indexed as NumPy and PyTorch index with brackets: `index(x, null, idx)` is `x[:, idx]`. Each
 * spec is a slice spec (see `slice`), an int32 tensor of positions along its axis (negative ones
 * count from the end) or a bool mask over as many axes as it has, shaped as they are, which stands for
 * the positions of its true elements (`index(x, mask)` is `x[mask]`: [count, ...rest]; the count
 * comes from the mask's values, so a mask is read eagerly, never under jit or vmap). The tensors broadcast together to a shape B that replaces their axes: where
 * they are adjacent B stands in their place, else first (NumPy's rule). A gather, so the gradient
 * adds back at the positions read, repeats included.
 */
export function index(x: Tensor, ...given: readonly IndexSpec[]): Tensor {
  const op = "index";
  const t = expectTensor(op, x);
  const specs = withMasksRead(op, t, given);
  if (specs.length > t.rank) throw new AdError("ShapeMismatch", `index got ${specs.length} specs for a tensor of shape ${formatShape(t.shape)}`, { op, shape: [...t.shape] });
  specs.forEach((s, i) => {
    if (s instanceof Tensor && s.dtype !== "int32")
      throw invalidArgument(op, `a tensor spec must be int32 positions or a bool mask, got ${s.dtype} at spec ${i}`, {
        argument: "specs",
        index: i,
        dtype: s.dtype,
      });
  });
  // The slice specs first (a tensor's axis kept whole), noting where each tensor's axis lands.
  const axes: number[] = [];
  const specAxes: number[] = [];
  const tensors: Tensor[] = [];
  let kept = 0;
  const sliceSpecs = specs.map((s, i) => {
    if (s instanceof Tensor) {
      specAxes.push(i);
      axes.push(kept++);
      tensors.push(s);
      return null;
    }
    if (typeof s !== "number") kept++;
    return s;
  });
  const sliced = sliceAs(op, t, sliceSpecs);
  if (tensors.length === 0) return sliced;
  const batch = tensors.reduce<number[]>((shape, s) => broadcastShapes(op, shape, s.shape), []);
  const sizes = axes.map((a) => sliced.shape[a]);
  // Each position checked against its axis (a gather from that axis' positions raises out of range),
  // negative ones wrapped, then the indexed axes flattened to one and read by one gather.
  let flatIndex: Tensor | undefined;
  tensors.forEach((s, k) => {
    const wrapped = where(lt(s, 0), add(s, sizes[k]), s);
    const positions = arange(0, sizes[k], 1, { dtype: "int32", device: t.device });
    const checked = naming(
      op,
      () => gather(positions, 0, reshape(wrapped, [-1])),
      (p) => unravel(p[0], s.shape),
      specAxes[k],
    );
    const component = expand(reshape(checked, s.shape), batch);
    flatIndex = flatIndex === undefined ? component : add(mul(flatIndex, sizes[k]), component);
  });
  const rest = sliced.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  const front = permute(sliced, [...axes, ...rest]);
  const restShape = rest.map((i) => sliced.shape[i]);
  const picked = gather(reshape(front, [sizeOfShape(sizes), ...restShape]), 0, expand(reshape(flatIndex!, [-1, ...restShape.map(() => 1)]), [sizeOfShape(batch), ...restShape]));
  const out = reshape(picked, [...batch, ...restShape]);
  const adjacent = axes.every((a, i) => i === 0 || a === axes[i - 1] + 1);
  if (!adjacent || axes[0] === 0) return out;
  // Adjacent tensors put B where their axes were: move it after the axes that came before.
  const before = axes[0];
  const order = [...batch.keys()];
  const perm = [...Array<number>(before).keys()].map((i) => batch.length + i);
  return permute(out, [...perm, ...order, ...restShape.slice(before).map((_, i) => batch.length + before + i)]);
}

/** The specs with each bool mask replaced by its true elements' positions, one int32 spec per axis it covers. */
function withMasksRead(op: string, t: Tensor, specs: readonly IndexSpec[]): IndexSpec[] {
  let axis = 0;
  return specs.flatMap((s, i) => {
    if (!(s instanceof Tensor) || s.dtype !== "bool") {
      axis++;
      return [s];
    }
    if (s.rank === 0) throw invalidArgument(op, `a 0-d mask (x[True]) is not supported at spec ${i}; unsqueeze x instead`, { argument: "specs", index: i });
    const covered = t.shape.slice(axis, axis + s.rank);
    if (!sameShape(covered, s.shape))
      throw new AdError("ShapeMismatch", `the mask at spec ${i} is ${formatShape(s.shape)} but the axes it covers from axis ${axis} are ${formatShape(covered)}`, {
        op,
        shape: [...t.shape],
        maskShape: [...s.shape],
        index: i,
      });
    axis += s.rank;
    return maskPositions(op, s);
  });
}

/** slice(t, specs), a bad spec reported under `op`, the function the user called. */
function sliceAs(op: string, t: Tensor, specs: readonly SliceSpec[]): Tensor {
  try {
    return slice(t, specs);
  } catch (error) {
    if (!(error instanceof AdError) || error.details.op !== "slice") throw error;
    throw new AdError(error.code, error.message.slice("slice: ".length), { ...error.details, op });
  }
}

function sizeOfShape(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
