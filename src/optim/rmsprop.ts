/**
 * RMSprop, PyTorch's algorithm (ε added to the root, outside it):
 *
 *   g ← g + λ·p
 *   v ← α·v + (1 − α)·g²
 *   centered: ḡ ← α·ḡ + (1 − α)·g,  v' = v − ḡ²   (else v' = v)
 *   with momentum μ > 0: b ← μ·b + g / (√v' + ε),  p ← p − lr·b
 *   else:                p ← p − lr · g / (√v' + ε)
 *
 * TensorFlow (and TF.js) put ε inside the root (√(v + ε); TF.js's centered form has √(v − ḡ² − ε)),
 * and lr inside the momentum buffer; with a constant lr and ε negligible against v' they agree.
 */
import { expectBooleanOption, expectOptions } from "../errors.js";
import { add, div, mul, sub } from "../tensor/primitives/arithmetic.js";
import { zerosLike } from "../tensor/primitives/lift.js";
import { sqrt } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectIn, Optimizer, type OptimizerOptions, type Params } from "./optimizer.js";

export interface RMSpropOptions extends OptimizerOptions {
  /** The decay α of the squared-gradient average. Default 0.99. */
  readonly alpha?: number;
  /** Default 1e-8. */
  readonly eps?: number;
  readonly momentum?: number;
  /** Normalise by the variance estimate v − ḡ² instead of v. Default false. */
  readonly centered?: boolean;
  readonly weightDecay?: number;
}

interface RMSpropState {
  readonly v: Tensor;
  readonly gAvg: Tensor | null;
  readonly buffer: Tensor | null;
}

export class RMSprop extends Optimizer<RMSpropState> {
  readonly alpha: number;
  readonly eps: number;
  readonly momentum: number;
  readonly centered: boolean;
  readonly weightDecay: number;

  constructor(params: Params, options: RMSpropOptions) {
    super(params, options);
    options = expectOptions<RMSpropOptions>(this.op, options, ["lr", "alpha", "eps", "momentum", "weightDecay", "centered"], true);
    this.alpha = expectIn(this.op, "alpha", options.alpha ?? 0.99, 0, 1);
    this.eps = expectIn(this.op, "eps", options.eps ?? 1e-8, 0, Infinity);
    this.momentum = expectIn(this.op, "momentum", options.momentum ?? 0, 0, 1);
    this.weightDecay = expectIn(this.op, "weightDecay", options.weightDecay ?? 0, 0, Infinity);
    this.centered = expectBooleanOption(this.op, "centered", options.centered, false);
  }

  protected initState(p: Tensor): RMSpropState {
    return { v: zerosLike(p), gAvg: this.centered ? zerosLike(p) : null, buffer: this.momentum > 0 ? zerosLike(p) : null };
  }

  protected applyUpdate(p: Tensor, grad: Tensor, { v, gAvg, buffer }: RMSpropState, lr: number): void {
    const g = this.weightDecay === 0 ? grad : add(grad, mul(p, this.weightDecay));
    const a = this.alpha;
    v.assign(add(mul(v, a), mul(mul(g, g), 1 - a)));
    let variance = v;
    if (gAvg !== null) {
      gAvg.assign(add(mul(gAvg, a), mul(g, 1 - a)));
      variance = sub(v, mul(gAvg, gAvg));
    }
    const step = div(g, add(sqrt(variance), this.eps));
    if (buffer !== null) {
      buffer.assign(add(mul(buffer, this.momentum), step));
      p.assign(sub(p, mul(buffer, lr)));
    } else p.assign(sub(p, mul(step, lr)));
  }
}
