/**
 * Losses on pairs and triplets of embeddings or scores: marginRankingLoss, cosineEmbeddingLoss and
 * tripletMarginLoss, PyTorch's definitions composed from primitives. The feature axis is the last.
 */
import { AdError, expectBooleanOption, expectFinite, expectOptions, invalidArgument } from "../errors.js";
import { tensor } from "../tensor/creation.js";
import { add, div, mul, neg, sub } from "../tensor/primitives/arithmetic.js";
import { eq } from "../tensor/primitives/compare.js";
import { sum } from "../tensor/primitives/reduce.js";
import { maximum, minimum, where } from "../tensor/primitives/select.js";
import { abs, pow, relu, sqrt } from "../tensor/primitives/unary.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { expectAtLeast, expectFloatTensor, floatPair, LOSS_KEYS, reduce, type LossOptions } from "./lossChecks.js";

export interface MarginOptions extends LossOptions {
  /** Default 0 (marginRankingLoss, cosineEmbeddingLoss). */
  readonly margin?: number;
}

/**
 * Targets of ±1: a float tensor or a number[] of `shape`, in `like`'s dtype; anything but 1 or −1 is
 * an InvalidArgument naming the position.
 */
function signs(op: string, target: unknown, shape: readonly number[], like: Tensor): Tensor {
  const t = Array.isArray(target) ? tensor(target, { dtype: like.dtype }) : expectFloatTensor(op, "target", target);
  if (!(t instanceof Tensor) || !sameShape(t.shape, shape)) {
    throw new AdError("ShapeMismatch", `target ${formatShape(t.shape)} must have shape ${formatShape(shape)}`, { op, shapes: [[...shape], [...t.shape]] });
  }
  const values = t.data();
  const bad = values.findIndex((v) => v !== 1 && v !== -1);
  if (bad >= 0) throw invalidArgument(op, `target must hold 1 or −1, got ${values[bad]} at flat position ${bad}`, { argument: "target", index: bad });
  return t;
}

/** max(0, −y·(x1 − x2) + margin): y = 1 asks x1 to rank above x2 by the margin, y = −1 below. */
export function marginRankingLoss(input1: Tensor, input2: Tensor, target: Tensor | readonly number[], options: MarginOptions = {}): Tensor {
  const op = "marginRankingLoss";
  options = expectOptions<MarginOptions>(op, options, [...LOSS_KEYS, "margin"]);
  const margin = expectFinite(op, "margin", options.margin ?? 0);
  const [a, b] = floatPair(op, "input1", input1, input2, "input2");
  const y = signs(op, target, a.shape, a);
  return reduce(op, relu(add(mul(neg(y), sub(a, b)), margin)), options.reduction);
}

/**
 * 1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1; x1, x2 [..., D], y the
 * batch shape. cos = Σ x1·x2 / √((Σ x1² + 1e−12)(Σ x2² + 1e−12)), PyTorch's guard against zero vectors.
 */
export function cosineEmbeddingLoss(input1: Tensor, input2: Tensor, target: Tensor | readonly number[], options: MarginOptions = {}): Tensor {
  const op = "cosineEmbeddingLoss";
  options = expectOptions<MarginOptions>(op, options, [...LOSS_KEYS, "margin"]);
  const margin = expectFinite(op, "margin", options.margin ?? 0);
  const [a, b] = floatPair(op, "input1", input1, input2, "input2");
  if (a.rank === 0) throw new AdError("ShapeMismatch", "input1 must have a feature axis (the last), got a scalar", { op, shape: [] });
  const y = signs(op, target, a.shape.slice(0, -1), a);
  const dot = sum(mul(a, b), -1);
  const denom = sqrt(mul(add(sum(mul(a, a), -1), 1e-12), add(sum(mul(b, b), -1), 1e-12)));
  const cos = div(dot, denom);
  return reduce(op, where(eq(y, 1), sub(1, cos), relu(sub(cos, margin))), options.reduction);
}

export interface TripletOptions extends LossOptions {
  /** Default 1. */
  readonly margin?: number;
  /** The norm's order p > 0. Default 2. */
  readonly p?: number;
  /** Added to the differences before the norm (PyTorch's pairwise_distance). Default 1e-6. */
  readonly eps?: number;
  /** Use min(d(a, n), d(p, n)) as the negative distance (Balntas et al.). Default false. */
  readonly swap?: boolean;
}

/** ‖a − b + eps‖_p over the last axis. */
function distance(a: Tensor, b: Tensor, p: number, eps: number): Tensor {
  const d = add(sub(a, b), eps);
  if (p === 2) return sqrt(sum(mul(d, d), -1));
  if (p === 1) return sum(abs(d), -1);
  return pow(sum(pow(abs(d), p), -1), 1 / p);
}

/** max(d(a, p) − d(a, n) + margin, 0) for anchors, positives and negatives [..., D]. */
export function tripletMarginLoss(anchor: Tensor, positive: Tensor, negative: Tensor, options: TripletOptions = {}): Tensor {
  const op = "tripletMarginLoss";
  options = expectOptions<TripletOptions>(op, options, [...LOSS_KEYS, "margin", "p", "eps", "swap"]);
  const margin = expectFinite(op, "margin", options.margin ?? 1);
  const p = expectAtLeast(op, "p", options.p, 2, 0, true);
  const eps = expectAtLeast(op, "eps", options.eps, 1e-6, 0);
  const swap = expectBooleanOption(op, "swap", options.swap, false);
  const [a, pos] = floatPair(op, "anchor", anchor, positive, "positive");
  const [, neg] = floatPair(op, "anchor", a, negative, "negative");
  if (a.rank === 0) throw new AdError("ShapeMismatch", "anchor must have a feature axis (the last), got a scalar", { op, shape: [] });
  const dPos = distance(a, pos, p, eps);
  let dNeg = distance(a, neg, p, eps);
  if (swap) dNeg = minimum(dNeg, distance(pos, neg, p, eps));
  return reduce(op, maximum(add(sub(dPos, dNeg), margin), 0), options.reduction);
}
