/**
 * Adamax, NAdam and RAdam, PyTorch's algorithms (2.x defaults; g is the gradient plus λ·p when
 * weightDecay λ > 0; m ← β₁·m + (1 − β₁)·g, v ← β₂·v + (1 − β₂)·g² as in Adam):
 *
 *   Adamax: u ← max(β₂·u, |g| + ε),  p ← p − lr/(1 − β₁ᵗ) · m/u
 *   NAdam:  μₜ = β₁·(1 − ½·0.96^(t·ψ)), Πₜ = μ₁⋯μₜ, d = √(v/(1 − β₂ᵗ)) + ε,
 *           p ← p − lr·(1 − μₜ)/(1 − Πₜ) · g/d − lr·μₜ₊₁/(1 − Πₜ·μₜ₊₁) · m/d
 *   RAdam:  ρ∞ = 2/(1 − β₂) − 1, ρₜ = ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ); m̂ = m/(1 − β₁ᵗ);
 *           ρₜ > 5: p ← p − lr·m̂·r·√(1 − β₂ᵗ)/(√v + ε), r = √((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρₜ));
 *           else p ← p − lr·m̂ (the variance estimate is not yet trusted).
 */
import { expectOptions } from "../errors.js";
import { add, div, mul, sub } from "../tensor/primitives/arithmetic.js";
import { zerosLike } from "../tensor/primitives/lift.js";
import { maximum } from "../tensor/primitives/select.js";
import { abs, sqrt } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { withDecay } from "./adagrad.js";
import { expectBetas } from "./betas.js";
import { expectIn, Optimizer, type OptimizerOptions, type Params } from "./optimizer.js";

export interface AdamVariantOptions extends OptimizerOptions {
  /** [β₁, β₂]. Default [0.9, 0.999]. */
  readonly betas?: readonly [number, number];
  /** Default 1e-8. */
  readonly eps?: number;
  /** λ, added to the gradient (L2). Default 0. */
  readonly weightDecay?: number;
}

export interface NAdamOptions extends AdamVariantOptions {
  /** ψ in μₜ = β₁·(1 − ½·0.96^(t·ψ)). Default 4e-3. */
  readonly momentumDecay?: number;
}

interface Moments {
  readonly m: Tensor;
  readonly v: Tensor;
}

/** The options and moments Adamax, NAdam and RAdam share. */
abstract class AdamVariant<State extends Moments> extends Optimizer<State> {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;

  /** Option keys a subclass takes beside the shared ones (a property, not a constructor argument, which callers could fill with junk). */
  protected get extraOptions(): readonly "momentumDecay"[] {
    return [];
  }

  constructor(params: Params, options: NAdamOptions) {
    super(params, options);
    options = expectOptions<NAdamOptions>(this.op, options, ["lr", "betas", "eps", "weightDecay", ...this.extraOptions], true);
    [this.beta1, this.beta2] = expectBetas(this.op, options.betas, [0.9, 0.999]);
    this.eps = expectIn(this.op, "eps", options.eps ?? 1e-8, 0, Infinity);
    this.weightDecay = expectIn(this.op, "weightDecay", options.weightDecay ?? 0, 0, Infinity);
  }

  /** m ← β₁·m + (1 − β₁)·g. */
  protected firstMoment(m: Tensor, g: Tensor): Tensor {
    return m.assign(add(mul(m, this.beta1), mul(g, 1 - this.beta1)));
  }

  /** v ← β₂·v + (1 − β₂)·g². */
  protected secondMoment(v: Tensor, g: Tensor): Tensor {
    return v.assign(add(mul(v, this.beta2), mul(mul(g, g), 1 - this.beta2)));
  }

  protected initState(p: Tensor): State {
    return { m: zerosLike(p), v: zerosLike(p) } as State;
  }
}

/** Adam with the infinity norm (Kingma & Ba, section 7.1); `v` holds u, the running max of |g|. PyTorch's default lr is 2e-3. */
export class Adamax extends AdamVariant<Moments> {
  protected applyUpdate(p: Tensor, grad: Tensor, { m, v }: Moments, lr: number, t: number): void {
    const g = withDecay(grad, p, this.weightDecay);
    this.firstMoment(m, g);
    v.assign(maximum(mul(v, this.beta2), add(abs(g), this.eps)));
    p.assign(sub(p, mul(div(m, v), lr / (1 - this.beta1 ** t))));
  }
}

/** Adam with Nesterov momentum (Dozat 2016), PyTorch's schedule of μₜ. PyTorch's default lr is 2e-3. */
export class NAdam extends AdamVariant<Moments & { muProduct: number }> {
  readonly momentumDecay: number;

  protected override get extraOptions(): readonly "momentumDecay"[] {
    return ["momentumDecay"];
  }

  constructor(params: Params, options: NAdamOptions) {
    super(params, options);
    this.momentumDecay = expectIn(this.op, "momentumDecay", options.momentumDecay ?? 4e-3, 0, Infinity);
  }

  protected override initState(p: Tensor): Moments & { muProduct: number } {
    return { m: zerosLike(p), v: zerosLike(p), muProduct: 1 };
  }

  protected applyUpdate(p: Tensor, grad: Tensor, state: Moments & { muProduct: number }, lr: number, t: number): void {
    const g = withDecay(grad, p, this.weightDecay);
    const mu = this.beta1 * (1 - 0.5 * 0.96 ** (t * this.momentumDecay));
    const muNext = this.beta1 * (1 - 0.5 * 0.96 ** ((t + 1) * this.momentumDecay));
    state.muProduct *= mu;
    const m = this.firstMoment(state.m, g);
    const v = this.secondMoment(state.v, g);
    const denom = add(sqrt(div(v, 1 - this.beta2 ** t)), this.eps);
    const step = add(mul(div(g, denom), (lr * (1 - mu)) / (1 - state.muProduct)), mul(div(m, denom), (lr * muNext) / (1 - state.muProduct * muNext)));
    p.assign(sub(p, step));
  }
}

/** Rectified Adam (Liu et al. 2020). PyTorch's default lr is 1e-3. */
export class RAdam extends AdamVariant<Moments> {
  protected applyUpdate(p: Tensor, grad: Tensor, { m, v }: Moments, lr: number, t: number): void {
    const g = withDecay(grad, p, this.weightDecay);
    this.firstMoment(m, g);
    this.secondMoment(v, g);
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    const rhoInf = 2 / (1 - this.beta2) - 1;
    const rho = rhoInf - (2 * t * this.beta2 ** t) / bc2;
    if (rho > 5) {
      const rect = Math.sqrt(((rho - 4) * (rho - 2) * rhoInf) / ((rhoInf - 4) * (rhoInf - 2) * rho));
      p.assign(sub(p, mul(div(m, add(sqrt(v), this.eps)), (lr * rect * Math.sqrt(bc2)) / bc1)));
    } else {
      p.assign(sub(p, mul(m, lr / bc1)));
    }
  }
}
