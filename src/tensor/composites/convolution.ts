/**
 * The convolution variants, composed from the conv2d primitives so every one differentiates to any
 * order through their rules:
 *
 * - conv1d is conv2d over a unit height: the same kernel loops, no copy (a reshape of x and w).
 * - conv3d is KD conv2d calls, one per depth tap, the output depths folded into the batch.
 * - convTranspose2d is conv2d's input gradient, `conv2dInputGrad`, which is a primitive already;
 *   convTranspose1d is it over a unit height.
 * - unfold (im2col) is a convolution with one-hot kernels, one per tap, on each channel alone; fold
 *   is its adjoint, the input gradient of that convolution.
 */
import type { Pair, WindowGeometry } from "../../backends/geometry.js";
import { AdError, describe, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { isFloat } from "../dtype.js";
import { eye } from "../creation.js";
import { bind } from "../primitive.js";
import { conv2d, conv2dInputGradP, expectGroups, expectNCHW, expectPair, perGroup, type PairLike } from "../primitives/conv.js";
import { add } from "../primitives/arithmetic.js";
import { pad } from "../primitives/join.js";
import { reshape, slice, squeeze, transpose, unsqueeze } from "../primitives/shape.js";
import { formatShape } from "../shape.js";
import { Tensor } from "../tensor.js";
import { windowCount } from "../../backends/geometry.js";

export interface Conv1dOptions {
  /** Step between windows (≥ 1). Default 1. */
  readonly stride?: number;
  /** Zeros added on each side (≥ 0). Default 0. */
  readonly padding?: number;
  /** Spacing between kernel taps (≥ 1). Default 1. */
  readonly dilation?: number;
  /** Channel groups (≥ 1, dividing C and F); groups = C is depthwise. Default 1. */
  readonly groups?: number;
}

/** A float tensor of rank 3 [N, C, L] (`what` names its layout in the error), else AdError. */
function expectNCL(op: string, name: string, value: unknown, what = "[N, C, L]"): Tensor {
  if (!(value instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(value)}`, { argument: name, got: describe(value) });
  if (value.rank !== 3)
    throw new AdError("ShapeMismatch", `${name} must have rank 3 ${what}, got shape ${formatShape(value.shape)}`, { op, argument: name, shape: [...value.shape] });
  if (!isFloat(value.dtype)) throw new AdError("DTypeMismatch", `${op} needs float tensors, ${name} is ${value.dtype}`, { op, argument: name, dtype: value.dtype });
  return value;
}

/** A 1-D option as the 2-D pair [1-side value for the unit height, value]. */
const lift1d = (op: string, name: string, value: unknown, fallback: number, min: number, unit: number): Pair => [
  unit,
  value === undefined ? fallback : expectInteger(op, name, value, min),
];

/**
 * 1-D convolution (cross-correlation) of x: [N, C, L] with w: [F, C / groups, K] → [N, F, OL],
 * OL = ⌊(L + 2·padding − dilation·(K − 1) − 1) / stride⌋ + 1: conv2d over a unit height.
 */
export function conv1d(x: Tensor, w: Tensor, options: Conv1dOptions = {}): Tensor {
  const op = "conv1d";
  const xt = expectNCL(op, "x", x);
  const wt = expectNCL(op, "w", w, "[F, C / groups, K]");
  const o = expectOptions<Record<keyof Conv1dOptions, unknown>>(op, options, ["stride", "padding", "dilation", "groups"]);
  const geo = {
    stride: lift1d(op, "stride", o.stride, 1, 1, 1)[1],
    padding: lift1d(op, "padding", o.padding, 0, 0, 0)[1],
    dilation: lift1d(op, "dilation", o.dilation, 1, 1, 1)[1],
    groups: expectGroups(op, o.groups, xt.shape[1], wt.shape[0]),
  };
  expectGroupedChannels(op, xt, wt, 1, geo.groups);
  const y = conv2d(unsqueeze(xt, 2), unsqueeze(wt, 2), { stride: [1, geo.stride], padding: [0, geo.padding], dilation: [1, geo.dilation], groups: geo.groups });
  return squeeze(y, 2);
}

/** ShapeMismatch unless x's channels are w's dim `axis` times `groups`. */
function expectGroupedChannels(op: string, x: Tensor, w: Tensor, axis: number, groups: number): void {
  if (x.shape[1] !== w.shape[axis] * groups) {
    throw new AdError(
      "ShapeMismatch",
      `x has ${x.shape[1]} channels but w has ${w.shape[axis]} per group × ${groups} groups (x ${formatShape(x.shape)}, w ${formatShape(w.shape)})`,
      {
        op,
        x: [...x.shape],
        w: [...w.shape],
        groups,
      },
    );
  }
}

/** A per-axis integer argument for 3-D: a number for all three axes, or [D, H, W]. */
export type TripleLike = number | readonly [number, number, number];

export interface Conv3dOptions {
  readonly stride?: TripleLike;
  readonly padding?: TripleLike;
  readonly dilation?: TripleLike;
  /** Channel groups (≥ 1, dividing C and F). Default 1. */
  readonly groups?: number;
}

/** A `TripleLike` option as [d, h, w] integers ≥ min. */
function expectTriple(op: string, name: string, value: unknown, fallback: number, min: number): [number, number, number] {
  if (value === undefined) return [fallback, fallback, fallback];
  if (typeof value === "number") {
    const n = expectInteger(op, name, value, min);
    return [n, n, n];
  }
  if (!Array.isArray(value) || value.length !== 3) {
    throw invalidArgument(op, `${name} must be an integer or [d, h, w] integers ≥ ${min}, got ${describe(value)}`, { argument: name, got: describe(value) });
  }
  return [expectInteger(op, `${name}[0]`, value[0], min), expectInteger(op, `${name}[1]`, value[1], min), expectInteger(op, `${name}[2]`, value[2], min)];
}

/** A float tensor of rank 5 (`what` names its layout), else AdError. */
function expectNCDHW(op: string, name: string, value: unknown, what: string): Tensor {
  if (!(value instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(value)}`, { argument: name, got: describe(value) });
  if (value.rank !== 5)
    throw new AdError("ShapeMismatch", `${name} must have rank 5 ${what}, got shape ${formatShape(value.shape)}`, { op, argument: name, shape: [...value.shape] });
  if (!isFloat(value.dtype)) throw new AdError("DTypeMismatch", `${op} needs float tensors, ${name} is ${value.dtype}`, { op, argument: name, dtype: value.dtype });
  return value;
}

/**
 * 3-D convolution of x: [N, C, D, H, W] with w: [F, C / groups, KD, KH, KW] → [N, F, OD, OH, OW]
 * (sizes as in conv2d, per axis). Composed as KD 2-D convolutions: for each depth tap kd, the input
 * planes it reads at every output depth (a strided slice along D) are folded into the batch and
 * convolved with w[:, :, kd]; the KD results are summed. So it costs what the 3-D loops would, in
 * KD calls, and differentiates through conv2d's rules.
 */
export function conv3d(x: Tensor, w: Tensor, options: Conv3dOptions = {}): Tensor {
  const op = "conv3d";
  const xt = expectNCDHW(op, "x", x, "[N, C, D, H, W]");
  const wt = expectNCDHW(op, "w", w, "[F, C / groups, KD, KH, KW]");
  const o = expectOptions<Record<keyof Conv3dOptions, unknown>>(op, options, ["stride", "padding", "dilation", "groups"]);
  const stride = expectTriple(op, "stride", o.stride, 1, 1);
  const padding = expectTriple(op, "padding", o.padding, 0, 0);
  const dilation = expectTriple(op, "dilation", o.dilation, 1, 1);
  const groups = expectGroups(op, o.groups, xt.shape[1], wt.shape[0]);
  expectGroupedChannels(op, xt, wt, 1, groups);
  const [N, C, D, H, W] = xt.shape;
  const [F, , KD] = wt.shape;
  const OD = windowCount(D, KD, stride[0], padding[0], dilation[0]);
  if (!(OD >= 1)) {
    throw new AdError(
      "ShapeMismatch",
      `the output would be empty (depth ${OD}): the dilated kernel is deeper than the padded input (x ${formatShape(xt.shape)}, w ${formatShape(wt.shape)})`,
      {
        op,
        x: [...xt.shape],
        w: [...wt.shape],
      },
    );
  }
  const padded =
    padding[0] === 0
      ? xt
      : pad(xt, [
          [0, 0],
          [0, 0],
          [padding[0], padding[0]],
          [0, 0],
          [0, 0],
        ]);
  const geo = { stride: [stride[1], stride[2]] as const, padding: [padding[1], padding[2]] as const, dilation: [dilation[1], dilation[2]] as const, groups };
  let sum: Tensor | null = null;
  for (let kd = 0; kd < KD; kd++) {
    const start = kd * dilation[0];
    // The planes tap kd reads, one per output depth: [N, C, OD, H, W] → [N·OD, C, H, W].
    const planes = slice(padded, [null, null, [start, start + (OD - 1) * stride[0] + 1, stride[0]]]);
    const batch = reshape(transpose(planes, 1, 2), [N * OD, C, H, W]);
    const tap = reshape(slice(wt, [null, null, [kd, kd + 1]]), [F, wt.shape[1], wt.shape[3], wt.shape[4]]);
    const y = bindChecked(op, () => conv2d(batch, tap, geo));
    sum = sum === null ? y : add(sum, y);
  }
  const out = sum as Tensor;
  return transpose(reshape(out, [N, OD, F, out.shape[2], out.shape[3]]), 1, 2);
}

export interface ConvTranspose2dOptions {
  /** The stride of the convolution this transposes (≥ 1). Default 1. */
  readonly stride?: PairLike;
  /** The padding of the convolution this transposes: removed from each side of the output (≥ 0). Default 0. */
  readonly padding?: PairLike;
  /** Rows / columns added at the end of the output to pick one of the sizes a strided convolution maps to one (< stride or < dilation). Default 0. */
  readonly outputPadding?: PairLike;
  /** Spacing between kernel taps (≥ 1). Default 1. */
  readonly dilation?: PairLike;
  /** Channel groups (≥ 1, dividing C and the output channels). Default 1. */
  readonly groups?: number;
}

const CONV_TRANSPOSE_KEYS = ["stride", "padding", "outputPadding", "dilation", "groups"] as const;

/** The transposed convolution of checked [N, C, H, W] x with [C, O / groups, KH, KW] w. */
function transpose2d(op: string, xt: Tensor, wt: Tensor, o: Record<keyof ConvTranspose2dOptions, unknown>): Tensor {
  const geo: WindowGeometry = {
    stride: expectPair(op, "stride", o.stride, [1, 1], 1),
    padding: expectPair(op, "padding", o.padding, [0, 0], 0),
    dilation: expectPair(op, "dilation", o.dilation, [1, 1], 1),
  };
  const extra = expectPair(op, "outputPadding", o.outputPadding, [0, 0], 0);
  const groups = expectGroups(op, o.groups, xt.shape[1], xt.shape[1]);
  if (wt.shape[0] !== xt.shape[1]) {
    throw new AdError("ShapeMismatch", `x has ${xt.shape[1]} channels but w is for ${wt.shape[0]} (x ${formatShape(xt.shape)}, w ${formatShape(wt.shape)})`, {
      op,
      x: [...xt.shape],
      w: [...wt.shape],
    });
  }
  const size = (a: 0 | 1): number => {
    const k = wt.shape[2 + a];
    if (!(extra[a] < geo.stride[a] || extra[a] < geo.dilation[a])) {
      throw invalidArgument(op, `outputPadding [${extra.join(", ")}] must be smaller than the stride [${geo.stride.join(", ")}] or the dilation [${geo.dilation.join(", ")}]`, {
        argument: "outputPadding",
      });
    }
    const n = (xt.shape[2 + a] - 1) * geo.stride[a] - 2 * geo.padding[a] + geo.dilation[a] * (k - 1) + extra[a] + 1;
    if (!(n >= 1 && windowCount(n, k, geo.stride[a], geo.padding[a], geo.dilation[a]) === xt.shape[2 + a])) {
      throw new AdError(
        "ShapeMismatch",
        `the output would be empty (size ${n} on spatial axis ${a}): the padding is larger than the transposed window (x ${formatShape(xt.shape)}, w ${formatShape(wt.shape)})`,
        {
          op,
          x: [...xt.shape],
          w: [...wt.shape],
        },
      );
    }
    return n;
  };
  const inputSize: Pair = [size(0), size(1)];
  return perGroup(conv2dInputGradP, xt, wt, { ...geo, inputSize }, groups, 0);
}

/**
 * The transposed 2-D convolution (PyTorch's conv_transpose2d) of x: [N, C, H, W] with
 * w: [C, O / groups, KH, KW] → [N, O, OH, OW], OH = (H − 1)·stride − 2·padding +
 * dilation·(KH − 1) + outputPadding + 1: the gradient of conv2d with those options in its input.
 */
export function convTranspose2d(x: Tensor, w: Tensor, options: ConvTranspose2dOptions = {}): Tensor {
  const op = "convTranspose2d";
  const o = expectOptions<Record<keyof ConvTranspose2dOptions, unknown>>(op, options, CONV_TRANSPOSE_KEYS);
  return transpose2d(op, expectNCHW(op, "x", x), expectNCHW(op, "w", w, "[C, O / groups, KH, KW]"), o);
}

export interface ConvTranspose1dOptions {
  readonly stride?: number;
  readonly padding?: number;
  readonly outputPadding?: number;
  readonly dilation?: number;
  readonly groups?: number;
}

/** The transposed 1-D convolution of x: [N, C, L] with w: [C, O / groups, K] → [N, O, OL] (sizes as in `convTranspose2d`). */
export function convTranspose1d(x: Tensor, w: Tensor, options: ConvTranspose1dOptions = {}): Tensor {
  const op = "convTranspose1d";
  const xt = expectNCL(op, "x", x);
  const wt = expectNCL(op, "w", w, "[C, O / groups, K]");
  const o = expectOptions<Record<keyof ConvTranspose1dOptions, unknown>>(op, options, CONV_TRANSPOSE_KEYS);
  const pair = (name: keyof ConvTranspose1dOptions, fallback: number, min: number): Pair => lift1d(op, name, o[name], fallback, min, fallback);
  const lifted = { stride: pair("stride", 1, 1), padding: pair("padding", 0, 0), outputPadding: pair("outputPadding", 0, 0), dilation: pair("dilation", 1, 1), groups: o.groups };
  return squeeze(transpose2d(op, unsqueeze(xt, 2), unsqueeze(wt, 2), lifted), 2);
}

export interface UnfoldOptions {
  /** The window size (≥ 1): a number for both axes, or [KH, KW]. Required. */
  readonly kernel: PairLike;
  readonly stride?: PairLike;
  readonly padding?: PairLike;
  readonly dilation?: PairLike;
}

/** The window geometry and one-hot tap kernels [KH·KW, 1, KH, KW] of unfold/fold's options. */
function unfoldGeometry(op: string, options: unknown, like: Tensor): { kernel: Pair; geo: WindowGeometry; taps: Tensor } {
  const o = expectOptions<Record<keyof UnfoldOptions, unknown>>(op, options, ["kernel", "stride", "padding", "dilation"], true);
  if (o.kernel === undefined) throw invalidArgument(op, "options.kernel is required", { argument: "kernel" });
  const kernel = expectPair(op, "kernel", o.kernel, undefined, 1);
  const geo: WindowGeometry = {
    stride: expectPair(op, "stride", o.stride, [1, 1], 1),
    padding: expectPair(op, "padding", o.padding, [0, 0], 0),
    dilation: expectPair(op, "dilation", o.dilation, [1, 1], 1),
  };
  const n = kernel[0] * kernel[1];
  const taps = reshape(eye(n, n, { dtype: like.dtype, device: like.device }), [n, 1, kernel[0], kernel[1]]);
  return { kernel, geo, taps };
}

/**
 * im2col (PyTorch's unfold): x: [N, C, H, W] → [N, C·KH·KW, L], column l holding the window at
 * output position l (row-major), each channel's KH·KW taps in a row. An empty output is a ShapeMismatch.
 */
export function unfold(x: Tensor, options: UnfoldOptions): Tensor {
  const op = "unfold";
  const xt = expectNCHW(op, "x", x);
  const { geo, taps } = unfoldGeometry(op, options, xt);
  const [N, C, H, W] = xt.shape;
  const y = bindChecked(op, () => conv2d(reshape(xt, [N * C, 1, H, W]), taps, geo));
  return reshape(y, [N, C * taps.shape[0], y.shape[2] * y.shape[3]]);
}

/** `f()` with conv2d's errors renamed to `op`, the function the user called. */
function bindChecked(op: string, f: () => Tensor): Tensor {
  try {
    return f();
  } catch (e) {
    if (e instanceof AdError && e.details.op === "conv2d") throw new AdError(e.code, e.message.replace(/^conv2d: /, ""), { ...e.details, op, inner: "conv2d" });
    throw e;
  }
}

/**
 * col2im (PyTorch's fold), the adjoint of `unfold`: x: [N, C·KH·KW, L] → [N, C, outputSize…],
 * overlapping taps summed. L must be the number of windows that fit `outputSize`.
 */
export function fold(x: Tensor, outputSize: PairLike, options: UnfoldOptions): Tensor {
  const op = "fold";
  const xt = expectNCL(op, "x", x, "[N, C·KH·KW, L]");
  const size = expectPair(op, "outputSize", outputSize, undefined, 1);
  const { kernel, geo, taps } = unfoldGeometry(op, options, xt);
  const n = taps.shape[0];
  const outH = windowCount(size[0], kernel[0], geo.stride[0], geo.padding[0], geo.dilation[0]);
  const outW = windowCount(size[1], kernel[1], geo.stride[1], geo.padding[1], geo.dilation[1]);
  const [N, CK, L] = xt.shape;
  if (CK % n !== 0 || !(outH >= 1 && outW >= 1) || L !== outH * outW) {
    throw new AdError(
      "ShapeMismatch",
      `x ${formatShape(xt.shape)} must be [N, C·${n}, ${Math.max(outH, 0) * Math.max(outW, 0)}] for output size [${size.join(", ")}] and kernel [${kernel.join(", ")}]`,
      {
        op,
        x: [...xt.shape],
        outputSize: [...size],
        kernel: [...kernel],
      },
    );
  }
  const C = CK / n;
  const g = reshape(xt, [N * C, n, outH, outW]);
  const y = bind(conv2dInputGradP, [g, taps], { ...geo, inputSize: size });
  return reshape(y, [N, C, size[0], size[1]]);
}
