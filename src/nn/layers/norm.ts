/**
 * Normalisation layers. LayerNorm normalises each sample over its trailing `normalizedShape` axes;
 * BatchNorm normalises each channel (axis 1) over the batch and spatial axes. Both compose
 * primitives (mean, rsqrt, …), so their gradients, of any order, come from the primitives' rules.
 *
 * BatchNorm in training mode uses the batch's statistics and updates its running ones,
 * running ← (1 − momentum)·running + momentum·batch (the variance unbiased, n/(n − 1)), under
 * `noGrad` so the update is never part of a graph; in evaluation mode it uses the running ones.
 * Buffer names are PyTorch's (`running_mean`, `running_var`, `num_batches_tracked`) so state dicts
 * load in either library.
 */
import { AdError, asOp, expectBooleanOption, expectFinite, expectInteger, expectOptions, invalidArgument } from "../../errors.js";
import { noGrad } from "../../tensor/autograd/mode.js";
import { ones, zeros } from "../../tensor/creation.js";
import type { FloatDType } from "../../tensor/dtype.js";
import { add, mul, sub } from "../../tensor/primitives/arithmetic.js";
import { mean } from "../../tensor/primitives/reduce.js";
import { reshape } from "../../tensor/primitives/shape.js";
import { rsqrt } from "../../tensor/primitives/unary.js";
import { expectShape, formatShape } from "../../tensor/shape.js";
import { expectPositive, expectTensor, floatDTypeOption } from "../checks.js";
import type { Tensor } from "../../tensor/tensor.js";
import { Module } from "../module.js";

export interface NormOptions {
  /** Added to the variance. Default 1e-5. */
  readonly eps?: number;
  /** Learnable scale (ones) and shift (zeros). Default true. */
  readonly affine?: boolean;
  readonly dtype?: FloatDType;
}

const NORM_KEYS = ["eps", "affine", "dtype"] as const;

/** (x − mean) / √(var + eps) over `axes`, var the biased one; returns it with the mean and variance. */
export function normalize(x: Tensor, axes: number[], eps: number): { y: Tensor; mu: Tensor; variance: Tensor } {
  const mu = mean(x, axes, true);
  const centred = sub(x, mu);
  const variance = mean(mul(centred, centred), axes, true);
  return { y: mul(centred, rsqrt(add(variance, eps))), mu, variance };
}

export class LayerNorm extends Module {
  readonly weight: Tensor | null = null;
  readonly bias: Tensor | null = null;
  readonly normalizedShape: readonly number[];
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options: NormOptions = {}) {
    super();
    const op = "LayerNorm";
    const shape = expectShape(op, "normalizedShape", typeof normalizedShape === "number" ? [normalizedShape] : normalizedShape);
    if (shape.length === 0 || shape.some((d) => d < 1)) throw invalidArgument(op, `normalizedShape must be one or more dims ≥ 1, got [${shape.join(", ")}]`);
    options = expectOptions<NormOptions>(op, options, NORM_KEYS);
    this.normalizedShape = shape;
    this.eps = expectPositive(op, "eps", options.eps ?? 1e-5);
    const dtype = floatDTypeOption(op, options.dtype);
    if (expectBooleanOption(op, "affine", options.affine, true)) {
      this.weight = this.parameter("weight", ones(shape, { dtype }));
      this.bias = this.parameter("bias", zeros(shape, { dtype }));
    }
  }

  forward(x: Tensor): Tensor {
    expectTensor("LayerNorm.forward", "x", x);
    const k = this.normalizedShape.length;
    const tail = x.shape.slice(x.rank - k);
    if (x.rank < k || tail.some((d, i) => d !== this.normalizedShape[i])) {
      throw new AdError("ShapeMismatch", `LayerNorm over ${formatShape(this.normalizedShape)} needs inputs ending in it, got ${formatShape(x.shape)}`, {
        op: "LayerNorm.forward",
        shapes: [[...x.shape], [...this.normalizedShape]],
      });
    }
    const axes = Array.from({ length: k }, (_, i) => x.rank - k + i);
    return asOp("LayerNorm.forward", () => {
      const y = normalize(x, axes, this.eps).y;
      return this.weight !== null && this.bias !== null ? add(mul(y, this.weight), this.bias) : y;
    });
  }
}

export interface BatchNormOptions extends NormOptions {
  /** Weight of the new batch in the running statistics. Default 0.1. */
  readonly momentum?: number;
}

class BatchNorm extends Module {
  readonly weight: Tensor | null = null;
  readonly bias: Tensor | null = null;
  readonly running_mean: Tensor;
  readonly running_var: Tensor;
  readonly num_batches_tracked: Tensor;
  readonly eps: number;
  readonly momentum: number;

  constructor(
    readonly numFeatures: number,
    readonly ranks: readonly number[],
    options: BatchNormOptions,
  ) {
    super();
    const op = this.constructor.name;
    expectInteger(op, "numFeatures", numFeatures, 1, 2 ** 30);
    options = expectOptions<BatchNormOptions>(op, options, [...NORM_KEYS, "momentum"]);
    this.eps = expectPositive(op, "eps", options.eps ?? 1e-5);
    this.momentum = expectFinite(op, "momentum", options.momentum ?? 0.1);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw invalidArgument(op, `momentum must be in [0, 1], got ${this.momentum}`, { argument: "momentum", got: this.momentum });
    const dtype = floatDTypeOption(op, options.dtype);
    if (expectBooleanOption(op, "affine", options.affine, true)) {
      this.weight = this.parameter("weight", ones([numFeatures], { dtype }));
      this.bias = this.parameter("bias", zeros([numFeatures], { dtype }));
    }
    this.running_mean = this.buffer("running_mean", zeros([numFeatures], { dtype }));
    this.running_var = this.buffer("running_var", ones([numFeatures], { dtype }));
    this.num_batches_tracked = this.buffer("num_batches_tracked", zeros([], { dtype: "int32" }));
  }

  forward(x: Tensor): Tensor {
    const op = `${this.constructor.name}.forward`;
    expectTensor(op, "x", x);
    if (!this.ranks.includes(x.rank) || x.shape[1] !== this.numFeatures) {
      const want = this.ranks.map((r) => (r === 2 ? `[N, ${this.numFeatures}]` : r === 3 ? `[N, ${this.numFeatures}, L]` : `[N, ${this.numFeatures}, H, W]`)).join(" or ");
      throw new AdError("ShapeMismatch", `needs inputs ${want}, got ${formatShape(x.shape)}`, { op, shape: [...x.shape] });
    }
    // A float64 input to float32 statistics, or a bool input, fails inside; the error names forward.
    return asOp(op, () => {
      const axes = Array.from({ length: x.rank }, (_, i) => i).filter((a) => a !== 1);
      const perChannel = x.shape.map((d, i) => (i === 1 ? d : 1));
      let y: Tensor;
      if (this.training) {
        const n = x.size / this.numFeatures;
        if (n < 2) throw invalidArgument(op, `training mode needs more than one value per channel, got input ${formatShape(x.shape)}`, { shape: [...x.shape] });
        const stats = normalize(x, axes, this.eps);
        y = stats.y;
        const m = this.momentum;
        noGrad(() => {
          const batchMean = reshape(stats.mu, [this.numFeatures]);
          const batchVar = mul(reshape(stats.variance, [this.numFeatures]), n / (n - 1));
          this.running_mean.assign(add(mul(this.running_mean, 1 - m), mul(batchMean, m)));
          this.running_var.assign(add(mul(this.running_var, 1 - m), mul(batchVar, m)));
          this.num_batches_tracked.assign(add(this.num_batches_tracked, 1));
        });
      } else {
        const mu = reshape(this.running_mean, perChannel);
        const scale = rsqrt(add(reshape(this.running_var, perChannel), this.eps));
        y = mul(sub(x, mu), scale);
      }
      if (this.weight !== null && this.bias !== null) y = add(mul(y, reshape(this.weight, perChannel)), reshape(this.bias, perChannel));
      return y;
    });
  }
}

/** Batch normalisation of [N, C] or [N, C, L] inputs over N (and L). */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, [2, 3], options);
  }
}

/** Batch normalisation of [N, C, H, W] inputs over N, H and W. */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super(numFeatures, [4], options);
  }
}
