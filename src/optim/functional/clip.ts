/**
 * Functional clipping by global norm (optax's clip_by_global_norm, PyTorch's clip_grad_norm_):
 * every gradient scaled by min(1, maxNorm / (‖(g₁, …, gₙ)‖ + 1e-6)). The norm is a tensor
 * (accumulated in float64) so the transformation runs inside `jit`; a NaN or ∞ norm propagates
 * rather than raising, since a traced step cannot look at its values.
 */
import { widestFloat } from "../../backends/device.js";
import { expectFinite, invalidArgument } from "../../errors.js";
import { add, div, mul } from "../../tensor/primitives/arithmetic.js";
import { cast } from "../../tensor/primitives/cast.js";
import { sum } from "../../tensor/primitives/reduce.js";
import { minimum } from "../../tensor/primitives/select.js";
import { sqrt } from "../../tensor/primitives/unary.js";
import type { Tensor } from "../../tensor/tensor.js";
import { flatten } from "../../tensor/autograd/pytree.js";
import { tensor } from "../../tensor/creation.js";
import { leavesOf, type GradientTransformation } from "./transformation.js";

/** The L2 norm of all the tensors of a pytree together, a float64 scalar tensor (float32 on a device without float64); 0 for none. */
export function globalNorm(tree: unknown): Tensor {
  const { leaves } = flatten("globalNorm", tree);
  if (leaves.length === 0) return tensor(0, { dtype: "float64" });
  const squares = leaves.map((g) => {
    const g64 = cast(g, widestFloat(g.device));
    return sum(mul(g64, g64));
  });
  return sqrt(squares.reduce((a, b) => add(a, b)));
}

/** A stateless transformation scaling the gradients to a global norm of at most maxNorm. */
export function clipByGlobalNorm(maxNorm: number): GradientTransformation<Record<string, never>> {
  const op = "clipByGlobalNorm";
  const max = expectFinite(op, "maxNorm", maxNorm);
  if (max <= 0) throw invalidArgument(op, `maxNorm must be > 0, got ${max}`, { argument: "maxNorm", got: max });
  return {
    init: () => ({}),
    update(grads, state) {
      const { g, rebuild } = leavesOf(`${op}.update`, grads, undefined);
      if (g.length === 0) return { updates: grads, state };
      const scale = minimum(1, div(max, add(globalNorm(g), 1e-6)));
      return { updates: rebuild(g.map((x) => mul(x, cast(scale, x.dtype)))) as typeof grads, state };
    },
  };
}
