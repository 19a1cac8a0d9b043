/**
 * Losses on probabilities rather than logits: binaryCrossEntropy (PyTorch's binary_cross_entropy,
 * logs clamped at −100) and klDiv (PyTorch's kl_div, with "batchmean"). From logits,
 * binaryCrossEntropyWithLogits (losses.ts) is the stable form.
 */
import { AdError, expectBooleanOption, expectOptions } from "../errors.js";
import { add, div, mul, mulSafe, sub } from "../tensor/primitives/arithmetic.js";
import { sum } from "../tensor/primitives/reduce.js";
import { maximum } from "../tensor/primitives/select.js";
import { exp, log } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { broadcastWeight, floatPair, LOSS_KEYS, reduce, reductionOf, type LossOptions } from "./lossChecks.js";

export interface BceOptions extends LossOptions {
  /** Scales each element's loss; broadcast to the input's shape. */
  readonly weight?: Tensor;
}

/**
 * −w·(y·log p + (1 − y)·log(1 − p)) for probabilities p in [0, 1], each log clamped at −100 as
 * PyTorch does, so p = 0 or 1 gives a finite loss. A p outside [0, 1] (or NaN) is an InvalidArgument.
 */
export function binaryCrossEntropy(input: Tensor, target: Tensor, options: BceOptions = {}): Tensor {
  const op = "binaryCrossEntropy";
  options = expectOptions<BceOptions>(op, options, [...LOSS_KEYS, "weight"]);
  const [p, y] = floatPair(op, "input", input, target);
  const weight = broadcastWeight(op, "weight", options.weight, p);
  const values = p.data();
  const bad = values.findIndex((v) => !(v >= 0 && v <= 1));
  if (bad >= 0) throw new AdError("InvalidArgument", `input must hold probabilities in [0, 1], got ${values[bad]} at flat position ${bad}`, { op, argument: "input", index: bad });
  // mulSafe: a target of 0 (or 1) drops its log term even where the clamp's gradient meets log 0.
  const logP = maximum(log(p), -100);
  const log1mP = maximum(log(sub(1, p)), -100);
  let losses = mul(add(mulSafe(y, logP), mulSafe(sub(1, y), log1mP)), -1);
  if (weight !== undefined) losses = mul(losses, weight);
  return reduce(op, losses, options.reduction);
}

export interface KlDivOptions {
  /** "mean" (over every element, PyTorch's default), "batchmean" (the sum over the first axis's size: the true KL divergence), "sum" or "none". */
  readonly reduction?: "mean" | "batchmean" | "sum" | "none";
  /** The target is given as log-probabilities. Default false. */
  readonly logTarget?: boolean;
}

/**
 * KL(target ‖ q) pointwise, from input = log q (PyTorch's kl_div): target·(log target − input), 0
 * where target is 0; with logTarget, e^t·(t − input).
 */
export function klDiv(input: Tensor, target: Tensor, options: KlDivOptions = {}): Tensor {
  const op = "klDiv";
  options = expectOptions<KlDivOptions>(op, options, ["reduction", "logTarget"]);
  const logTarget = expectBooleanOption(op, "logTarget", options.logTarget, false);
  const reduction = reductionOf(op, options.reduction, ["batchmean"]);
  const [x, t] = floatPair(op, "input", input, target);
  const losses = logTarget ? mul(exp(t), sub(t, x)) : mulSafe(t, sub(log(t), x));
  if (reduction === "batchmean") return x.rank === 0 ? sum(losses) : div(sum(losses), x.shape[0]);
  return reduce(op, losses, reduction);
}
