/**
 * GroupNorm and InstanceNorm: per-sample normalisation over groups of channels (InstanceNorm is
 * one channel per group) and the spatial axes, with PyTorch's parameter names and defaults
 * (GroupNorm affine by default, InstanceNorm not, neither with running statistics). Composed of
 * primitives, so gradients of any order come from their rules.
 */
import { AdError, asOp, expectBooleanOption, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { ones, zeros } from "../../tensor/creation.js";
import { add, mul } from "../../tensor/primitives/arithmetic.js";
import { reshape } from "../../tensor/primitives/shape.js";
import { formatShape } from "../../tensor/shape.js";
import type { Tensor } from "../../tensor/tensor.js";
import { expectPositive, expectTensor, floatDTypeOption } from "../checks.js";
import { Module } from "../module.js";
import { normalize, type NormOptions } from "./norm.js";

/** Per-channel weight and bias (or none), for the normalisations here. */
abstract class ChannelNorm extends Module {
  readonly weight: Tensor | null = null;
  readonly bias: Tensor | null = null;
  readonly eps: number;

  constructor(
    readonly numChannels: number,
    op: string,
    options: NormOptions,
    affineByDefault: boolean,
  ) {
    super();
    expectInteger(op, "numChannels", numChannels, 1, 2 ** 30);
    options = expectOptions<NormOptions>(op, options, ["eps", "affine", "dtype"]);
    this.eps = expectPositive(op, "eps", options.eps ?? 1e-5);
    const dtype = floatDTypeOption(op, options.dtype);
    if (expectBooleanOption(op, "affine", options.affine, affineByDefault)) {
      this.weight = this.parameter("weight", ones([numChannels], { dtype }));
      this.bias = this.parameter("bias", zeros([numChannels], { dtype }));
    }
  }

  /** x [N, C, …] normalised over each of `groups` channel groups and the trailing axes, then scaled per channel. */
  protected normalizeGroups(op: string, x: Tensor, groups: number, ranks: readonly number[]): Tensor {
    expectTensor(op, "x", x);
    if (!ranks.includes(x.rank) || x.shape[1] !== this.numChannels) {
      throw new AdError(
        "ShapeMismatch",
        `${this.constructor.name} of ${this.numChannels} channels needs inputs [N, ${this.numChannels}, …] of rank ${ranks.join(" or ")}, got ${formatShape(x.shape)}`,
        {
          op,
          shape: [...x.shape],
        },
      );
    }
    const [N, C] = x.shape;
    // Inner ops (a mean refusing a bool input, …) report as the layer the user called.
    return asOp(op, () => {
      const grouped = reshape(x, [N, groups, -1]);
      let y = reshape(normalize(grouped, [2], this.eps).y, x.shape);
      if (this.weight !== null && this.bias !== null) {
        const perChannel = [1, C, ...new Array<number>(x.rank - 2).fill(1)];
        y = add(mul(y, reshape(this.weight, perChannel)), reshape(this.bias, perChannel));
      }
      return y;
    });
  }
}

/** Normalises each sample over `numGroups` groups of channels (and all spatial axes): [N, C, …] → same. */
export class GroupNorm extends ChannelNorm {
  constructor(
    readonly numGroups: number,
    numChannels: number,
    options: NormOptions = {},
  ) {
    super(numChannels, "GroupNorm", options, true);
    expectInteger("GroupNorm", "numGroups", numGroups, 1, 2 ** 30);
    if (numChannels % numGroups !== 0) {
      throw invalidArgument("GroupNorm", `numGroups ${numGroups} must divide numChannels ${numChannels}`, { numGroups, numChannels });
    }
  }

  forward(x: Tensor): Tensor {
    return this.normalizeGroups("GroupNorm.forward", x, this.numGroups, [2, 3, 4, 5]);
  }
}

/** Normalises each channel of each sample of [N, C, L] over L (PyTorch's InstanceNorm1d; affine off by default). */
export class InstanceNorm1d extends ChannelNorm {
  constructor(numFeatures: number, options: NormOptions = {}) {
    super(numFeatures, "InstanceNorm1d", options, false);
  }
  forward(x: Tensor): Tensor {
    return this.normalizeGroups("InstanceNorm1d.forward", x, this.numChannels, [3]);
  }
}

/** Normalises each channel of each sample of [N, C, H, W] over H and W (PyTorch's InstanceNorm2d; affine off by default). */
export class InstanceNorm2d extends ChannelNorm {
  constructor(numFeatures: number, options: NormOptions = {}) {
    super(numFeatures, "InstanceNorm2d", options, false);
  }
  forward(x: Tensor): Tensor {
    return this.normalizeGroups("InstanceNorm2d.forward", x, this.numChannels, [4]);
  }
}
