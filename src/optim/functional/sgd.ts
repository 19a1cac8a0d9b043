/**
 * Functional SGD, step for step the `SGD` class (PyTorch's algorithm) without dampening:
 *
 *   g ← g + λ·p;   b ← μ·b + g (b starts at 0, so the first b is g);   g ← g + μ·b (Nesterov) or b
 *   update = −lr·g
 */
import { expectBooleanOption, expectOptions, invalidArgument } from "../../errors.js";
import { add, mul } from "../../tensor/primitives/arithmetic.js";
import { zerosLike } from "../../tensor/primitives/lift.js";
import type { Tensor } from "../../tensor/tensor.js";
import { expectIn } from "../optimizer.js";
import { checkLearningRate, descend, expectParams, leavesOf, paramLeaves, rateAt, zeroCount, type GradientTransformation, type LearningRate } from "./transformation.js";

export interface SgdOptions {
  readonly lr: LearningRate;
  readonly momentum?: number;
  readonly nesterov?: boolean;
  readonly weightDecay?: number;
}

export interface SgdState {
  readonly count: Tensor;
  /** The momentum buffers (empty without momentum). */
  readonly buffers: readonly Tensor[];
}

export function sgd(options: SgdOptions): GradientTransformation<SgdState> {
  const op = "sgd";
  const o = expectOptions<SgdOptions>(op, options, ["lr", "momentum", "nesterov", "weightDecay"], true);
  const lr = checkLearningRate(op, o.lr);
  const momentum = expectIn(op, "momentum", o.momentum ?? 0, 0, 1);
  const weightDecay = expectIn(op, "weightDecay", o.weightDecay ?? 0, 0, Infinity);
  const nesterov = expectBooleanOption(op, "nesterov", o.nesterov, false);
  if (nesterov && momentum === 0) throw invalidArgument(op, "Nesterov momentum needs momentum > 0", { argument: "nesterov" });
  return {
    init(params) {
      const p = paramLeaves(`${op}.init`, params);
      return { count: zeroCount(p[0]), buffers: momentum === 0 ? [] : p.map(zerosLike) };
    },
    update(grads, state, params) {
      const { g, p, rebuild } = leavesOf(`${op}.update`, grads, params);
      const ps = weightDecay === 0 ? undefined : expectParams(`${op}.update`, p, "weightDecay is not 0");
      const rate = rateAt(op, lr, state.count);
      const buffers: Tensor[] = [];
      const updates = g.map((gi, i) => {
        let d = ps === undefined ? gi : add(gi, mul(ps[i], weightDecay));
        if (momentum !== 0) {
          const b = add(mul(state.buffers[i], momentum), d);
          buffers.push(b);
          d = nesterov ? add(d, mul(b, momentum)) : b;
        }
        return descend(d, rate);
      });
      return { updates: rebuild(updates) as typeof grads, state: { count: add(state.count, 1), buffers } };
    },
  };
}
