/**
 * Loss functions, composed from primitives (so they differentiate to any order). The class axis is
 * the last one: logits [..., C]. Each takes `reduction`: "mean" (default), "sum" or "none" (the
 * per-sample losses, of the batch shape).
 *
 * Stability: crossEntropy goes through logSoftmax (max-shifted), never log(softmax(x));
 * binaryCrossEntropyWithLogits is max(x, 0) − x·y + log(1 + e^(−|x|)) written as softplus(x) − x·y,
 * and softplus is a primitive that does not overflow.
 */
import { AdError, describe, expectFinite, expectOptions, invalidArgument } from "../errors.js";
import { tensor } from "../tensor/creation.js";
import { isFloat } from "../tensor/dtype.js";
import { add, mul, mulSafe, neg, sub } from "../tensor/primitives/arithmetic.js";
import { gather } from "../tensor/primitives/gather.js";
import { mean, sum } from "../tensor/primitives/reduce.js";
import { squeeze, unsqueeze } from "../tensor/primitives/shape.js";
import { softplus } from "../tensor/primitives/unary.js";
import { logSoftmax } from "../tensor/composites/softmax.js";
import { isAbstract } from "../tensor/interpreters/abstract.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";

export type Reduction = "mean" | "sum" | "none";

export interface LossOptions {
  readonly reduction?: Reduction;
}

const LOSS_KEYS = ["reduction"] as const;

export interface CrossEntropyOptions extends LossOptions {
  /** ε in [0, 1): the target becomes (1 − ε)·target + ε/C. Default 0. */
  readonly labelSmoothing?: number;
}

/** Class labels: an int32 tensor or a number[] (of the batch shape), or probabilities [..., C]. */
export type Target = Tensor | readonly number[];

function reduce(op: string, losses: Tensor, reduction: unknown): Tensor {
  switch (reduction ?? "mean") {
    case "mean":
      return mean(losses);
    case "sum":
      return sum(losses);
    case "none":
      return losses;
    default:
      throw invalidArgument(op, `reduction must be "mean", "sum" or "none", got ${describe(reduction)}`, { argument: "reduction" });
  }
}

function expectFloatTensor(op: string, name: string, x: unknown): Tensor {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(x)}`, { argument: name });
  if (!isFloat(x.dtype)) throw new AdError("DTypeMismatch", `${name} must be a float tensor, got ${x.dtype}`, { op, argument: name, dtype: x.dtype });
  return x;
}

/** Float input and target tensors of one shape. */
function floatPair(op: string, inputName: string, input: Tensor, target: Tensor): [Tensor, Tensor] {
  const x = expectFloatTensor(op, inputName, input);
  const y = expectFloatTensor(op, "target", target);
  if (!sameShape(x.shape, y.shape)) {
    throw new AdError("ShapeMismatch", `${inputName} ${formatShape(x.shape)} and target ${formatShape(y.shape)} must have the same shape`, {
      op,
      shapes: [[...x.shape], [...y.shape]],
    });
  }
  return [x, y];
}

/** Mean squared error (x − y)², elementwise then reduced. */
export function mseLoss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = "mseLoss";
  options = expectOptions<LossOptions>(op, options, LOSS_KEYS);
  const [x, y] = floatPair(op, "input", input, target);
  const d = sub(x, y);
  return reduce(op, mul(d, d), options.reduction);
}

/**
 * Labels as an int32 tensor of the batch shape [...], checked against logits [..., C]. A number[] is
 * read as float64 first so that 1.5 or NaN is refused, not truncated to 1 or 0 by the int32 store.
 */
function labels(op: string, logits: Tensor, target: Target): Tensor {
  const fromArray = Array.isArray(target);
  const t = fromArray ? tensor(target, { dtype: "float64" }) : (target as Tensor);
  if (!(t instanceof Tensor)) throw invalidArgument(op, `target must be a Tensor or a number[], got ${describe(target)}`, { argument: "target" });
  if (!fromArray && t.dtype !== "int32") {
    throw new AdError("DTypeMismatch", `class labels must be int32 (or a number[]), got ${t.dtype}; float targets must be [..., C] probabilities`, { op, dtype: t.dtype });
  }
  if (!sameShape(t.shape, logits.shape.slice(0, -1))) {
    throw new AdError("ShapeMismatch", `labels ${formatShape(t.shape)} must have the batch shape of logits ${formatShape(logits.shape)} (all axes but the last)`, {
      op,
      shapes: [[...logits.shape], [...t.shape]],
    });
  }
  // Traced labels (a jitted step) have no values to check: gather's own index check runs when the program does.
  if (isAbstract(t)) return t;
  const c = logits.shape[logits.rank - 1];
  const values = t.data();
  for (let k = 0; k < values.length; k++) {
    const label = values[k];
    if (Number.isInteger(label) && label >= 0 && label < c) continue;
    const position = positionIn(k, t.shape);
    const why = Number.isInteger(label) ? `is out of range for ${c} classes` : "is not an integer class index";
    throw invalidArgument(op, `label ${label} at position [${position.join(", ")}] ${why}`, { argument: "target", label, position, classes: c });
  }
  return t.dtype === "int32" ? t : tensor(Int32Array.from(values), { shape: [...t.shape] });
}

/** The multi-index of the k-th element (row-major) of `shape`, for error messages. */
function positionIn(k: number, shape: readonly number[]): number[] {
  const position = new Array<number>(shape.length);
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    position[axis] = k % shape[axis];
    k = Math.floor(k / shape[axis]);
  }
  return position;
}

/** −Σ_c target_c · logProbs_c for probability targets, or −logProbs[label] for labels; per sample. */
function negativeLogLikelihood(op: string, logProbs: Tensor, target: Target): Tensor {
  if (target instanceof Tensor && isFloat(target.dtype)) {
    floatPair(op, "input", logProbs, target);
    if (target.dtype !== logProbs.dtype) throw new AdError("DTypeMismatch", `target is ${target.dtype}, input ${logProbs.dtype}`, { op, dtypes: [logProbs.dtype, target.dtype] });
    // A class of probability 0 contributes 0 even where its log-probability is −∞ (not 0·−∞ = NaN).
    return neg(sum(mulSafe(target, logProbs), -1));
  }
  const idx = labels(op, logProbs, target);
  return neg(squeeze(gather(logProbs, -1, unsqueeze(idx, -1)), -1));
}

/**
 * Cross-entropy from logits [..., C]: target is class labels (int32 tensor or number[], the batch
 * shape) or probabilities / one-hot rows [..., C]. With `labelSmoothing` ε the target is mixed with
 * the uniform distribution: (1 − ε)·target + ε/C (PyTorch's definition).
 */
export function crossEntropy(logits: Tensor, target: Target, options: CrossEntropyOptions = {}): Tensor {
  const op = "crossEntropy";
  options = expectOptions<CrossEntropyOptions>(op, options, [...LOSS_KEYS, "labelSmoothing"]);
  const x = expectFloatTensor(op, "logits", logits);
  if (x.rank === 0) throw new AdError("ShapeMismatch", "logits must have a class axis (the last), got a scalar", { op, shape: [] });
  const eps = expectFinite(op, "labelSmoothing", options.labelSmoothing ?? 0);
  if (!(eps >= 0 && eps < 1)) throw invalidArgument(op, `labelSmoothing must be in [0, 1), got ${eps}`, { labelSmoothing: eps });
  const logProbs = logSoftmax(x, -1);
  let losses = negativeLogLikelihood(op, logProbs, target);
  if (eps > 0) {
    // (1 − ε)·nll(target) + ε·mean_c(−logProbs_c): the uniform part is the same for either target kind.
    const uniform = neg(mean(logProbs, -1));
    losses = add(mul(losses, 1 - eps), mul(uniform, eps));
  }
  return reduce(op, losses, options.reduction);
}

/** Negative log-likelihood of log-probabilities [..., C] (e.g. logSoftmax's output) at class labels. */
export function nllLoss(logProbs: Tensor, target: Tensor | readonly number[], options: LossOptions = {}): Tensor {
  const op = "nllLoss";
  options = expectOptions<LossOptions>(op, options, LOSS_KEYS);
  const x = expectFloatTensor(op, "logProbs", logProbs);
  if (x.rank === 0) throw new AdError("ShapeMismatch", "logProbs must have a class axis (the last), got a scalar", { op, shape: [] });
  const idx = labels(op, x, target);
  return reduce(op, neg(squeeze(gather(x, -1, unsqueeze(idx, -1)), -1)), options.reduction);
}

/** Binary cross-entropy of logits against targets in [0, 1] of the same shape, without overflow. */
export function binaryCrossEntropyWithLogits(logits: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = "binaryCrossEntropyWithLogits";
  options = expectOptions<LossOptions>(op, options, LOSS_KEYS);
  const [x, y] = floatPair(op, "logits", logits, target);
  // −[y·log σ(x) + (1 − y)·log(1 − σ(x))] = softplus(x) − x·y
  return reduce(op, sub(softplus(x), mul(x, y)), options.reduction);
}
