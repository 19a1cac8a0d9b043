/**
 * SGD with momentum, dampening, Nesterov and (coupled, L2) weight decay — PyTorch's algorithm:
 *
 *   g ← g + λ·p                                  (weightDecay λ)
 *   b ← g at the first step, else μ·b + (1 − τ)·g (momentum μ, dampening τ)
 *   g ← g + μ·b with Nesterov, else b
 *   p ← p − lr·g
 */
import { zerosLike } from "../tensor/primitives/lift.js";
import { add, mul, sub } from "../tensor/primitives/arithmetic.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectBooleanOption, expectOptions, invalidArgument } from "../errors.js";
import { expectIn, Optimizer, type OptimizerOptions, type Params } from "./optimizer.js";

export interface SGDOptions extends OptimizerOptions {
  readonly momentum?: number;
  readonly dampening?: number;
  readonly nesterov?: boolean;
  readonly weightDecay?: number;
}

export class SGD extends Optimizer<{ buffer: Tensor | null }> {
  readonly momentum: number;
  readonly dampening: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;

  constructor(params: Params, options: SGDOptions) {
    super(params, options);
    options = expectOptions<SGDOptions>(this.op, options, ["lr", "momentum", "dampening", "nesterov", "weightDecay"], true);
    this.momentum = expectIn(this.op, "momentum", options.momentum ?? 0, 0, 1);
    this.dampening = expectIn(this.op, "dampening", options.dampening ?? 0, 0, 1);
    this.weightDecay = expectIn(this.op, "weightDecay", options.weightDecay ?? 0, 0, Infinity);
    this.nesterov = expectBooleanOption(this.op, "nesterov", options.nesterov, false);
    if (this.nesterov && (this.momentum === 0 || this.dampening !== 0)) throw invalidArgument(this.op, "Nesterov momentum needs momentum > 0 and dampening 0");
  }

  protected initState(): { buffer: Tensor | null } {
    return { buffer: null };
  }

  protected applyUpdate(p: Tensor, grad: Tensor, state: { buffer: Tensor | null }, lr: number): void {
    let g = this.weightDecay === 0 ? grad : add(grad, mul(p, this.weightDecay));
    if (this.momentum !== 0) {
      if (state.buffer === null) state.buffer = zerosLike(p).assign(g);
      else state.buffer.assign(add(mul(state.buffer, this.momentum), mul(g, 1 - this.dampening)));
      g = this.nesterov ? add(g, mul(state.buffer, this.momentum)) : state.buffer;
    }
    p.assign(sub(p, mul(g, lr)));
  }
}
