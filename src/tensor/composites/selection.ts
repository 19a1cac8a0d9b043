/**
 * The ops whose result's shape depends on the input's values: nonzero (argwhere), maskedSelect and
 * unique. They read their input, so they run eagerly on a device that reads synchronously; under
 * jit, vmap or trace, where values are abstract, they are an `UnsupportedOp` saying why — except
 * nonzero with a static `size` (as JAX's), which is built from primitives. Values
 * come out through `gather`, so maskedSelect's gradient flows back to the selected elements.
 */
import { AdError, describe, expectBooleanOption, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { arange, placed, zeros } from "../creation.js";
import type { Storage } from "../dtype.js";
import { bind } from "../primitive.js";
import { argsortP } from "../primitives/sort.js";
import { isAbstract } from "../interpreters/abstract.js";
import { gather, indexSelect } from "../primitives/gather.js";
import { floorDiv } from "../primitives/arithmetic.js";
import { lt, ne } from "../primitives/compare.js";
import { stack } from "../primitives/join.js";
import { cumsum, expand, expectTensor } from "../primitives/reduce.js";
import { remainder } from "../primitives/rounding.js";
import { where } from "../primitives/select.js";
import { contiguous, permute, reshape } from "../primitives/shape.js";
import { broadcastShapes, contiguousStrides, MAX_ELEMENTS, normalizeAxis } from "../shape.js";
import { searchsorted } from "./sorting.js";
import { Tensor } from "../tensor.js";

/** x's values in row-major order; refused where they are not known yet (the result's shape needs them). */
function concreteValues(op: string, x: Tensor): Storage {
  if (isAbstract(x)) {
    throw new AdError(
      "UnsupportedOp",
      `${op}'s result has a shape that depends on the values of its input, which are not known under jit, vmap or trace (a program's shapes are fixed when it is traced); call ${op} outside the transformation`,
      { op, shape: [...x.shape] },
    );
  }
  if (x.device.readSync === undefined) {
    throw new AdError(
      "UnsupportedOp",
      `${op} reads its input's values to size its result, and device ${x.device.name} reads only asynchronously; move the input to the host first`,
      {
        op,
        device: x.device.name,
      },
    );
  }
  return x.data();
}

/** Options of nonzero and argwhere. */
export interface NonzeroOptions {
  /** A fixed number of rows (JAX's `size`): the first `size` positions, then rows of `fillValue`; runs under jit and vmap. */
  readonly size?: number;
  /** What fills the rows past the nonzero count when `size` is given (unused without it): 0 by default. */
  readonly fillValue?: number;
}

/**
 * The positions of x's nonzero elements (NaN counts), as an int32 [count, rank] tensor in row-major
 * order: torch.nonzero and torch.argwhere. No gradient. With `{ size }` the result has `size` rows
 * (padded with `fillValue`, or cut short), a static shape, so it also runs under jit and vmap.
 */
export function nonzero(x: Tensor, options?: NonzeroOptions): Tensor {
  return positions("nonzero", x, options);
}

/** The same as `nonzero` (torch.argwhere). */
export function argwhere(x: Tensor, options?: NonzeroOptions): Tensor {
  return positions("argwhere", x, options);
}

function positions(op: string, x: unknown, options: unknown): Tensor {
  const t = expectTensor(op, x);
  // A tensor, genuine or forged, is not options (a forged one's `size` getter would throw a TypeError).
  if (Object.prototype.isPrototypeOf.call(Tensor.prototype, options as object))
    throw invalidArgument(op, `options must be an object, got ${describe(options)}`, { argument: "options", got: describe(options) });
  const o = expectOptions<NonzeroOptions>(op, options, ["size", "fillValue"]);
  const fill = expectInteger(op, "fillValue", o.fillValue ?? 0, -(2 ** 31), 2 ** 31 - 1);
  if (o.size !== undefined) return fixedPositions(t, expectInteger(op, "size", o.size, 0, MAX_ELEMENTS), fill);
  const values = concreteValues(op, t);
  const rank = t.rank;
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) count++;
  const out = new Int32Array(count * rank);
  const index = new Array<number>(rank).fill(0);
  for (let i = 0, k = 0; i < values.length; i++) {
    if (values[i] !== 0) for (let a = 0; a < rank; a++) out[k++] = index[a];
    // The next row-major multi-index.
    for (let a = rank - 1; a >= 0 && ++index[a] === t.shape[a]; a--) index[a] = 0;
  }
  return placed(out, "int32", [count, rank], t.device);
}

/**
 * The first `size` nonzero positions from primitives alone (no value read): the k-th nonzero element
 * is the first whose running count of nonzeros reaches k + 1, found by searchsorted; past the count
 * it is x.size, which becomes `fill`.
 */
function fixedPositions(x: Tensor, size: number, fill: number): Tensor {
  if (x.rank === 0) return zeros([size, 0], { dtype: "int32", device: x.device });
  const n = x.size;
  const running = cumsum(reshape(ne(x.detach(), 0), [n]), 0);
  const flatIndex = searchsorted(running, arange(1, size + 1, 1, { dtype: "int32", device: x.device }));
  const found = lt(flatIndex, n);
  const strides = contiguousStrides(x.shape);
  const coords = x.shape.map((d, a) => where(found, remainder(floorDiv(flatIndex, strides[a]), d), fill));
  return stack(coords, 1);
}

/**
 * The positions of a bool mask's true elements in row-major order, one int32 tensor of them per mask
 * axis: PyTorch's x[mask] is x[*mask.nonzero().unbind(1)], which is how `index` reads a mask spec.
 * The count sizes the result, so the mask's values are read (eager only, as nonzero).
 */
export function maskPositions(op: string, mask: Tensor): Tensor[] {
  const values = concreteValues(op, mask);
  let count = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== 0) count++;
  const coords = mask.shape.map(() => new Int32Array(count));
  const at = new Array<number>(mask.rank).fill(0);
  for (let i = 0, k = 0; i < values.length; i++) {
    if (values[i] !== 0) (coords.forEach((c, a) => (c[k] = at[a])), k++);
    // The next row-major multi-index.
    for (let a = mask.rank - 1; a >= 0 && ++at[a] === mask.shape[a]; a--) at[a] = 0;
  }
  return coords.map((c) => placed(c, "int32", [count], mask.device));
}

/**
 * The elements of x where `mask` (bool, broadcast with x) is true, as a 1-D tensor in row-major
 * order: torch.masked_select. The gradient flows back to the selected elements.
 */
export function maskedSelect(x: Tensor, mask: Tensor): Tensor {
  const op = "maskedSelect";
  const t = expectTensor(op, x);
  const m = expectTensor(op, mask);
  if (m.dtype !== "bool") throw new AdError("DTypeMismatch", `mask must be a bool tensor, got ${m.dtype}`, { op, argument: "mask", dtype: m.dtype });
  const shape = broadcastShapes(op, t.shape, m.shape);
  const picked = concreteValues(op, expand(m, shape));
  let count = 0;
  for (let i = 0; i < picked.length; i++) if (picked[i] !== 0) count++;
  const at = new Int32Array(count);
  for (let i = 0, k = 0; i < picked.length; i++) if (picked[i] !== 0) at[k++] = i;
  const flat = reshape(expand(t, shape), [picked.length]);
  return gather(flat, 0, placed(at, "int32", [count], t.device));
}

/** Options of unique. */
export interface UniqueOptions {
  /** Ascending (the default), or, when false, in order of first appearance. */
  readonly sorted?: boolean;
  /** Also return `inverse`: for each element of x (each slice along `axis`), the index of its value in `values`. */
  readonly returnInverse?: boolean;
  /** Also return `counts`: how often each of `values` occurs. */
  readonly returnCounts?: boolean;
  /** The distinct slices along this axis (compared lexicographically) instead of the distinct elements. */
  readonly axis?: number;
}

/** unique's results: `inverse` and `counts` (int32) where asked for. */
export interface Unique {
  readonly values: Tensor;
  readonly inverse?: Tensor;
  readonly counts?: Tensor;
}

/**
 * The distinct values of x (flattened), ascending, as torch.unique: with `returnInverse` the index of
 * each element's value (x's shape), with `returnCounts` each value's count. With `axis`, the distinct
 * slices along it, in lexicographic order, with an inverse of one index per slice. NaNs are never
 * equal, so each (and each slice holding one) is its own value, after the numbers. No gradient (nor
 * has PyTorch's).
 */
export function unique(x: Tensor, options?: UniqueOptions): Unique {
  const op = "unique";
  const t = expectTensor(op, x);
  const o = expectOptions<UniqueOptions>(op, options, ["sorted", "returnInverse", "returnCounts", "axis"]);
  const sorted = expectBooleanOption(op, "sorted", o.sorted, true);
  const returnInverse = expectBooleanOption(op, "returnInverse", o.returnInverse, false);
  const returnCounts = expectBooleanOption(op, "returnCounts", o.returnCounts, false);
  const axis = o.axis === undefined ? undefined : normalizeAxis(op, o.axis, t.rank);
  // The slices to compare, as rows of `width` values: single elements, or x with `axis` moved first.
  const rows = axis === undefined ? t.detach() : contiguous(moveToFront(t.detach(), axis));
  const values = concreteValues(op, rows);
  const n = axis === undefined ? values.length : t.shape[axis];
  const width = n === 0 ? 0 : values.length / n;
  const order = sorted ? sortedRows(rows, values, n, width) : Int32Array.from({ length: n }, (_, i) => i);
  const inverse = new Int32Array(n);
  const firsts: number[] = [];
  const counts: number[] = [];
  const slot = new Map<number | string, number>();
  for (const i of order) {
    const row = values.subarray(i * width, (i + 1) * width);
    // A slice holding NaN equals no other; -0 and 0 share a key, as they compare equal.
    const key = row.some((v) => v !== v) ? undefined : width === 1 ? row[0] + 0 : row.join(",");
    let s = key === undefined ? undefined : slot.get(key);
    if (s === undefined) {
      s = firsts.length;
      firsts.push(i);
      counts.push(0);
      if (key !== undefined) slot.set(key, s);
    }
    inverse[i] = s;
    counts[s]++;
  }
  const at = placed(Int32Array.from(firsts), "int32", [firsts.length], t.device);
  return {
    values: axis === undefined ? gather(reshape(t.detach(), [n]), 0, at) : indexSelect(t.detach(), axis, at),
    ...(returnInverse ? { inverse: placed(inverse, "int32", axis === undefined ? [...t.shape] : [n], t.device) } : {}),
    ...(returnCounts ? { counts: placed(Int32Array.from(counts), "int32", [counts.length], t.device) } : {}),
  };
}

function moveToFront(x: Tensor, axis: number): Tensor {
  return permute(x, [axis, ...[...x.shape.keys()].filter((a) => a !== axis)]);
}

/** The rows of `values` ([n, width], row-major) in ascending lexicographic order, NaN above every number; ties by index. */
function sortedRows(rows: Tensor, values: Storage, n: number, width: number): Int32Array {
  if (width === 0) return Int32Array.from({ length: n }, (_, i) => i);
  if (width === 1) return bind(argsortP, [reshape(rows, [n])], { axis: 0, descending: false }).data() as Int32Array;
  const order = Array.from({ length: n }, (_, i) => i);
  // Array.prototype.sort is stable: equal rows keep their order.
  order.sort((i, j) => {
    for (let k = 0; k < width; k++) {
      const a = values[i * width + k];
      const b = values[j * width + k];
      if (a < b || (b !== b && a === a)) return -1;
      if (a > b || (a !== a && b === b)) return 1;
    }
    return 0;
  });
  return Int32Array.from(order);
}
