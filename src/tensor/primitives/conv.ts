/**
 * 2-D convolution over NCHW tensors (cross-correlation, as in PyTorch): `conv2d` and the two
 * primitives its VJP is made of, `conv2dInputGrad` (the transposed convolution) and
 * `conv2dWeightGrad`. All three are bilinear in their two inputs, and the adjoint of each is one of
 * the others, so every rule is written with these primitives and differentiates again to any order:
 *
 *   y  = conv2d(x, w)            ∂/∂x: conv2dInputGrad(g, w)   ∂/∂w: conv2dWeightGrad(x, g)
 *   dx = conv2dInputGrad(g, w)   ∂/∂g: conv2d(u, w)            ∂/∂w: conv2dWeightGrad(u, g)
 *   dw = conv2dWeightGrad(x, g)  ∂/∂x: conv2dInputGrad(g, v)   ∂/∂g: conv2d(x, v)
 *
 * (u, v: the cotangents of dx and dw). The JVP of a bilinear f is f(dx, w) + f(x, dw).
 */
import { type Pair, type WindowGeometry, windowCount } from "../../backends/geometry.js";
import { AdError, describe, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { isFloat } from "../dtype.js";
import { bind, definePrimitive, type AbstractValue, type JvpArgs, type Primitive } from "../primitive.js";
import { formatShape, type Shape } from "../shape.js";
import { fromStorage, Tensor } from "../tensor.js";
import type { Conv2d, Conv2dCheck } from "../types.js";
import { addTangents } from "./arithmetic.js";
import { concat, split } from "./join.js";
import { expectFloat } from "./lift.js";

export interface InputGradParams extends WindowGeometry {
  /** The spatial size [H, W] of the convolution's input (several sizes give one output size when stride > 1). */
  readonly inputSize: Pair;
}

export interface WeightGradParams extends WindowGeometry {
  /** The kernel's spatial size [KH, KW]. */
  readonly kernelSize: Pair;
}

/** The JVP of a bilinear primitive: f(da, b) + f(a, db), skipping the terms whose tangent is zero. */
function bilinearJvp<P>(prim: () => Primitive<P>): (args: JvpArgs<P>) => Tensor | null {
  return ({ inputs: [a, b], tangents: [da, db], params }) => addTangents(da === null ? null : bind(prim(), [da, b], params), db === null ? null : bind(prim(), [a, db], params));
}

const geometry = (p: WindowGeometry): WindowGeometry => ({ stride: p.stride, padding: p.padding, dilation: p.dilation });

/**
 * conv2d's rule: x [N, C, H, W] and w [F, C, KH, KW] of one float dtype give [N, F, outH, outW],
 * neither the kernel nor the output empty.
 */
function conv2dType(x: AbstractValue, w: AbstractValue, geo: WindowGeometry): AbstractValue {
  const op = "conv2d";
  expectRank4(op, "x", x);
  expectRank4(op, "w", w, "[F, C, KH, KW]");
  if (x.dtype !== w.dtype) {
    throw new AdError("DTypeMismatch", `x is ${x.dtype} and w is ${w.dtype}; cast one first`, { op, dtypes: [x.dtype, w.dtype] });
  }
  expectFloat(op, x);
  const shapes = { op, x: [...x.shape], w: [...w.shape] };
  const both = `x ${formatShape(x.shape)}, w ${formatShape(w.shape)}`;
  if (x.shape[1] !== w.shape[1]) throw new AdError("ShapeMismatch", `x has ${x.shape[1]} channels but w expects ${w.shape[1]} (${both})`, shapes);
  if (w.shape[2] < 1 || w.shape[3] < 1) throw new AdError("ShapeMismatch", `the kernel is empty (${both})`, shapes);
  const outH = windowCount(x.shape[2], w.shape[2], geo.stride[0], geo.padding[0], geo.dilation[0]);
  const outW = windowCount(x.shape[3], w.shape[3], geo.stride[1], geo.padding[1], geo.dilation[1]);
  if (!(outH >= 1 && outW >= 1)) {
    throw new AdError(
      "ShapeMismatch",
      `the output would be empty (${outH} × ${outW}): the dilated kernel is larger than the padded input (${both}, padding [${geo.padding.join(", ")}], dilation [${geo.dilation.join(", ")}])`,
      shapes,
    );
  }
  return { shape: [x.shape[0], w.shape[0], outH, outW], dtype: x.dtype };
}

export const conv2dP: Primitive<WindowGeometry> = definePrimitive<WindowGeometry>("conv2d", {
  abstract: ([x, w], geo) => conv2dType(x, w, geo),
  impl: ([x, w], geo, k) => {
    const outH = windowCount(x.shape[2], w.shape[2], geo.stride[0], geo.padding[0], geo.dilation[0]);
    const outW = windowCount(x.shape[3], w.shape[3], geo.stride[1], geo.padding[1], geo.dilation[1]);
    return fromStorage(k.conv2d(x, w, geo, outH, outW), x.dtype, [x.shape[0], w.shape[0], outH, outW]);
  },
  vjp: ({ cotangent: g, inputs: [x, w], params }) => [
    bind(conv2dInputGradP, [g, w], { ...geometry(params), inputSize: [x.shape[2], x.shape[3]] }),
    bind(conv2dWeightGradP, [x, g], { ...geometry(params), kernelSize: [w.shape[2], w.shape[3]] }),
  ],
  jvp: bilinearJvp(() => conv2dP),
});

export const conv2dInputGradP: Primitive<InputGradParams> = definePrimitive<InputGradParams>("conv2dInputGrad", {
  // g [N, F, outH, outW] and w [F, C, KH, KW] give the input's [N, C, H, W].
  abstract: ([g, w], p) => {
    const op = "conv2dInputGrad";
    expectFloat(op, expectRank4(op, "g", g));
    expectFloat(op, expectRank4(op, "w", w));
    return { shape: [g.shape[0], w.shape[1], p.inputSize[0], p.inputSize[1]], dtype: g.dtype };
  },
  impl: ([g, w], p, k) => fromStorage(k.conv2dInputGrad(g, w, p, p.inputSize[0], p.inputSize[1]), g.dtype, [g.shape[0], w.shape[1], p.inputSize[0], p.inputSize[1]]),
  vjp: ({ cotangent: u, inputs: [g, w], params }) => [
    bind(conv2dP, [u, w], geometry(params)),
    bind(conv2dWeightGradP, [u, g], { ...geometry(params), kernelSize: [w.shape[2], w.shape[3]] }),
  ],
  jvp: bilinearJvp(() => conv2dInputGradP),
});

export const conv2dWeightGradP: Primitive<WeightGradParams> = definePrimitive<WeightGradParams>("conv2dWeightGrad", {
  // x [N, C, H, W] and g [N, F, outH, outW] give the kernel's [F, C, KH, KW].
  abstract: ([x, g], p) => {
    const op = "conv2dWeightGrad";
    expectFloat(op, expectRank4(op, "x", x));
    expectFloat(op, expectRank4(op, "g", g));
    return { shape: [g.shape[1], x.shape[1], p.kernelSize[0], p.kernelSize[1]], dtype: x.dtype };
  },
  impl: ([x, g], p, k) => fromStorage(k.conv2dWeightGrad(x, g, p, p.kernelSize[0], p.kernelSize[1]), x.dtype, [g.shape[1], x.shape[1], p.kernelSize[0], p.kernelSize[1]]),
  vjp: ({ cotangent: v, inputs: [x, g], params }) => [
    bind(conv2dInputGradP, [g, v], { ...geometry(params), inputSize: [x.shape[2], x.shape[3]] }),
    bind(conv2dP, [x, v], geometry(params)),
  ],
  jvp: bilinearJvp(() => conv2dWeightGradP),
});

/** A per-axis integer argument: a number for both axes, or [height, width]. */
export type PairLike = number | readonly [number, number];

export interface Conv2dOptions {
  /** Step between windows (≥ 1). Default 1. */
  readonly stride?: PairLike;
  /** Zeros added on each side of the input (≥ 0). Default 0. */
  readonly padding?: PairLike;
  /** Spacing between kernel taps (≥ 1). Default 1. */
  readonly dilation?: PairLike;
  /** Channel groups (≥ 1, dividing C and F): w is [F, C / groups, KH, KW]; groups = C is depthwise. Default 1. */
  readonly groups?: number;
}

/** The `groups` option checked against C input channels and F filters (`op` names the caller). */
export function expectGroups(op: string, value: unknown, channels: number, filters: number): number {
  const groups = value === undefined ? 1 : expectInteger(op, "groups", value, 1);
  if (channels % groups !== 0 || filters % groups !== 0) {
    throw invalidArgument(op, `groups ${groups} must divide the input channels (${channels}) and the filters (${filters})`, { argument: "groups", groups, channels, filters });
  }
  return groups;
}

/**
 * `prim` run once per channel group, the groups' outputs joined along channels: each of the G
 * groups of a's channels meets its own block of b along `bAxis`.
 */
export function perGroup<P>(prim: Primitive<P>, a: Tensor, b: Tensor, params: P, groups: number, bAxis: number): Tensor {
  if (groups === 1) return bind(prim, [a, b], params);
  const bs = split(b, groups, bAxis);
  return concat(
    split(a, groups, 1).map((ai, i) => bind(prim, [ai, bs[i]], params)),
    1,
  );
}

/** A `PairLike` option as [h, w] integers ≥ min (`fallback` when undefined). */
export function expectPair(op: string, name: string, value: unknown, fallback: Pair | undefined, min: number): Pair {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === "number") {
    const n = expectInteger(op, name, value, min);
    return [n, n];
  }
  if (!Array.isArray(value) || value.length !== 2) {
    throw invalidArgument(op, `${name} must be an integer or a pair [h, w] of integers ≥ ${min}, got ${describe(value)}`, { argument: name, got: describe(value) });
  }
  return [expectInteger(op, `${name}[0]`, value[0], min), expectInteger(op, `${name}[1]`, value[1], min)];
}

/** A float tensor of rank 4 (`what` names its layout in the error), else AdError. */
export function expectNCHW(op: string, name: string, value: unknown, what = "[N, C, H, W]"): Tensor {
  if (!(value instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(value)}`, { argument: name, got: describe(value) });
  expectRank4(op, name, value, what);
  if (!isFloat(value.dtype)) throw new AdError("DTypeMismatch", `${op} needs float tensors, ${name} is ${value.dtype}`, { op, argument: name, dtype: value.dtype });
  return value;
}

/** A value of rank 4 (`what` names its layout in the error), else ShapeMismatch. */
function expectRank4<T extends AbstractValue>(op: string, name: string, value: T, what = "[N, C, H, W]"): T {
  if (value.shape.length !== 4) {
    throw new AdError("ShapeMismatch", `${name} must have rank 4 ${what}, got shape ${formatShape(value.shape)}`, { op, argument: name, shape: [...value.shape] });
  }
  return value;
}

/**
 * 2-D convolution (cross-correlation, no kernel flip) of x: [N, C, H, W] with w: [F, C, KH, KW],
 * giving [N, F, OH, OW] with OH = ⌊(H + 2·padH − dilationH·(KH − 1) − 1) / strideH⌋ + 1 (OW alike).
 * Padding is zeros. With `groups` G, w is [F, C / G, KH, KW] and each group of C / G channels is
 * convolved with its F / G filters (run as G convolutions). x and w must share a float dtype and C; an empty spatial output (OH or OW < 1) or
 * an empty kernel is a ShapeMismatch naming both shapes. A batch or filter count of 0 is allowed.
 * With literal shapes and options the result shape is computed by the compiler (see `Conv2d`), and
 * literal channel counts that differ are a compile error naming both shapes.
 */
export function conv2d<X extends Shape, W extends Shape, const O extends Conv2dOptions = {}>(
  x: Tensor<X>,
  w: Tensor<W> & Conv2dCheck<X, W, O>,
  options?: O,
): Tensor<Conv2d<X, W, O>>;
export function conv2d(x: Tensor, w: Tensor, options?: Conv2dOptions): Tensor {
  const op = "conv2d";
  const xt = expectNCHW(op, "x", x);
  const wt = expectNCHW(op, "w", w, "[F, C, KH, KW]");
  const opts = expectOptions<Record<keyof Conv2dOptions, unknown>>(op, options, ["stride", "padding", "dilation", "groups"]);
  const geo: WindowGeometry = {
    stride: expectPair(op, "stride", opts.stride, [1, 1], 1),
    padding: expectPair(op, "padding", opts.padding, [0, 0], 0),
    dilation: expectPair(op, "dilation", opts.dilation, [1, 1], 1),
  };
  if (opts.groups === undefined || opts.groups === 1) return bind(conv2dP, [xt, wt], geo);
  const groups = expectGroups(op, opts.groups, xt.shape[1], wt.shape[0]);
  if (xt.shape[1] !== wt.shape[1] * groups) {
    throw new AdError(
      "ShapeMismatch",
      `x has ${xt.shape[1]} channels but w expects ${wt.shape[1]} per group × ${groups} groups (x ${formatShape(xt.shape)}, w ${formatShape(wt.shape)})`,
      {
        op,
        x: [...xt.shape],
        w: [...wt.shape],
        groups,
      },
    );
  }
  return perGroup(conv2dP, xt, wt, geo, groups, 0);
}
