/**
 * Adam and AdamW, PyTorch's algorithm (bias-corrected moments, ε added to √v̂):
 *
 *   Adam:  g ← g + λ·p          AdamW: p ← p·(1 − lr·λ)   (decoupled decay)
 *   m ← β₁·m + (1 − β₁)·g      v ← β₂·v + (1 − β₂)·g²      (v ← max(v_max, v) with amsgrad)
 *   p ← p − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 *
 * TF.js's `tf.train.adam` is the same algorithm (ε on √v̂). TensorFlow's Python Adam puts ε on √v
 * instead, p ← p − lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) · m / (√v + ε): the same up to ε scaled by √(1 − β₂ᵗ).
 */
import { expectBooleanOption, expectOptions } from "../errors.js";
import { add, div, mul, sub } from "../tensor/primitives/arithmetic.js";
import { zerosLike } from "../tensor/primitives/lift.js";
import { maximum } from "../tensor/primitives/select.js";
import { sqrt } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectBetas } from "./betas.js";
import { expectIn, Optimizer, type OptimizerOptions, type Params } from "./optimizer.js";

export interface AdamOptions extends OptimizerOptions {
  /** [β₁, β₂]. Default [0.9, 0.999]. */
  readonly betas?: readonly [number, number];
  /** Default 1e-8. */
  readonly eps?: number;
  /** λ. Default 0 for Adam (L2, added to the gradient), 0.01 for AdamW (decoupled). */
  readonly weightDecay?: number;
  /** Use the running maximum of v (Reddi et al.). Default false. */
  readonly amsgrad?: boolean;
}

interface AdamState {
  readonly m: Tensor;
  readonly v: Tensor;
  readonly vMax: Tensor | null;
}

export class Adam extends Optimizer<AdamState> {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  readonly amsgrad: boolean;
  /** Whether weight decay is decoupled from the gradient (AdamW). */
  protected readonly decoupled: boolean = false;

  constructor(params: Params, options: AdamOptions) {
    super(params, options);
    options = expectOptions<AdamOptions>(this.op, options, ["lr", "betas", "eps", "weightDecay", "amsgrad"], true);
    [this.beta1, this.beta2] = expectBetas(this.op, options.betas, [0.9, 0.999]);
    this.eps = expectIn(this.op, "eps", options.eps ?? 1e-8, 0, Infinity);
    this.weightDecay = expectIn(this.op, "weightDecay", options.weightDecay ?? this.defaultWeightDecay(), 0, Infinity);
    this.amsgrad = expectBooleanOption(this.op, "amsgrad", options.amsgrad, false);
  }

  protected defaultWeightDecay(): number {
    return 0;
  }

  protected initState(p: Tensor): AdamState {
    return { m: zerosLike(p), v: zerosLike(p), vMax: this.amsgrad ? zerosLike(p) : null };
  }

  protected applyUpdate(p: Tensor, grad: Tensor, { m, v, vMax }: AdamState, lr: number, t: number): void {
    let g = grad;
    if (this.weightDecay !== 0) {
      if (this.decoupled) p.assign(mul(p, 1 - lr * this.weightDecay));
      else g = add(g, mul(p, this.weightDecay));
    }
    m.assign(add(mul(m, this.beta1), mul(g, 1 - this.beta1)));
    v.assign(add(mul(v, this.beta2), mul(mul(g, g), 1 - this.beta2)));
    let second = v;
    if (vMax !== null) second = vMax.assign(maximum(vMax, v));
    const bc1 = 1 - this.beta1 ** t;
    const bc2 = 1 - this.beta2 ** t;
    const denom = add(div(sqrt(second), Math.sqrt(bc2)), this.eps);
    p.assign(sub(p, mul(div(m, denom), lr / bc1)));
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter): p shrinks by lr·λ before the Adam step. */
export class AdamW extends Adam {
  protected override readonly decoupled: boolean = true;

  protected override defaultWeightDecay(): number {
    return 0.01;
  }
}
