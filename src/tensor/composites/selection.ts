/**
 * The ops whose result's shape depends on the input's values: nonzero (argwhere), maskedSelect and
 * unique. They read their input, so they run eagerly on a device that reads synchronously; under
 * jit, vmap or trace, where values are abstract, they are an `UnsupportedOp` saying why. Values
 * come out through `gather`, so maskedSelect's gradient flows back to the selected elements.
 */
import { AdError, expectBooleanOption, expectOptions } from "../../errors.js";
import { placed } from "../creation.js";
import { allocate, type Storage } from "../dtype.js";
import { bind } from "../primitive.js";
import { argsortP } from "../primitives/sort.js";
import { isAbstract } from "../interpreters/abstract.js";
import { gather } from "../primitives/gather.js";
import { expand, expectTensor } from "../primitives/reduce.js";
import { reshape } from "../primitives/shape.js";
import { broadcastShapes } from "../shape.js";
import type { Tensor } from "../tensor.js";

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

/**
 * The positions of x's nonzero elements (NaN counts), as an int32 [count, rank] tensor in row-major
 * order: torch.nonzero and torch.argwhere. No gradient.
 */
export function nonzero(x: Tensor): Tensor {
  return positions("nonzero", x);
}

/** The same as `nonzero` (torch.argwhere). */
export function argwhere(x: Tensor): Tensor {
  return positions("argwhere", x);
}

function positions(op: string, x: unknown): Tensor {
  const t = expectTensor(op, x);
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
  /** Also return `inverse`: for each element of x, the index of its value in `values` (x's shape). */
  readonly returnInverse?: boolean;
  /** Also return `counts`: how often each of `values` occurs. */
  readonly returnCounts?: boolean;
}

/** unique's results: `inverse` and `counts` (int32) where asked for. */
export interface Unique {
  readonly values: Tensor;
  readonly inverse?: Tensor;
  readonly counts?: Tensor;
}

/**
 * The distinct values of x (flattened), ascending, as torch.unique: with `returnInverse` the index of
 * each element's value, with `returnCounts` each value's count. NaNs are never equal, so each is its
 * own value, after every number. No gradient (nor has PyTorch's).
 */
export function unique(x: Tensor, options?: UniqueOptions): Unique {
  const op = "unique";
  const t = expectTensor(op, x);
  const o = expectOptions<UniqueOptions>(op, options, ["sorted", "returnInverse", "returnCounts"]);
  const sorted = expectBooleanOption(op, "sorted", o.sorted, true);
  const returnInverse = expectBooleanOption(op, "returnInverse", o.returnInverse, false);
  const returnCounts = expectBooleanOption(op, "returnCounts", o.returnCounts, false);
  const values = concreteValues(op, t);
  const n = values.length;
  // Each element's order: by value (the stable sort: NaNs last), else by first appearance.
  const flat = reshape(t.detach(), [n]);
  const order = sorted ? bind(argsortP, [flat], { axis: 0, descending: false }).data() : Int32Array.from({ length: n }, (_, i) => i);
  const inverse = new Int32Array(n);
  const firsts: number[] = [];
  const counts: number[] = [];
  const slot = new Map<number, number>();
  for (const i of order) {
    const v = values[i];
    // A NaN is never equal to another value (Map keys would call NaNs equal).
    let s = v === v ? slot.get(v) : undefined;
    if (s === undefined) {
      s = firsts.length;
      firsts.push(i);
      counts.push(0);
      if (v === v) slot.set(v, s);
    }
    inverse[i] = s;
    counts[s]++;
  }
  const out = allocate(t.dtype, firsts.length, op);
  firsts.forEach((i, k) => (out[k] = values[i]));
  return {
    values: placed(out, t.dtype, [firsts.length], t.device),
    ...(returnInverse ? { inverse: placed(inverse, "int32", [...t.shape], t.device) } : {}),
    ...(returnCounts ? { counts: placed(Int32Array.from(counts), "int32", [counts.length], t.device) } : {}),
  };
}
