/**
 * The softmax family, composed from primitives (no rules of their own): logsumexp, softmax and
 * logSoftmax. Each shifts by the detached max, which leaves the value unchanged (so the gradient
 * is exact) but keeps exp from overflowing: the largest exponent is 0.
 */
import { describe, invalidArgument } from "../../errors.js";
import { add, sub } from "../primitives/arithmetic.js";
import { eq } from "../primitives/compare.js";
import { asFloat, expectFloat } from "../primitives/lift.js";
import { max, sum } from "../primitives/reduce.js";
import { where } from "../primitives/select.js";
import { reshape } from "../primitives/shape.js";
import { exp, log } from "../primitives/unary.js";
import { zeros } from "../creation.js";
import { expectAxisList, normalizeAxis, type Shape } from "../shape.js";
import { Tensor } from "../tensor.js";
import type { Reduced } from "../types.js";

function expectTensor(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  return x;
}

function expectFloatTensor(op: string, x: unknown): Tensor {
  return expectFloat(op, expectTensor(op, x));
}

function expectKeepDims(op: string, keepDims: unknown): boolean {
  if (typeof keepDims !== "boolean") throw invalidArgument(op, `keepDims must be a boolean, got ${describe(keepDims)}`, { argument: "keepDims", got: describe(keepDims) });
  return keepDims;
}

/**
 * The max over `axis` with size-1 axes kept, cut from the graph (a constant); 0 where it is not
 * finite, so a group that is all −∞ gives −∞ (not NaN) and one holding +∞ gives +∞.
 */
// In primitives, so `trace` records it: m − m is 0 exactly where m is finite (NaN for ±∞ and NaN).
const finiteOrZero = (m: Tensor): Tensor => where(eq(sub(m, m), 0), m, 0);

function detachedShift(x: Tensor, axes: readonly number[]): Tensor {
  if (axes.some((a) => x.shape[a] === 0))
    return zeros(
      x.shape.map((d, i) => (axes.includes(i) ? 1 : d)),
      { dtype: x.dtype },
    );
  return finiteOrZero(max(x.detach(), axes, true));
}

function axesOf(op: string, x: Tensor, axis: unknown): number[] {
  if (axis === undefined) return x.shape.map((_, i) => i);
  const list: unknown = typeof axis === "number" ? [axis] : axis;
  expectAxisList(op, "axis", list);
  const axes = list.map((a) => normalizeAxis(op, a, x.rank));
  if (new Set(axes).size !== axes.length) throw invalidArgument(op, `axis [${list.join(", ")}] repeats an axis`, { axis: [...list] });
  return axes.sort((a, b) => a - b);
}

/** log Σ exp(x) over `axis` (all axes by default), without overflow: m + log Σ exp(x − m), m = max x. */
export function logsumexp<S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  keepDims?: K,
): Tensor<Reduced<S, A, K>>;
export function logsumexp(x: Tensor, axis?: number | readonly number[], keepDims = false): Tensor {
  const op = "logsumexp";
  // int32/bool promote to float32, as PyTorch's logsumexp (its softmax and logSoftmax refuse them).
  const t = asFloat(expectTensor(op, x));
  const keep = expectKeepDims(op, keepDims);
  const axes = axesOf(op, t, axis);
  const m = detachedShift(t, axes);
  const lse = add(log(sum(exp(sub(t, m)), axes, true)), m);
  return keep
    ? lse
    : reshape(
        lse,
        t.shape.filter((_, i) => !axes.includes(i)),
      );
}

/** exp(x) / Σ exp(x) along `axis` (the last by default): each slice along it sums to 1. */
export function softmax<S extends Shape>(x: Tensor<S>, axis?: number): Tensor<S>;
export function softmax(x: Tensor, axis = -1): Tensor {
  return exp(shifted("softmax", x, axis));
}

/** x − logsumexp(x) along `axis` (the last by default): log(softmax(x)) without underflow to −∞. */
export function logSoftmax<S extends Shape>(x: Tensor<S>, axis?: number): Tensor<S>;
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return shifted("logSoftmax", x, axis);
}

function shifted(op: string, x: unknown, axis: unknown): Tensor {
  const t = expectFloatTensor(op, x);
  if (typeof axis !== "number") throw invalidArgument(op, `axis must be an integer, got ${describe(axis)}`, { axis: describe(axis) });
  const axes = [normalizeAxis(op, axis, t.rank)];
  // (x − m) − log Σ exp(x − m): subtracting m first keeps the result exact to rounding even where
  // m is large (x − logsumexp(x) would lose the digits of logsumexp's magnitude).
  const z = sub(t, detachedShift(t, axes));
  return sub(z, log(sum(exp(z), axes, true)));
}
