/**
 * Linear and Conv2d: the affine layers. Weights use PyTorch's layouts ([out, in] and
 * [out, in, kh, kw]) so a state dict moves between the two libraries unchanged; `x · Wᵀ` costs no
 * copy (the product reads its operands through their strides). Default initialisation is PyTorch's:
 * Kaiming-uniform with a = √5 for the weight (bound 1/√fanIn) and U(±1/√fanIn) for the bias.
 */
import { AdError, asOp, expectBooleanOption, expectInteger, expectOptions } from "../../errors.js";
import { add } from "../../tensor/primitives/arithmetic.js";
import { conv2d, expectGroups, expectPair, type PairLike } from "../../tensor/primitives/conv.js";
import { matmul } from "../../tensor/primitives/matmul.js";
import { reshape, transpose } from "../../tensor/primitives/shape.js";
import type { FloatDType } from "../../tensor/dtype.js";
import type { Rng } from "../../tensor/rng.js";
import { formatShape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { expectRng, expectTensor, floatDTypeOption } from "../checks.js";
import { fansOf, kaimingUniform, uniform } from "../init.js";
import { Module } from "../module.js";

export interface LayerInit {
  /** The generator the initial weights are drawn from. Required: initialisation is seeded. */
  readonly rng: Rng;
  /** Default float32. */
  readonly dtype?: FloatDType;
  /** Whether to add a bias. Default true. */
  readonly bias?: boolean;
}

/** The init options, checked under the layer's name (rng and dtype would otherwise fail in the init function). */
export function initOptions<T extends LayerInit>(op: string, options: unknown, more: readonly (keyof T & string)[] = []): T {
  const o = expectOptions<T>(op, options, ["rng", "dtype", "bias", ...more], true);
  expectBooleanOption(op, "bias", o.bias, true);
  expectRng(op, o.rng);
  floatDTypeOption(op, o.dtype);
  return o;
}

export function defaultWeight(shape: number[], o: LayerInit): Tensor {
  return kaimingUniform(shape, { rng: o.rng, dtype: o.dtype, a: Math.sqrt(5) });
}

export function defaultBias(op: string, weightShape: number[], n: number, o: LayerInit): Tensor {
  const bound = 1 / Math.sqrt(Math.max(1, fansOf(op, weightShape)[0]));
  return uniform([n], -bound, bound, { rng: o.rng, dtype: o.dtype });
}

/** y = x · Wᵀ + b over the last axis: [..., in] → [..., out]. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null = null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LayerInit,
  ) {
    super();
    expectInteger("Linear", "inFeatures", inFeatures, 1, 2 ** 30);
    expectInteger("Linear", "outFeatures", outFeatures, 1, 2 ** 30);
    options = initOptions("Linear", options);
    const shape = [outFeatures, inFeatures];
    this.weight = this.parameter("weight", defaultWeight(shape, options));
    if (options.bias !== false) this.bias = this.parameter("bias", defaultBias("Linear", shape, outFeatures, options));
  }

  forward(x: Tensor): Tensor {
    expectTensor("Linear.forward", "x", x);
    if (x.rank === 0 || x.shape[x.rank - 1] !== this.inFeatures) {
      throw new AdError("ShapeMismatch", `Linear(${this.inFeatures}, ${this.outFeatures}) needs inputs [..., ${this.inFeatures}], got ${formatShape(x.shape)}`, {
        op: "Linear.forward",
        shape: [...x.shape],
        inFeatures: this.inFeatures,
      });
    }
    // matmul broadcasts batch axes of a 2-D weight only from rank 2: fold the leading axes of x.
    const lead = x.shape.slice(0, -1);
    const x2 = x.rank === 2 ? x : reshape(x, [-1, this.inFeatures]);
    // Inner ops (a matmul refusing a bool input, …) report as the layer the user called.
    return asOp("Linear.forward", () => {
      let y = matmul(x2, transpose(this.weight));
      if (this.bias !== null) y = add(y, this.bias);
      return x.rank === 2 ? y : reshape(y, [...lead, this.outFeatures]);
    });
  }
}

export interface Conv2dInit extends LayerInit {
  readonly stride?: PairLike;
  readonly padding?: PairLike;
  readonly dilation?: PairLike;
  /** Channel groups (dividing inChannels and outChannels); the weight is [out, in / groups, kh, kw]. Default 1. */
  readonly groups?: number;
}

/** 2-D convolution over NCHW inputs with a [out, in, kh, kw] weight and an optional [out] bias. */
export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null = null;
  readonly #geometry: { stride: PairLike; padding: PairLike; dilation: PairLike; groups: number };

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: PairLike,
    options: Conv2dInit,
  ) {
    super();
    const op = "Conv2d";
    expectInteger(op, "inChannels", inChannels, 1, 2 ** 20);
    expectInteger(op, "outChannels", outChannels, 1, 2 ** 20);
    options = initOptions<Conv2dInit>(op, options, ["stride", "padding", "dilation", "groups"]);
    // Checked here, not first at forward: a bad stride is the constructor's argument.
    this.#geometry = {
      stride: expectPair(op, "stride", options.stride, [1, 1], 1),
      padding: expectPair(op, "padding", options.padding, [0, 0], 0),
      dilation: expectPair(op, "dilation", options.dilation, [1, 1], 1),
      groups: expectGroups(op, options.groups, inChannels, outChannels),
    };
    const [kh, kw] = typeof kernelSize === "number" ? [kernelSize, kernelSize] : Array.isArray(kernelSize) ? kernelSize : [NaN, NaN];
    expectInteger(op, "kernelSize", kh, 1, 2 ** 16);
    expectInteger(op, "kernelSize", kw, 1, 2 ** 16);
    const shape = [outChannels, inChannels / this.#geometry.groups, kh, kw];
    this.weight = this.parameter("weight", defaultWeight(shape, options));
    if (options.bias !== false) this.bias = this.parameter("bias", defaultBias(op, shape, outChannels, options));
  }

  forward(x: Tensor): Tensor {
    expectTensor("Conv2d.forward", "x", x);
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new AdError("ShapeMismatch", `Conv2d(${this.inChannels}, ${this.outChannels}) needs inputs [N, ${this.inChannels}, H, W], got ${formatShape(x.shape)}`, {
        op: "Conv2d.forward",
        shape: [...x.shape],
      });
    }
    // Inner ops (a matmul refusing a bool input, …) report as the layer the user called.
    return asOp("Conv2d.forward", () => {
      const y = conv2d(x, this.weight, this.#geometry);
      return this.bias === null ? y : add(y, reshape(this.bias, [1, this.outChannels, 1, 1]));
    });
  }
}
