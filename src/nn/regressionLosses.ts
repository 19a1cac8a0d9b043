/**
 * Regression losses on elementwise pairs: l1Loss, smoothL1Loss, huberLoss, poissonNllLoss and
 * gaussianNllLoss, PyTorch's definitions composed from primitives. Each takes `reduction`.
 */
import { AdError, expectBooleanOption, expectOptions } from "../errors.js";
import { add, div, mul, sub } from "../tensor/primitives/arithmetic.js";
import { gt, lt } from "../tensor/primitives/compare.js";
import { unsqueeze } from "../tensor/primitives/shape.js";
import { maximum, where } from "../tensor/primitives/select.js";
import { abs, exp, log } from "../tensor/primitives/unary.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectAtLeast, expectFloatTensor, floatPair, LOSS_KEYS, reduce, type LossOptions } from "./lossChecks.js";

/** Mean absolute error |x − y|. */
export function l1Loss(input: Tensor, target: Tensor, options: LossOptions = {}): Tensor {
  const op = "l1Loss";
  options = expectOptions<LossOptions>(op, options, LOSS_KEYS);
  const [x, y] = floatPair(op, "input", input, target);
  return reduce(op, abs(sub(x, y)), options.reduction);
}

export interface SmoothL1Options extends LossOptions {
  /** β ≥ 0: below it the loss is quadratic. Default 1; 0 is l1Loss. */
  readonly beta?: number;
}

/** 0.5·d²/β where |d| < β, else |d| − 0.5·β (d = x − y; PyTorch's smooth_l1_loss). */
export function smoothL1Loss(input: Tensor, target: Tensor, options: SmoothL1Options = {}): Tensor {
  const op = "smoothL1Loss";
  options = expectOptions<SmoothL1Options>(op, options, [...LOSS_KEYS, "beta"]);
  const beta = expectAtLeast(op, "beta", options.beta, 1, 0);
  const [x, y] = floatPair(op, "input", input, target);
  const a = abs(sub(x, y));
  const losses = beta === 0 ? a : where(lt(a, beta), div(mul(mul(a, a), 0.5), beta), sub(a, 0.5 * beta));
  return reduce(op, losses, options.reduction);
}

export interface HuberOptions extends LossOptions {
  /** δ > 0: below it the loss is quadratic. Default 1. */
  readonly delta?: number;
}

/** 0.5·d² where |d| ≤ δ, else δ·(|d| − 0.5·δ) (PyTorch's huber_loss: smoothL1Loss with β = δ, times δ). */
export function huberLoss(input: Tensor, target: Tensor, options: HuberOptions = {}): Tensor {
  const op = "huberLoss";
  options = expectOptions<HuberOptions>(op, options, [...LOSS_KEYS, "delta"]);
  const delta = expectAtLeast(op, "delta", options.delta, 1, 0, true);
  const [x, y] = floatPair(op, "input", input, target);
  const a = abs(sub(x, y));
  return reduce(op, where(gt(a, delta), mul(sub(a, 0.5 * delta), delta), mul(mul(a, a), 0.5)), options.reduction);
}

export interface PoissonNllOptions extends LossOptions {
  /** The input is log λ (default true): loss e^x − y·x; else λ itself: x − y·log(x + eps). */
  readonly logInput?: boolean;
  /** Add Stirling's approximation of log(y!) where y > 1. Default false. */
  readonly full?: boolean;
  /** Keeps log away from 0 when logInput is false. Default 1e-8. */
  readonly eps?: number;
}

/** Negative log-likelihood of targets y under Poisson(λ) (PyTorch's poisson_nll_loss). */
export function poissonNllLoss(input: Tensor, target: Tensor, options: PoissonNllOptions = {}): Tensor {
  const op = "poissonNllLoss";
  options = expectOptions<PoissonNllOptions>(op, options, [...LOSS_KEYS, "logInput", "full", "eps"]);
  const logInput = expectBooleanOption(op, "logInput", options.logInput, true);
  const full = expectBooleanOption(op, "full", options.full, false);
  const eps = expectAtLeast(op, "eps", options.eps, 1e-8, 0, true);
  const [x, y] = floatPair(op, "input", input, target);
  let losses = logInput ? sub(exp(x), mul(y, x)) : sub(x, mul(y, log(add(x, eps))));
  if (full) {
    // y·log y − y + 0.5·log(2πy), only where y > 1 (y ≤ 1 reads y = 2 and is then dropped, so no log 0).
    const big = gt(y, 1);
    const safe = where(big, y, 2);
    const stirling = add(sub(mul(safe, log(safe)), safe), mul(log(mul(safe, 2 * Math.PI)), 0.5));
    losses = add(losses, where(big, stirling, 0));
  }
  return reduce(op, losses, options.reduction);
}

export interface GaussianNllOptions extends LossOptions {
  /** Add the constant 0.5·log 2π. Default false. */
  readonly full?: boolean;
  /** The variance is clamped to at least eps (the gradient passes the clamp unchanged, as PyTorch's). Default 1e-6. */
  readonly eps?: number;
}

/**
 * 0.5·(log v + (x − y)²/v) (PyTorch's gaussian_nll_loss): `variance` has the input's shape, or that
 * shape with the last axis 1 or dropped (one variance per sample, broadcast).
 */
export function gaussianNllLoss(input: Tensor, target: Tensor, variance: Tensor, options: GaussianNllOptions = {}): Tensor {
  const op = "gaussianNllLoss";
  options = expectOptions<GaussianNllOptions>(op, options, [...LOSS_KEYS, "full", "eps"]);
  const full = expectBooleanOption(op, "full", options.full, false);
  const eps = expectAtLeast(op, "eps", options.eps, 1e-6, 0, true);
  const [x, y] = floatPair(op, "input", input, target);
  let v = expectFloatTensor(op, "variance", variance);
  const perSample = x.rank > 0 && sameShape(v.shape, x.shape.slice(0, -1));
  if (perSample) v = unsqueeze(v, -1);
  else if (!sameShape(v.shape, x.shape) && !(x.rank > 0 && sameShape(v.shape, [...x.shape.slice(0, -1), 1]))) {
    throw new AdError("ShapeMismatch", `variance ${formatShape(v.shape)} must have the input's shape ${formatShape(x.shape)}, or it with the last axis 1 or dropped`, {
      op,
      shapes: [[...x.shape], [...v.shape]],
    });
  }
  const values = v.data();
  const negative = values.findIndex((e) => e < 0);
  if (negative >= 0)
    throw new AdError("InvalidArgument", `variance has a negative entry, ${values[negative]} at flat position ${negative}`, { op, argument: "variance", index: negative });
  // The clamp is a constant shift, so the gradient with respect to v is the unclamped one (PyTorch clamps in place under no_grad).
  const clamped = add(v, sub(maximum(v, eps), v).detach());
  const d = sub(x, y);
  let losses = mul(add(log(clamped), div(mul(d, d), clamped)), 0.5);
  if (full) losses = add(losses, 0.5 * Math.log(2 * Math.PI));
  return reduce(op, losses, options.reduction);
}
