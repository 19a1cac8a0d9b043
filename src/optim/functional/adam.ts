/**
 * Functional Adam and AdamW, step for step the `Adam`/`AdamW` classes (PyTorch's algorithm):
 *
 *   Adam: g ← g + λ·p      m ← β₁·m + (1 − β₁)·g      v ← β₂·v + (1 − β₂)·g²   (v̂ = max(v̂, v) with amsgrad)
 *   update = −lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)      AdamW: also −lr·λ·p (decoupled decay)
 *
 * The bias corrections are computed in float64 from the step count and rounded once to the
 * parameters' dtype, as the classes' JS numbers are.
 */
import { widestFloat } from "../../backends/device.js";
import { describe, expectBooleanOption, expectLength, expectOptions, invalidArgument } from "../../errors.js";
import { add, div, mul, neg, sub } from "../../tensor/primitives/arithmetic.js";
import { cast } from "../../tensor/primitives/cast.js";
import { zerosLike } from "../../tensor/primitives/lift.js";
import { maximum } from "../../tensor/primitives/select.js";
import { pow, sqrt } from "../../tensor/primitives/unary.js";
import type { Tensor } from "../../tensor/tensor.js";
import { expectIn } from "../optimizer.js";
import { checkLearningRate, descend, expectParams, leavesOf, paramLeaves, rateAt, zeroCount, type GradientTransformation, type LearningRate } from "./transformation.js";

export interface AdamFunctionalOptions {
  readonly lr: LearningRate;
  /** [β₁, β₂]. Default [0.9, 0.999]. */
  readonly betas?: readonly [number, number];
  /** Default 1e-8. */
  readonly eps?: number;
  /** λ. Default 0 for adam (added to the gradient), 0.01 for adamw (decoupled). */
  readonly weightDecay?: number;
  readonly amsgrad?: boolean;
}

export interface AdamState {
  readonly count: Tensor;
  readonly m: readonly Tensor[];
  readonly v: readonly Tensor[];
  /** The running maximum of v (empty without amsgrad). */
  readonly vMax: readonly Tensor[];
}

function adamLike(op: string, options: AdamFunctionalOptions, decoupled: boolean): GradientTransformation<AdamState> {
  const o = expectOptions<AdamFunctionalOptions>(op, options, ["lr", "betas", "eps", "weightDecay", "amsgrad"], true);
  const lr = checkLearningRate(op, o.lr);
  const betas: unknown = o.betas ?? [0.9, 0.999];
  if (!Array.isArray(betas) || expectLength(op, "betas", betas) !== 2) {
    throw invalidArgument(op, `betas must be a pair [β1, β2], got ${describe(betas)}`, { argument: "betas", got: describe(betas) });
  }
  const beta1 = expectIn(op, "betas[0]", betas[0], 0, 1, true);
  const beta2 = expectIn(op, "betas[1]", betas[1], 0, 1, true);
  const eps = expectIn(op, "eps", o.eps ?? 1e-8, 0, Infinity);
  const weightDecay = expectIn(op, "weightDecay", o.weightDecay ?? (decoupled ? 0.01 : 0), 0, Infinity);
  const amsgrad = expectBooleanOption(op, "amsgrad", o.amsgrad, false);
  return {
    init(params) {
      const p = paramLeaves(`${op}.init`, params);
      return { count: zeroCount(p[0]), m: p.map(zerosLike), v: p.map(zerosLike), vMax: amsgrad ? p.map(zerosLike) : [] };
    },
    update(grads, state, params) {
      const { g, p, rebuild } = leavesOf(`${op}.update`, grads, params);
      const ps = weightDecay === 0 ? undefined : expectParams(`${op}.update`, p, "weightDecay is not 0");
      const rate = rateAt(op, lr, state.count);
      const t = add(cast(state.count, widestFloat(state.count.device)), 1);
      const bc1 = sub(1, pow(beta1, t));
      const rootBc2 = sqrt(sub(1, pow(beta2, t)));
      const step = div(rate, bc1);
      const m: Tensor[] = [];
      const v: Tensor[] = [];
      const vMax: Tensor[] = [];
      const updates = g.map((gi, i) => {
        const d = ps === undefined || decoupled ? gi : add(gi, mul(ps[i], weightDecay));
        const mi = add(mul(state.m[i], beta1), mul(d, 1 - beta1));
        const vi = add(mul(state.v[i], beta2), mul(mul(d, d), 1 - beta2));
        m.push(mi);
        v.push(vi);
        let second = vi;
        if (amsgrad) vMax.push((second = maximum(state.vMax[i], vi)));
        const denom = add(div(sqrt(second), cast(rootBc2, gi.dtype)), eps);
        const u = mul(div(mi, denom), cast(step, gi.dtype));
        const adamStep = neg(u);
        return ps === undefined || !decoupled ? adamStep : add(adamStep, descend(mul(ps[i], weightDecay), rate));
      });
      return { updates: rebuild(updates) as typeof grads, state: { count: add(state.count, 1), m, v, vMax } };
    },
  };
}

/** Adam (coupled, L2 weight decay). */
export function adam(options: AdamFunctionalOptions): GradientTransformation<AdamState> {
  return adamLike("adam", options, false);
}

/** AdamW: Adam with decoupled weight decay (default λ = 0.01). */
export function adamw(options: AdamFunctionalOptions): GradientTransformation<AdamState> {
  return adamLike("adamw", options, true);
}
