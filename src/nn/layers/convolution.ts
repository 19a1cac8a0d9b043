/**
 * Conv1d, ConvTranspose1d and ConvTranspose2d. Weights use PyTorch's layouts ([out, in / groups, k]
 * for Conv1d, [in, out / groups, k…] for the transposed ones) and its default initialisation, so
 * a state dict moves between the two libraries unchanged.
 */
import { AdError, asOp, expectInteger } from "../../errors.js";
import { conv1d, convTranspose1d, convTranspose2d } from "../../tensor/composites/convolution.js";
import { add } from "../../tensor/primitives/arithmetic.js";
import { expectGroups, expectPair, type PairLike } from "../../tensor/primitives/conv.js";
import { reshape } from "../../tensor/primitives/shape.js";
import { formatShape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { expectTensor } from "../checks.js";
import { Module } from "../module.js";
import { defaultBias, defaultWeight, initOptions, type LayerInit } from "./linear.js";

export interface Conv1dInit extends LayerInit {
  readonly stride?: number;
  readonly padding?: number;
  readonly dilation?: number;
  /** Channel groups (dividing both channel counts). Default 1. */
  readonly groups?: number;
}

export interface ConvTranspose2dInit extends LayerInit {
  readonly stride?: PairLike;
  readonly padding?: PairLike;
  readonly outputPadding?: PairLike;
  readonly dilation?: PairLike;
  readonly groups?: number;
}

export interface ConvTranspose1dInit extends LayerInit {
  readonly stride?: number;
  readonly padding?: number;
  readonly outputPadding?: number;
  readonly dilation?: number;
  readonly groups?: number;
}

/** The checked kernel size, one integer per spatial axis. */
function kernelOf(op: string, kernelSize: unknown, rank: 1 | 2): readonly number[] {
  if (rank === 1) return [expectInteger(op, "kernelSize", kernelSize, 1, 2 ** 16)];
  return expectPair(op, "kernelSize", kernelSize, undefined, 1);
}

/** The shared parts of the three layers: channel checks, weight and bias, and the input check. */
abstract class ConvLayer extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | null = null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    op: string,
    weightShape: (groups: number) => number[],
    options: LayerInit & { readonly groups?: number },
  ) {
    super();
    expectInteger(op, "inChannels", inChannels, 1, 2 ** 20);
    expectInteger(op, "outChannels", outChannels, 1, 2 ** 20);
    const groups = expectGroups(op, options.groups, inChannels, outChannels);
    const shape = weightShape(groups);
    this.weight = this.parameter("weight", defaultWeight(shape, options));
    if (options.bias !== false) this.bias = this.parameter("bias", defaultBias(op, shape, outChannels, options));
  }

  /** x checked to be [N, inChannels, …] of `rank`, then `conv(x)` plus the bias over channels. */
  protected apply(op: string, x: Tensor, rank: number, conv: (x: Tensor) => Tensor): Tensor {
    expectTensor(op, "x", x);
    if (x.rank !== rank || x.shape[1] !== this.inChannels) {
      const want = rank === 3 ? "L" : "H, W";
      throw new AdError(
        "ShapeMismatch",
        `${this.constructor.name}(${this.inChannels}, ${this.outChannels}) needs inputs [N, ${this.inChannels}, ${want}], got ${formatShape(x.shape)}`,
        {
          op,
          shape: [...x.shape],
        },
      );
    }
    // Inner ops (a matmul refusing a bool input, …) report as the layer the user called.
    return asOp(op, () => {
      const y = conv(x);
      return this.bias === null ? y : add(y, reshape(this.bias, [1, this.outChannels, ...new Array<number>(rank - 2).fill(1)]));
    });
  }
}

/** 1-D convolution over [N, C, L] inputs with a [out, in / groups, k] weight and an optional [out] bias. */
export class Conv1d extends ConvLayer {
  readonly #options: { stride?: number; padding?: number; dilation?: number; groups?: number };

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: Conv1dInit) {
    const op = "Conv1d";
    const o = initOptions<Conv1dInit>(op, options, ["stride", "padding", "dilation", "groups"]);
    const k = kernelOf(op, kernelSize, 1);
    super(inChannels, outChannels, op, (g) => [outChannels, inChannels / g, ...k], o);
    this.#options = { stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups };
    // Checked here, not first at forward: a bad stride is the constructor's argument.
    conv1dOptionsCheck(op, this.#options);
  }

  forward(x: Tensor): Tensor {
    return this.apply("Conv1d.forward", x, 3, (t) => conv1d(t, this.weight, this.#options));
  }
}

function conv1dOptionsCheck(op: string, o: { stride?: number; padding?: number; dilation?: number }): void {
  if (o.stride !== undefined) expectInteger(op, "stride", o.stride, 1);
  if (o.padding !== undefined) expectInteger(op, "padding", o.padding, 0);
  if (o.dilation !== undefined) expectInteger(op, "dilation", o.dilation, 1);
}

/** The transposed 2-D convolution over [N, C, H, W] inputs with a [in, out / groups, kh, kw] weight (PyTorch's layout). */
export class ConvTranspose2d extends ConvLayer {
  readonly #options: Omit<ConvTranspose2dInit, keyof LayerInit>;

  constructor(inChannels: number, outChannels: number, kernelSize: PairLike, options: ConvTranspose2dInit) {
    const op = "ConvTranspose2d";
    const o = initOptions<ConvTranspose2dInit>(op, options, ["stride", "padding", "outputPadding", "dilation", "groups"]);
    const k = kernelOf(op, kernelSize, 2);
    super(inChannels, outChannels, op, (g) => [inChannels, outChannels / g, ...k], o);
    this.#options = {
      stride: expectPair(op, "stride", o.stride, [1, 1], 1),
      padding: expectPair(op, "padding", o.padding, [0, 0], 0),
      outputPadding: expectPair(op, "outputPadding", o.outputPadding, [0, 0], 0),
      dilation: expectPair(op, "dilation", o.dilation, [1, 1], 1),
      groups: o.groups,
    };
  }

  forward(x: Tensor): Tensor {
    return this.apply("ConvTranspose2d.forward", x, 4, (t) => convTranspose2d(t, this.weight, this.#options));
  }
}

/** The transposed 1-D convolution over [N, C, L] inputs with a [in, out / groups, k] weight. */
export class ConvTranspose1d extends ConvLayer {
  readonly #options: Omit<ConvTranspose1dInit, keyof LayerInit>;

  constructor(inChannels: number, outChannels: number, kernelSize: number, options: ConvTranspose1dInit) {
    const op = "ConvTranspose1d";
    const o = initOptions<ConvTranspose1dInit>(op, options, ["stride", "padding", "outputPadding", "dilation", "groups"]);
    const k = kernelOf(op, kernelSize, 1);
    super(inChannels, outChannels, op, (g) => [inChannels, outChannels / g, ...k], o);
    conv1dOptionsCheck(op, o);
    if (o.outputPadding !== undefined) expectInteger(op, "outputPadding", o.outputPadding, 0);
    this.#options = { stride: o.stride, padding: o.padding, outputPadding: o.outputPadding, dilation: o.dilation, groups: o.groups };
  }

  forward(x: Tensor): Tensor {
    return this.apply("ConvTranspose1d.forward", x, 3, (t) => convTranspose1d(t, this.weight, this.#options));
  }
}
