/**
 * Reductions composed from primitives (no rules of their own): variance and std with a
 * `correction`, the running cumprod, cummax, cummin and logcumsumexp, the truth reductions any and
 * all, and nansum and nanmean, which skip NaNs.
 *
 * cumprod and logcumsumexp reduce an [..., n, n] matrix whose row i holds x₀ … xᵢ and a neutral
 * filler after: O(n²) work, but each is then exactly prod's or logsumexp's value and derivative
 * (cumprod's gradient stays exact at zeros, where a cumsum of logs would not). cummax and cummin
 * find their indices with the `cumArgExtreme` primitive (O(n)) and gather their values.
 */
import { AdError, describe, expectOptions, invalidArgument } from "../../errors.js";
import { isFloat, isInteger } from "../dtype.js";
import { div, mul, sub } from "../primitives/arithmetic.js";
import { eq, gt, ne } from "../primitives/compare.js";
import { gather } from "../primitives/gather.js";
import { asFloat, countable, expectFloat } from "../primitives/lift.js";
import { axesOf, expand, expectKeepDims, expectTensor, mean, prod, sum } from "../primitives/reduce.js";
import { where } from "../primitives/select.js";
import { permute, unsqueeze } from "../primitives/shape.js";
import { cumArgExtremeP } from "../primitives/sort.js";
import { bind } from "../primitive.js";
import { upperMask } from "../primitives/triangle.js";
import { sqrt } from "../primitives/unary.js";
import { normalizeAxis, type Shape } from "../shape.js";
import type { Tensor } from "../tensor.js";
import type { Reduced, ValuesIndices } from "../types.js";
import { isnan } from "./elementwise.js";
import { logsumexp } from "./softmax.js";

/** Options of variance and std. */
export interface VarianceOptions<K extends boolean = boolean> {
  /** Subtracted from the count in the divisor: 1 (the default) is Bessel's unbiased estimate, 0 the population variance. */
  readonly correction?: number;
  readonly keepDims?: K;
}

function countOf(x: Tensor, axes: readonly number[]): number {
  return axes.reduce((n, a) => n * x.shape[a], 1);
}

/**
 * Σ (x − mean)² / max(n − correction, 0) over `axis` (all axes by default), as PyTorch's var: int32
 * and bool promote to float32; one element with correction 1 is 0/0 = NaN, an empty axis NaN.
 */
export function variance<S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  options?: VarianceOptions<K>,
): Tensor<Reduced<S, A, K>>;
export function variance(x: Tensor, axis?: number | readonly number[], options?: VarianceOptions): Tensor {
  return varianceOf("variance", x, axis, options);
}

/** √variance, with the same `axis`, `correction` and `keepDims`. */
export function std<S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  options?: VarianceOptions<K>,
): Tensor<Reduced<S, A, K>>;
export function std(x: Tensor, axis?: number | readonly number[], options?: VarianceOptions): Tensor {
  return sqrt(varianceOf("std", x, axis, options));
}

function varianceOf(op: string, x: unknown, axis: number | readonly number[] | undefined, options: unknown): Tensor {
  const t = asFloat(expectTensor(op, x));
  const { correction = 1, keepDims = false } = expectOptions<VarianceOptions>(op, options, ["correction", "keepDims"]);
  if (typeof correction !== "number" || !Number.isFinite(correction))
    throw invalidArgument(op, `correction must be a finite number, got ${describe(correction)}`, { argument: "correction", got: describe(correction) });
  const keep = expectKeepDims(op, keepDims);
  const axes = axesOf(op, t, axis);
  const d = sub(t, mean(t, axes, true));
  return div(sum(mul(d, d), axes, keep), Math.max(countOf(t, axes) - correction, 0));
}

/**
 * x moved so `axis` is last and spread to [..., n, n], row i holding x₀ … xᵢ and `filler` after,
 * with the permutation that moves the result's last axis back.
 */
function prefixRows(op: string, x: Tensor, axis: number, filler: number | Tensor): { rows: Tensor; back: (r: Tensor) => Tensor } {
  const a = normalizeAxis(op, axis, x.rank);
  const order = [...x.shape.keys()].filter((i) => i !== a).concat(a);
  const inverse = order.map((_, i) => order.indexOf(i));
  const last = permute(x, order);
  const n = x.shape[a];
  const full = expand(unsqueeze(last, -2), [...last.shape.slice(0, -1), n, n]);
  return { rows: where(upperMask(n, x.device), filler, full), back: (r) => permute(r, inverse) };
}

function expectAxis(op: string, axis: unknown): number {
  if (typeof axis !== "number") throw invalidArgument(op, `axis must be an integer, got ${describe(axis)}`, { argument: "axis", got: describe(axis) });
  return axis;
}

/** Running products along `axis`: yᵢ = Πⱼ≤ᵢ xⱼ, with prod's gradient (exact where x has zeros). */
export function cumprod<S extends Shape>(x: Tensor<S>, axis: number): Tensor<S>;
export function cumprod(x: Tensor, axis: number): Tensor {
  const op = "cumprod";
  const t = countable(expectTensor(op, x));
  const { rows, back } = prefixRows(op, t, expectAxis(op, axis), 1);
  return back(prod(rows, -1));
}

function runningExtreme(op: string, x: unknown, axis: unknown, extreme: "max" | "min"): ValuesIndices {
  const t = expectTensor(op, x);
  if (!isFloat(t.dtype) && !isInteger(t.dtype) && t.dtype !== "bool")
    throw new AdError("DTypeMismatch", `${op} needs a float, integer or bool tensor, got ${t.dtype}`, { op, dtype: t.dtype });
  const a = normalizeAxis(op, expectAxis(op, axis), t.rank);
  const indices = bind(cumArgExtremeP, [t.detach()], { axis: a, extreme });
  return { values: gather(t, a, indices), indices };
}

/**
 * The running maximum along `axis` and where it came from (int32), as torch.cummax: a tie moves the
 * index to the later element, a NaN takes it and keeps it. The gradient goes to that element.
 */
export function cummax<S extends Shape>(x: Tensor<S>, axis: number): ValuesIndices<S>;
export function cummax(x: Tensor, axis: number): ValuesIndices {
  return runningExtreme("cummax", x, axis, "max");
}

/** The running minimum along `axis` and where it came from, as torch.cummin (ties and NaN as cummax). */
export function cummin<S extends Shape>(x: Tensor<S>, axis: number): ValuesIndices<S>;
export function cummin(x: Tensor, axis: number): ValuesIndices {
  return runningExtreme("cummin", x, axis, "min");
}

/** Running log Σⱼ≤ᵢ exp(xⱼ) along `axis`, without overflow (logsumexp of each prefix); int32 and bool promote to float32. */
export function logcumsumexp<S extends Shape>(x: Tensor<S>, axis: number): Tensor<S>;
export function logcumsumexp(x: Tensor, axis: number): Tensor {
  const op = "logcumsumexp";
  const t = asFloat(expectTensor(op, x));
  const { rows, back } = prefixRows(op, t, expectAxis(op, axis), -Infinity);
  return back(logsumexp(rows, -1));
}

/** A reduction over `axis` (all axes by default) with `sum`'s signature: the result's static shape follows the axes and keepDims. */
type AxisReduction = <S extends Shape, const A extends number | readonly number[] | undefined = undefined, const K extends boolean = false>(
  x: Tensor<S>,
  axis?: A,
  keepDims?: K,
) => Tensor<Reduced<S, A, K>>;

/** The reduction `op`: checks x, the axes and keepDims (naming `op`), then computes `body`. */
function axisReduction(op: string, body: (t: Tensor, axes: readonly number[], keepDims: boolean) => Tensor): AxisReduction {
  return ((x: Tensor, axis?: number | readonly number[], keepDims: boolean = false) => {
    const t = expectTensor(op, x);
    return body(t, axesOf(op, t, axis), expectKeepDims(op, keepDims));
  }) as AxisReduction;
}

/** True where any element over `axis` (all axes by default) is nonzero (NaN counts); false over none. Any dtype; bool result. */
export const any = axisReduction("any", (t, axes, keep) => gt(sum(ne(t.detach(), 0), axes, keep), 0));

/** True where every element over `axis` (all axes by default) is nonzero (NaN counts); true over none. Any dtype; bool result. */
export const all = axisReduction("all", (t, axes, keep) => eq(sum(eq(t.detach(), 0), axes, keep), 0));

/** Σ over `axis` treating NaN as 0 (its gradient there is 0); int32 and bool sum as `sum` does. */
export const nansum = axisReduction("nansum", (x, axes, keep) => {
  const t = countable(x);
  return sum(where(isnan(t), 0, t), axes, keep);
});

/** The mean over `axis` of the elements that are not NaN (a float tensor, as PyTorch); NaN where all are. */
export const nanmean = axisReduction("nanmean", (x, axes, keep) => {
  const t = expectFloat("nanmean", x);
  // x = x is false exactly at NaN: the count of the rest.
  return div(sum(where(isnan(t), 0, t), axes, keep), sum(eq(t, t), axes, keep));
});
