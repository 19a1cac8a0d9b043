/**
 * Lion (Chen et al. 2023, "Symbolic Discovery of Optimization Algorithms", Algorithm 2): the sign of
 * an interpolated momentum, with decoupled weight decay.
 *
 *   p ← p·(1 − lr·λ),  p ← p − lr·sign(β₁·m + (1 − β₁)·g),  m ← β₂·m + (1 − β₂)·g
 *
 * Every coordinate moves by ±lr, so lr is usually 3–10× smaller than AdamW's and λ larger.
 */
import { expectOptions } from "../errors.js";
import { add, mul, sub } from "../tensor/primitives/arithmetic.js";
import { zerosLike } from "../tensor/primitives/lift.js";
import { sign } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectBetas } from "./betas.js";
import { expectIn, Optimizer, type OptimizerOptions, type Params } from "./optimizer.js";

export interface LionOptions extends OptimizerOptions {
  /** [β₁, β₂]: the interpolation of the update and the momentum's decay. Default [0.9, 0.99]. */
  readonly betas?: readonly [number, number];
  /** λ, decoupled (as AdamW). Default 0. */
  readonly weightDecay?: number;
}

export class Lion extends Optimizer<{ readonly m: Tensor }> {
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;

  constructor(params: Params, options: LionOptions) {
    super(params, options);
    options = expectOptions<LionOptions>(this.op, options, ["lr", "betas", "weightDecay"], true);
    [this.beta1, this.beta2] = expectBetas(this.op, options.betas, [0.9, 0.99]);
    this.weightDecay = expectIn(this.op, "weightDecay", options.weightDecay ?? 0, 0, Infinity);
  }

  protected initState(p: Tensor): { readonly m: Tensor } {
    return { m: zerosLike(p) };
  }

  protected applyUpdate(p: Tensor, g: Tensor, { m }: { readonly m: Tensor }, lr: number): void {
    if (this.weightDecay !== 0) p.assign(mul(p, 1 - lr * this.weightDecay));
    p.assign(sub(p, mul(sign(add(mul(m, this.beta1), mul(g, 1 - this.beta1))), lr)));
    m.assign(add(mul(m, this.beta2), mul(g, 1 - this.beta2)));
  }
}
