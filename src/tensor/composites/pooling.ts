/**
 * The pooling variants, composed from the 2-D pools and reductions so their gradients come from
 * those rules:
 *
 * - maxPool1d / avgPool1d are the 2-D pools over a unit height.
 * - The adaptive pools split each spatial axis into PyTorch's bins, [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉), and
 *   reduce them one axis at a time (a rectangle's mean or max is that of its rows' means or maxima):
 *   OH + OW reductions, or one plain pool when every bin has the same size and step.
 */
import { AdError, describe, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { expectNCHW } from "../primitives/conv.js";
import { concat } from "../primitives/join.js";
import { avgPool2d, maxPool2d } from "../primitives/pool.js";
import { max, mean } from "../primitives/reduce.js";
import { slice, squeeze, unsqueeze } from "../primitives/shape.js";
import { formatShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { isFloat } from "../dtype.js";

export interface Pool1dOptions {
  /** The window length (≥ 1). */
  readonly kernel: number;
  /** Step between windows (≥ 1). Default: the kernel. */
  readonly stride?: number;
  /** Padding on each side (≥ 0, at most half the kernel). Default 0. */
  readonly padding?: number;
  /** maxPool1d only (PyTorch's average pools have none): the step between a window's taps (≥ 1). Default 1. */
  readonly dilation?: number;
  /** Round the output length up instead of down. Default false. */
  readonly ceilMode?: boolean;
  /** avgPool1d only: whether padding counts in the divisor. Default true. */
  readonly countIncludePad?: boolean;
}

/** A float [N, C, L] tensor, else AdError naming `op`. */
function expectNCL(op: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { argument: "x", got: describe(x) });
  if (x.rank !== 3) throw new AdError("ShapeMismatch", `x must have rank 3 [N, C, L], got shape ${formatShape(x.shape)}`, { op, argument: "x", shape: [...x.shape] });
  if (!isFloat(x.dtype)) throw new AdError("DTypeMismatch", `${op} needs a float tensor, x is ${x.dtype}`, { op, argument: "x", dtype: x.dtype });
  return x;
}

/** 1-D options as the 2-D pool's, over a unit height (with dilation where `dilated`: max pooling); errors keep the 1-D op's name. */
function lift(op: string, options: unknown, dilated = false): Record<string, unknown> {
  const keys: (keyof Pool1dOptions)[] = ["kernel", "stride", "padding", "ceilMode", "countIncludePad", ...(dilated ? (["dilation"] as const) : [])];
  const o = expectOptions<Record<keyof Pool1dOptions, unknown>>(op, options, keys, true);
  if (o.kernel === undefined) throw invalidArgument(op, "options.kernel is required", { argument: "kernel" });
  const k = expectInteger(op, "kernel", o.kernel, 1);
  const one = (name: "stride" | "padding" | "dilation", value: unknown, unit: number): [number, number] | undefined =>
    value === undefined ? undefined : [unit, expectInteger(op, name, value, unit)];
  const lifted = { kernel: [1, k], stride: one("stride", o.stride, 1) ?? [1, k], padding: one("padding", o.padding, 0), ceilMode: o.ceilMode, countIncludePad: o.countIncludePad };
  return dilated ? { ...lifted, dilation: one("dilation", o.dilation, 1) } : lifted;
}

/** `f()` with the 2-D pool's errors renamed to `op`, the function the user called. */
function renamed(op: string, inner: string, f: () => Tensor): Tensor {
  try {
    return f();
  } catch (e) {
    if (e instanceof AdError && e.details.op === inner) throw new AdError(e.code, e.message.slice(inner.length + 2), { ...e.details, op, inner });
    throw e;
  }
}

/** Max pooling of x: [N, C, L] → [N, C, OL], OL = ⌊(L + 2·padding − kernel) / stride⌋ + 1 (⌈⌉ with ceilMode). */
export function maxPool1d(x: Tensor, options: Pool1dOptions): Tensor {
  const op = "maxPool1d";
  const t = expectNCL(op, x);
  const o = lift(op, options, true);
  return squeeze(
    renamed(op, "maxPool2d", () => maxPool2d(unsqueeze(t, 2), o as never)),
    2,
  );
}

/** Average pooling of x: [N, C, L] → [N, C, OL] (sizes and divisor as in `avgPool2d`). */
export function avgPool1d(x: Tensor, options: Pool1dOptions): Tensor {
  const op = "avgPool1d";
  const t = expectNCL(op, x);
  const o = lift(op, options);
  return squeeze(
    renamed(op, "avgPool2d", () => avgPool2d(unsqueeze(t, 2), o as never)),
    2,
  );
}

/** The most bins per axis: each bin is one reduction op, so a size past this is refused rather than run for minutes. */
const MAX_BINS = 4096;

/** An output size (a number, or one per spatial axis), each in [1, MAX_BINS]. */
function expectSizes(op: string, value: unknown, count: number): number[] {
  if (typeof value === "number") return new Array<number>(count).fill(expectInteger(op, "outputSize", value, 1, MAX_BINS));
  if (!Array.isArray(value) || value.length !== count) {
    throw invalidArgument(op, `outputSize must be an integer or ${count} integers ≥ 1, got ${describe(value)}`, { argument: "outputSize", got: describe(value) });
  }
  return value.map((v, i) => expectInteger(op, `outputSize[${i}]`, v, 1, MAX_BINS));
}

type Reduce = (x: Tensor, axis: number) => Tensor;

/** x reduced over PyTorch's adaptive bins along `axis` into `out` bins. */
function adaptiveAlong(x: Tensor, axis: number, out: number, reduce: Reduce): Tensor {
  const size = x.shape[axis];
  if (size === out) return x;
  const bins: Tensor[] = [];
  for (let i = 0; i < out; i++) {
    const spec: ([number, number] | null)[] = x.shape.map(() => null);
    spec[axis] = [Math.floor((i * size) / out), Math.ceil(((i + 1) * size) / out)];
    bins.push(reduce(slice(x, spec), axis));
  }
  return concat(bins, axis);
}

/** The adaptive pool of checked x over its trailing spatial axes (an empty one is refused: its bins would be empty). */
function adaptive(op: string, x: Tensor, sizes: number[], reduce: Reduce): Tensor {
  const first = x.rank - sizes.length;
  if (x.shape.slice(first).some((d) => d < 1))
    throw new AdError("ShapeMismatch", `x ${formatShape(x.shape)} has an empty spatial axis`, { op, x: [...x.shape], outputSize: sizes });
  return sizes.reduce((y, out, i) => adaptiveAlong(y, first + i, out, reduce), x);
}

const meanOf: Reduce = (x, axis) => mean(x, axis, true);
const maxOf: Reduce = (x, axis) => max(x, axis, true);

/**
 * Adaptive average pooling of x: [N, C, H, W] → [N, C, OH, OW]: output (i, j) is the mean of rows
 * [⌊i·H/OH⌋, ⌈(i+1)·H/OH⌉) and the columns alike (PyTorch's bins). When H and W are multiples of
 * the output size this is one avgPool2d.
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: number | readonly [number, number]): Tensor {
  const op = "adaptiveAvgPool2d";
  const t = expectNCHW(op, "x", x);
  const [oh, ow] = expectSizes(op, outputSize, 2);
  const [, , H, W] = t.shape;
  if (H % oh === 0 && W % ow === 0 && H > 0 && W > 0) return avgPool2d(t, { kernel: [H / oh, W / ow] });
  return adaptive(op, t, [oh, ow], meanOf);
}

/** Adaptive average pooling of x: [N, C, L] → [N, C, OL] over PyTorch's bins. */
export function adaptiveAvgPool1d(x: Tensor, outputSize: number): Tensor {
  const op = "adaptiveAvgPool1d";
  return adaptive(op, expectNCL(op, x), expectSizes(op, outputSize, 1), meanOf);
}

/**
 * Adaptive max pooling of x: [N, C, H, W] → [N, C, OH, OW] over PyTorch's bins. A tie inside a bin
 * shares the gradient, as `max` does (PyTorch gives it all to one element).
 */
export function adaptiveMaxPool2d(x: Tensor, outputSize: number | readonly [number, number]): Tensor {
  const op = "adaptiveMaxPool2d";
  const t = expectNCHW(op, "x", x);
  const [oh, ow] = expectSizes(op, outputSize, 2);
  const [, , H, W] = t.shape;
  if (H % oh === 0 && W % ow === 0 && H > 0 && W > 0) return maxPool2d(t, { kernel: [H / oh, W / ow] });
  return adaptive(op, t, [oh, ow], maxOf);
}

/** Adaptive max pooling of x: [N, C, L] → [N, C, OL] over PyTorch's bins (a tie in a bin shares the gradient). */
export function adaptiveMaxPool1d(x: Tensor, outputSize: number): Tensor {
  const op = "adaptiveMaxPool1d";
  return adaptive(op, expectNCL(op, x), expectSizes(op, outputSize, 1), maxOf);
}
