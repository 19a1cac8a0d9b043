/**
 * Box constraints lower ≤ x ≤ upper for `lbfgs`: each bound is a number (every variable) or one
 * number per variable (x0's elements in row-major order), ±Infinity for none.
 */
import { AdError, describe, expectLength, invalidArgument } from "../../errors.js";

export interface Box {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

function bound(op: string, name: string, value: unknown, n: number, fallback: number): Float64Array {
  if (value === undefined) return new Float64Array(n).fill(fallback);
  if (typeof value === "number") {
    if (Number.isNaN(value)) throw invalidArgument(op, `${name} must not be NaN`, { argument: name });
    return new Float64Array(n).fill(value);
  }
  const isTyped = ArrayBuffer.isView(value) && !(value instanceof DataView);
  if (!Array.isArray(value) && !isTyped)
    throw invalidArgument(op, `${name} must be a number or an array of numbers, got ${describe(value)}`, { argument: name, got: describe(value) });
  const length = expectLength(op, name, value);
  if (length !== n) throw new AdError("ShapeMismatch", `${name} has ${length} bounds but x0 has ${n} elements`, { op, argument: name, length, variables: n });
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const v: unknown = (value as ArrayLike<unknown>)[i];
    if (typeof v !== "number" || Number.isNaN(v))
      throw invalidArgument(op, `${name}[${i}] must be a number (±Infinity for none), got ${describe(v)}`, { argument: name, index: i, got: describe(v) });
    out[i] = v;
  }
  return out;
}

/** The box the options give, or undefined when they give none. */
export function boxOf(op: string, lower: unknown, upper: unknown, n: number): Box | undefined {
  if (lower === undefined && upper === undefined) return undefined;
  const box = { lower: bound(op, "lower", lower, n, -Infinity), upper: bound(op, "upper", upper, n, Infinity) };
  for (let i = 0; i < n; i++) {
    if (!(box.lower[i] <= box.upper[i])) {
      throw invalidArgument(op, `lower[${i}] = ${box.lower[i]} is above upper[${i}] = ${box.upper[i]}`, { argument: "lower", index: i, lower: box.lower[i], upper: box.upper[i] });
    }
  }
  return box;
}

/** x clipped into the box, in place. */
export function project(box: Box, x: Float64Array): Float64Array {
  for (let i = 0; i < x.length; i++) x[i] = Math.min(box.upper[i], Math.max(box.lower[i], x[i]));
  return x;
}

/** ‖P(x − g) − x‖∞: zero exactly at a stationary point of the constrained problem (SciPy's `pgtol` measure). */
export function projectedGradientNorm(box: Box, x: Float64Array, g: Float64Array): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(Math.min(box.upper[i], Math.max(box.lower[i], x[i] - g[i])) - x[i]));
  return m;
}
