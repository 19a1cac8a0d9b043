/**
 * The classification losses on scores: crossEntropy (from logits), nllLoss (from log-probabilities),
 * binaryCrossEntropyWithLogits, and mseLoss; composed from primitives (so they differentiate to any
 * order). The class axis is the last one: logits [..., C]. Each takes `reduction`: "mean" (default),
 * "sum" or "none" (the per-sample losses, of the batch shape).
 *
 * Stability: crossEntropy goes through logSoftmax (max-shifted), never log(softmax(x));
 * binaryCrossEntropyWithLogits is (1 − y)·x + (1 + (p − 1)·y)·softplus(−x) (p the positive weight),
 * and softplus is a primitive that does not overflow.
 */
import { AdError, expectFinite, expectOptions, invalidArgument } from "../errors.js";
import { cast } from "../tensor/primitives/cast.js";
import { add, div, mul, mulSafe, neg, sub } from "../tensor/primitives/arithmetic.js";
import { ne } from "../tensor/primitives/compare.js";
import { gather } from "../tensor/primitives/gather.js";
import { expand, sum } from "../tensor/primitives/reduce.js";
import { reshape, squeeze, unsqueeze } from "../tensor/primitives/shape.js";
import { where } from "../tensor/primitives/select.js";
import { softplus } from "../tensor/primitives/unary.js";
import { logSoftmax } from "../tensor/composites/softmax.js";
import { Tensor } from "../tensor/tensor.js";
import { isFloat } from "../tensor/dtype.js";
import { expectFloatTensor, floatPair, ignoreIndexOf, labels, LOSS_KEYS, reduce, reductionOf, broadcastWeight, weightOf, type LossOptions, type Target } from "./lossChecks.js";

export type { LossOptions, Reduction, Target } from "./lossChecks.js";

export interface NllOptions extends LossOptions {
  /** A float tensor [C]: class c's losses are scaled by weight[c], and "mean" divides by the weights' sum. */
  readonly weight?: Tensor;
  /** Labels equal to it contribute nothing (nor count in "mean"). Default −100, as PyTorch. */
  readonly ignoreIndex?: number;
}

export interface CrossEntropyOptions extends NllOptions {
  /** ε in [0, 1): the target becomes (1 − ε)·target + ε/C. Default 0. */
  readonly labelSmoothing?: number;
}

/** Mean squared error (x − y)², elementwise then reduced. */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = "mseLoss";
  options = expectOptions<LossOptions>(op, options, LOSS_KEYS);
  const [x, y] = floatPair(op, "input", input, target);
  const d = sub(x, y);
  return reduce(op, mul(d, d), options.reduction);
}

/** Scores [..., C] with a class axis. */
function scoresOf(op: string, name: string, value: unknown): Tensor {
  const x = expectFloatTensor(op, name, value);
  if (x.rank === 0) throw new AdError("ShapeMismatch", `${name} must have a class axis (the last), got a scalar`, { op, shape: [] });
  return x;
}

/**
 * Label losses of log-probabilities [..., C] (PyTorch's nll_loss, with its label smoothing): per sample
 * w[y]·(−logProbs[y]), mixed as (1 − ε)·that + ε/C·Σ_c w_c·(−logProbs_c) when smoothing; 0 at an
 * ignored label. "mean" divides the sum by Σ w[y] over the labels not ignored (NaN when all are).
 */
function labelLoss(op: string, logProbs: Tensor, target: Target, options: CrossEntropyOptions, eps: number): Tensor {
  const ignore = ignoreIndexOf(op, options.ignoreIndex);
  const c = logProbs.shape[logProbs.rank - 1];
  const weight = weightOf(op, "weight", options.weight, logProbs, [c]);
  const idx = labels(op, logProbs, target, ignore);
  const kept = cast(ne(idx, ignore), logProbs.dtype);
  // Ignored labels read class 0 and are then scaled by 0 (mulSafe: also where that log-probability is −∞).
  const safe = unsqueeze(where(ne(idx, ignore), idx, 0), -1);
  const wy = weight === undefined ? kept : mul(squeeze(gather(expand(reshape(weight, [...Array<number>(logProbs.rank - 1).fill(1), c]), logProbs.shape), -1, safe), -1), kept);
  let losses = neg(mulSafe(wy, squeeze(gather(logProbs, -1, safe), -1)));
  if (eps > 0) {
    const all = weight === undefined ? logProbs : mul(logProbs, weight);
    const uniform = neg(mulSafe(kept, sum(all, -1)));
    losses = add(mul(losses, 1 - eps), mul(uniform, eps / c));
  }
  switch (reductionOf(op, options.reduction)) {
    case "mean":
      return div(sum(losses), sum(wy));
    case "sum":
      return sum(losses);
    default:
      return losses;
  }
}

/**
 * Cross-entropy from logits [..., C]: target is class labels (int32 tensor or number[], the batch
 * shape) or probabilities / one-hot rows [..., C]. With `labelSmoothing` ε the target is mixed with
 * the uniform distribution: (1 − ε)·target + ε/C (PyTorch's definition); `weight` [C] scales each
 * class; `ignoreIndex` (labels only) drops samples. "mean" over labels divides by the summed weights
 * of the samples kept, over probabilities by the number of samples, as PyTorch does.
 */
export function crossEntropy(logits: Tensor, target: Target, options: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  options = expectOptions<CrossEntropyOptions>(op, options, [...LOSS_KEYS, "labelSmoothing", "weight", "ignoreIndex"]);
  const x = scoresOf(op, "logits", logits);
  const eps = expectFinite(op, "labelSmoothing", options.labelSmoothing ?? 0);
  if (!(eps >= 0 && eps < 1)) throw invalidArgument(op, `labelSmoothing must be in [0, 1), got ${eps}`, { labelSmoothing: eps });
  const logProbs = logSoftmax(x, -1);
  if (!(target instanceof Tensor && isFloat(target.dtype))) return labelLoss(op, logProbs, target, options, eps);
  if (options.ignoreIndex !== undefined) throw invalidArgument(op, "ignoreIndex applies to class labels, not to probability targets", { argument: "ignoreIndex" });
  const [, p] = floatPair(op, "logits", x, target);
  if (p.dtype !== x.dtype) throw new AdError("DTypeMismatch", `target is ${p.dtype}, logits ${x.dtype}`, { op, dtypes: [x.dtype, p.dtype] });
  const c = x.shape[x.rank - 1];
  const weight = weightOf(op, "weight", options.weight, x, [c]);
  const smoothed = eps > 0 ? add(mul(p, 1 - eps), eps / c) : p;
  // A class of probability 0 contributes 0 even where its log-probability is −∞ (not 0·−∞ = NaN).
  const terms = mulSafe(weight === undefined ? smoothed : mul(smoothed, weight), logProbs);
  return reduce(op, neg(sum(terms, -1)), options.reduction);
}

/** Negative log-likelihood of log-probabilities [..., C] (e.g. logSoftmax's output) at class labels, with `weight` and `ignoreIndex` as crossEntropy. */
export function nllLoss(logProbs: Tensor, target: Tensor | readonly number[], options: NllOptions = {}): Tensor {
  const op = "nllLoss";
  options = expectOptions<NllOptions>(op, options, [...LOSS_KEYS, "weight", "ignoreIndex"]);
  return labelLoss(op, scoresOf(op, "logProbs", logProbs), target, options, 0);
}

export interface BceWithLogitsOptions extends LossOptions {
  /** Scales each element's loss; broadcast to the input's shape. */
  readonly weight?: Tensor;
  /** p: the positive term's weight, per class (the last axis; broadcast). Default 1. */
  readonly posWeight?: Tensor;
}

/** Binary cross-entropy of logits against targets in [0, 1] of the same shape, without overflow (PyTorch's binary_cross_entropy_with_logits). */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options: BceWithLogitsOptions = {}): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  options = expectOptions<BceWithLogitsOptions>(op, options, [...LOSS_KEYS, "weight", "posWeight"]);
  const [x, y] = floatPair(op, "logits", logits, target);
  const weight = broadcastWeight(op, "weight", options.weight, x);
  const posWeight = broadcastWeight(op, "posWeight", options.posWeight, x);
  // −[p·y·log σ(x) + (1 − y)·log(1 − σ(x))] = (1 − y)·x + (1 + (p − 1)·y)·softplus(−x); p = 1: softplus(x) − x·y.
  let losses = posWeight === undefined ? sub(softplus(x), mul(x, y)) : add(mul(sub(1, y), x), mul(add(mul(sub(posWeight, 1), y), 1), softplus(neg(x))));
  if (weight !== undefined) losses = mul(losses, weight);
  return reduce(op, losses, options.reduction);
}
