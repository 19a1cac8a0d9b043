/**
 * 2-D pooling over NCHW tensors. Max pooling is a primitive with two helpers its rules are made of:
 * `maxPool2dSelect(x, v)` reads v at the maxima of x's windows and `maxPool2dGrad(x, g)` adds g back
 * at those positions; they are adjoint to each other in v / g, and the window maxima are piecewise
 * constant in x, so x gets no derivative through them:
 *
 *   y = maxPool2d(x)          ∂/∂x: maxPool2dGrad(x, g)         d y = maxPool2dSelect(x, dx)
 *   maxPool2dSelect(x, v)     ∂/∂v: maxPool2dGrad(x, u)         ∂/∂x: 0
 *   maxPool2dGrad(x, g)       ∂/∂g: maxPool2dSelect(x, u)       ∂/∂x: 0
 *
 * Average pooling is composed: a convolution of each channel with a constant kernel 1/(KH·KW),
 * or, with `ceilMode` or without `countIncludePad`, a window sum divided by a constant count.
 *
 * `ceilMode` rounds the output size up (a last window must start inside the input or its left
 * padding, as in PyTorch): the input is padded on the right by the overhang (−∞ for max, 0 for
 * average, and the overhang is never counted), so the primitives see only whole windows.
 */
import type { Backend } from "../../backends/backend.js";
import type { DeviceBuffer } from "../../backends/buffer.js";
import { type Pair, type WindowGeometry, windowCount } from "../../backends/geometry.js";
import { AdError, expectBooleanOption, expectOptions, invalidArgument } from "../../errors.js";
import { bind, definePrimitive, type AbstractValue, type Primitive } from "../primitive.js";
import { formatShape, type Shape } from "../shape.js";
import { fromStorage, type Tensor } from "../tensor.js";
import type { Pool2d } from "../types.js";
import { conv2d, expectNCHW, expectPair, type PairLike } from "./conv.js";
import { expectFloat } from "./lift.js";
import { reshape } from "./shape.js";
import { full, tensor } from "../creation.js";
import { pad } from "./join.js";
import { div } from "./arithmetic.js";

export interface PoolParams extends WindowGeometry {
  readonly kernel: Pair;
}

function outputSize(x: AbstractValue, p: PoolParams): Pair {
  const along = (a: 0 | 1) => windowCount(x.shape[2 + a], p.kernel[a], p.stride[a], p.padding[a], p.dilation[a]);
  return [along(0), along(1)];
}

function argmax(k: Backend, x: Tensor, p: PoolParams): DeviceBuffer {
  const [outH, outW] = outputSize(x, p);
  return k.maxPool2dArgmax(x, p.kernel, p, outH, outW);
}

/** v read at the argmax of each of x's windows: [N, C, outH, outW] in v's dtype. */
function pooled(k: Backend, x: Tensor, v: Tensor, p: PoolParams): Tensor {
  const [outH, outW] = outputSize(x, p);
  return fromStorage(k.gatherPlanes(v, argmax(k, x, p), outH, outW), v.dtype, [v.shape[0], v.shape[1], outH, outW]);
}

/** A float [N, C, H, W], else AdError. */
function expectPoolable(op: string, x: AbstractValue): AbstractValue {
  if (x.shape.length !== 4) throw new AdError("ShapeMismatch", `x must have rank 4 [N, C, H, W], got shape ${formatShape(x.shape)}`, { op, argument: "x", shape: [...x.shape] });
  return expectFloat(op, x);
}

/** The pooled shape [N, C, outH, outW] of x. */
function pooledShape(op: string, x: AbstractValue, p: PoolParams): number[] {
  expectPoolable(op, x);
  return [x.shape[0], x.shape[1], ...outputSize(x, p)];
}

export const maxPool2dP: Primitive<PoolParams> = definePrimitive<PoolParams>("maxPool2d", {
  abstract: ([x], p) => ({ shape: pooledShape("maxPool2d", x, p), dtype: x.dtype }),
  impl: ([x], p, k) => pooled(k, x, x, p),
  vjp: ({ cotangent: g, inputs: [x], params }) => [bind(maxPool2dGradP, [x, g], params)],
  jvp: ({ tangents: [dx], inputs: [x], params }) => (dx === null ? null : bind(maxPool2dSelectP, [x, dx], params)),
});

export const maxPool2dSelectP: Primitive<PoolParams> = definePrimitive<PoolParams>("maxPool2dSelect", {
  // v (x's tangent) is read at the windows' argmax in x: the output is pooled v.
  abstract: ([x, v], p) => ({ shape: pooledShape("maxPool2dSelect", x, p), dtype: expectFloat("maxPool2dSelect", v).dtype }),
  impl: ([x, v], p, k) => pooled(k, x, v, p),
  vjp: ({ cotangent: u, inputs: [x], params }) => [null, bind(maxPool2dGradP, [x, u], params)],
  jvp: ({ tangents: [, dv], inputs: [x], params }) => (dv === null ? null : bind(maxPool2dSelectP, [x, dv], params)),
});

export const maxPool2dGradP: Primitive<PoolParams> = definePrimitive<PoolParams>("maxPool2dGrad", {
  // g (of the pooled shape) lands at the windows' argmax in x: the output has x's shape.
  abstract: ([x, g]) => ({ shape: expectPoolable("maxPool2dGrad", x).shape, dtype: expectFloat("maxPool2dGrad", g).dtype }),
  impl: ([x, g], p, k) => fromStorage(k.scatterPlanes(g, argmax(k, x, p), x.shape[2], x.shape[3], p.kernel, p), g.dtype, [...x.shape]),
  vjp: ({ cotangent: u, inputs: [x], params }) => [null, bind(maxPool2dSelectP, [x, u], params)],
  jvp: ({ tangents: [, dg], inputs: [x], params }) => (dg === null ? null : bind(maxPool2dGradP, [x, dg], params)),
});

export interface Pool2dOptions {
  /** The window size (≥ 1): a number for both axes, or [KH, KW]. */
  readonly kernel: PairLike;
  /** Step between windows (≥ 1). Default: the kernel size. */
  readonly stride?: PairLike;
  /** Padding on each side (≥ 0, at most half the kernel, as in PyTorch). Default 0. */
  readonly padding?: PairLike;
  /** maxPool2d only (PyTorch's average pools have none): the step between a window's taps (≥ 1). Default 1. */
  readonly dilation?: PairLike;
  /** Round the output size up instead of down (PyTorch's `ceil_mode`). Default false. */
  readonly ceilMode?: boolean;
  /** avgPool2d only: whether padding counts in each window's divisor (PyTorch's `count_include_pad`). Default true. */
  readonly countIncludePad?: boolean;
}

/** The checked pooling window with its rounding and divisor modes. */
export interface PoolWindow extends PoolParams {
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
}

/**
 * Checked pooling options (kernel, stride, padding, and dilation where `dilated`: max pooling),
 * before any input is seen: pool layers check them when built.
 */
export function poolWindow(op: string, options: unknown, dilated = false): PoolWindow {
  const keys: (keyof Pool2dOptions)[] = ["kernel", "stride", "padding", "ceilMode", "countIncludePad", ...(dilated ? (["dilation"] as const) : [])];
  const opts = expectOptions<Record<keyof Pool2dOptions, unknown>>(op, options, keys, true);
  const ceilMode = expectBooleanOption(op, "ceilMode", opts.ceilMode, false);
  const countIncludePad = expectBooleanOption(op, "countIncludePad", opts.countIncludePad, true);
  if (opts.kernel === undefined) throw invalidArgument(op, "options.kernel is required", { argument: "kernel" });
  const kernel = expectPair(op, "kernel", opts.kernel, undefined, 1);
  const stride = expectPair(op, "stride", opts.stride, kernel, 1);
  const padding = expectPair(op, "padding", opts.padding, [0, 0], 0);
  const dilation = expectPair(op, "dilation", opts.dilation, [1, 1], 1);
  for (const a of [0, 1]) {
    if (2 * padding[a] > kernel[a]) {
      throw invalidArgument(op, `padding [${padding.join(", ")}] must be at most half the kernel [${kernel.join(", ")}]`, { padding: [...padding], kernel: [...kernel] });
    }
  }
  return { kernel, stride, padding, dilation, ceilMode, countIncludePad };
}

/** Windows along one axis of `size` (`kernel` the dilated extent): rounded down, or up without a window starting in the right padding. */
function windowsAlong(size: number, kernel: number, stride: number, padding: number, ceil: boolean): number {
  const span = size + 2 * padding - kernel;
  if (!ceil) return Math.floor(span / stride) + 1;
  const n = Math.ceil(span / stride) + 1;
  return (n - 1) * stride >= size + padding ? n - 1 : n;
}

/** Checked pooling arguments; `ShapeMismatch` if no window fits. */
function poolParams(op: string, x: unknown, options: unknown, dilated = false): [Tensor, PoolWindow, Pair] {
  const t = expectNCHW(op, "x", x);
  const params = poolWindow(op, options, dilated);
  const { padding, stride, ceilMode } = params;
  const kernel = extent(params);
  const out: Pair = [windowsAlong(t.shape[2], kernel[0], stride[0], padding[0], ceilMode), windowsAlong(t.shape[3], kernel[1], stride[1], padding[1], ceilMode)];
  if (!(out[0] >= 1 && out[1] >= 1)) {
    throw new AdError("ShapeMismatch", `the output would be empty (${out[0]} × ${out[1]}): kernel [${kernel.join(", ")}] is larger than the padded input ${formatShape(t.shape)}`, {
      op,
      x: [...t.shape],
      kernel: [...kernel],
      padding: [...padding],
    });
  }
  return [t, params, out];
}

/**
 * Max pooling of x: [N, C, H, W] → [N, C, OH, OW], OH = ⌊(H + 2·padH − dilH·(KH − 1) − 1) / strideH⌋ + 1
 * (`dilation` spaces a window's taps, as PyTorch's; default 1). Padding
 * counts as −∞ (never the maximum). The gradient goes to the maximum of each window — the first in
 * row-major order on ties — and a NaN in a window is its maximum.
 */
export function maxPool2d<X extends Shape, const O extends Pool2dOptions>(x: Tensor<X>, options: O): Tensor<Pool2d<X, O>>;
export function maxPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const [t, params, out] = poolParams("maxPool2d", x, options, true);
  const { kernel, stride, padding, dilation } = params;
  const extra = overhang(t, out, extent(params), stride, padding);
  const whole =
    extra[0] + extra[1] === 0
      ? t
      : pad(
          t,
          [
            [0, 0],
            [0, 0],
            [0, extra[0]],
            [0, extra[1]],
          ],
          -Infinity,
        );
  return bind(maxPool2dP, [whole], { kernel, stride, padding, dilation });
}

/** A window's extent along each axis: its taps dilation apart, (kernel − 1)·dilation + 1. */
function extent({ kernel, dilation }: PoolParams): Pair {
  return [(kernel[0] - 1) * dilation[0] + 1, (kernel[1] - 1) * dilation[1] + 1];
}

/** The rows and columns past the padded input that ceilMode's last windows reach (`kernel` the extent). */
function overhang(x: Tensor, out: Pair, kernel: Pair, stride: Pair, padding: Pair): Pair {
  const along = (a: 0 | 1) => Math.max(0, (out[a] - 1) * stride[a] + kernel[a] - (x.shape[2 + a] + 2 * padding[a]));
  return [along(0), along(1)];
}

/**
 * Average pooling of x: [N, C, H, W] → [N, C, OH, OW] (sizes as in `maxPool2d`). Padding counts as
 * zeros and, by default, in the divisor: every window is divided by KH·KW (PyTorch's
 * `count_include_pad=True`); with `countIncludePad: false` by the input elements it covers. With
 * `ceilMode` the part of a last window past the padding is never counted. Composed from `conv2d`,
 * so it is differentiable to any order.
 */
export function avgPool2d<X extends Shape, const O extends Pool2dOptions>(x: Tensor<X>, options: O): Tensor<Pool2d<X, O>>;
export function avgPool2d(x: Tensor, options: Pool2dOptions): Tensor {
  const [t, { kernel, stride, padding, ceilMode, countIncludePad }, [outH, outW]] = poolParams("avgPool2d", x, options);
  const [N, C, H, W] = t.shape;
  const taps = kernel[0] * kernel[1];
  if (!ceilMode && countIncludePad) {
    const w = full([1, 1, kernel[0], kernel[1]], 1 / taps, { dtype: t.dtype, device: t.device });
    return reshape(conv2d(reshape(t, [N * C, 1, H, W]), w, { stride, padding }), [N, C, outH, outW]);
  }
  const [eh, ew] = overhang(t, [outH, outW], kernel, stride, padding);
  const whole = pad(reshape(t, [N * C, 1, H, W]), [
    [0, 0],
    [0, 0],
    [0, eh],
    [0, ew],
  ]);
  const sums = conv2d(whole, full([1, 1, kernel[0], kernel[1]], 1, { dtype: t.dtype, device: t.device }), { stride, padding });
  const counts = tensor(windowCounts([H, W], [outH, outW], kernel, stride, padding, countIncludePad), { dtype: t.dtype, device: t.device, shape: [1, 1, outH, outW] });
  return reshape(div(sums, counts), [N, C, outH, outW]);
}

/** Each window's divisor, as PyTorch counts it: its extent within the padded input, or within the input alone. */
function windowCounts(size: Pair, out: Pair, kernel: Pair, stride: Pair, padding: Pair, includePad: boolean): Float64Array {
  const along = (a: 0 | 1, o: number): number => {
    const start = o * stride[a] - padding[a];
    const end = Math.min(start + kernel[a], size[a] + padding[a]);
    return includePad ? end - start : Math.min(end, size[a]) - Math.max(start, 0);
  };
  const counts = new Float64Array(out[0] * out[1]);
  for (let i = 0; i < out[0]; i++) for (let j = 0; j < out[1]; j++) counts[i * out[1] + j] = along(0, i) * along(1, j);
  return counts;
}
