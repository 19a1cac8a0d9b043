/**
 * Functional RMSprop, step for step the `RMSprop` class (PyTorch's algorithm, ε outside the root):
 *
 *   g ← g + λ·p;   v ← α·v + (1 − α)·g²;   centered: ḡ ← α·ḡ + (1 − α)·g, v' = v − ḡ² (else v' = v)
 *   s = g / (√v' + ε);   with momentum μ > 0: b ← μ·b + s, update = −lr·b;   else update = −lr·s
 */
import { expectBooleanOption, expectOptions } from "../../errors.js";
import { add, div, mul, sub } from "../../tensor/primitives/arithmetic.js";
import { zerosLike } from "../../tensor/primitives/lift.js";
import { sqrt } from "../../tensor/primitives/unary.js";
import type { Tensor } from "../../tensor/tensor.js";
import { expectIn } from "../optimizer.js";
import { checkLearningRate, descend, expectParams, leavesOf, paramLeaves, rateAt, zeroCount, type GradientTransformation, type LearningRate } from "./transformation.js";

export interface RmspropOptions {
  readonly lr: LearningRate;
  /** The decay α of the squared-gradient average. Default 0.99. */
  readonly alpha?: number;
  /** Default 1e-8. */
  readonly eps?: number;
  readonly momentum?: number;
  readonly centered?: boolean;
  readonly weightDecay?: number;
}

export interface RmspropState {
  readonly count: Tensor;
  readonly v: readonly Tensor[];
  /** The gradient averages (empty unless centered). */
  readonly gAvg: readonly Tensor[];
  /** The momentum buffers (empty without momentum). */
  readonly buffers: readonly Tensor[];
}

export function rmsprop(options: RmspropOptions): GradientTransformation<RmspropState> {
  const op = "rmsprop";
  const o = expectOptions<RmspropOptions>(op, options, ["lr", "alpha", "eps", "momentum", "centered", "weightDecay"], true);
  const lr = checkLearningRate(op, o.lr);
  const alpha = expectIn(op, "alpha", o.alpha ?? 0.99, 0, 1);
  const eps = expectIn(op, "eps", o.eps ?? 1e-8, 0, Infinity);
  const momentum = expectIn(op, "momentum", o.momentum ?? 0, 0, 1);
  const weightDecay = expectIn(op, "weightDecay", o.weightDecay ?? 0, 0, Infinity);
  const centered = expectBooleanOption(op, "centered", o.centered, false);
  return {
    init(params) {
      const p = paramLeaves(`${op}.init`, params);
      return { count: zeroCount(p[0]), v: p.map(zerosLike), gAvg: centered ? p.map(zerosLike) : [], buffers: momentum > 0 ? p.map(zerosLike) : [] };
    },
    update(grads, state, params) {
      const { g, p, rebuild } = leavesOf(`${op}.update`, grads, params);
      const ps = weightDecay === 0 ? undefined : expectParams(`${op}.update`, p, "weightDecay is not 0");
      const rate = rateAt(op, lr, state.count);
      const v: Tensor[] = [];
      const gAvg: Tensor[] = [];
      const buffers: Tensor[] = [];
      const updates = g.map((gi, i) => {
        const d = ps === undefined ? gi : add(gi, mul(ps[i], weightDecay));
        const vi = add(mul(state.v[i], alpha), mul(mul(d, d), 1 - alpha));
        v.push(vi);
        let variance = vi;
        if (centered) {
          const a = add(mul(state.gAvg[i], alpha), mul(d, 1 - alpha));
          gAvg.push(a);
          variance = sub(vi, mul(a, a));
        }
        const s = div(d, add(sqrt(variance), eps));
        if (momentum === 0) return descend(s, rate);
        const b = add(mul(state.buffers[i], momentum), s);
        buffers.push(b);
        return descend(b, rate);
      });
      return { updates: rebuild(updates) as typeof grads, state: { count: add(state.count, 1), v, gAvg, buffers } };
    },
  };
}
