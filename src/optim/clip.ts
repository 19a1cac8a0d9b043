/**
 * Gradient clipping by global norm: the L2 norm of all gradients together, ‖(g₁, …, gₙ)‖, and, when
 * it exceeds maxNorm, every gradient scaled by maxNorm / (norm + 1e-6) (PyTorch's clip_grad_norm_).
 * The norm is accumulated in float64 whatever the gradients' dtype.
 */
import { AdError, expectFinite, invalidArgument } from "../errors.js";
import { expectTensor, expectTensors } from "../nn/checks.js";
import { noGrad } from "../tensor/autograd/mode.js";
import { flatten } from "../tensor/autograd/pytree.js";
import { mul } from "../tensor/primitives/arithmetic.js";
import type { Tensor } from "../tensor/tensor.js";

function globalNorm(grads: readonly Tensor[]): number {
  let sq = 0;
  for (const g of grads) {
    const d = g.data();
    for (let i = 0; i < d.length; i++) sq += d[i] * d[i];
  }
  return Math.sqrt(sq);
}

function scaleOf(op: string, norm: number, maxNorm: unknown): number {
  const max = expectFinite(op, "maxNorm", maxNorm);
  if (max <= 0) throw invalidArgument(op, `maxNorm must be > 0, got ${max}`, { maxNorm: max });
  if (!Number.isFinite(norm)) throw new AdError("NonFinite", `the gradients' global norm is ${norm}`, { op, norm });
  return Math.min(1, max / (norm + 1e-6));
}

/**
 * PyTorch style: clips the `.grad` of `params` (in place) to a global norm of at most maxNorm and
 * returns the norm before clipping. Parameters without a gradient are ignored.
 */
export function clipGradNorm(params: Iterable<Tensor>, maxNorm: number): number {
  const op = "clipGradNorm";
  const list = expectTensors(op, "params", params);
  const withGrad = list.filter((p) => p.grad !== null);
  // `.grad` is a public field: whatever was stored there must be a tensor before it is read.
  const norm = globalNorm(withGrad.map((p) => expectTensor(op, `params[${list.indexOf(p)}].grad`, p.grad)));
  const scale = scaleOf(op, norm, maxNorm);
  if (scale < 1) {
    noGrad(() => {
      for (const p of withGrad) {
        const g = p.grad as Tensor;
        // A gradient recorded with createGraph has a history and cannot be overwritten: replace it.
        if (g.node === null) g.assign(mul(g, scale));
        else p.grad = mul(g, scale);
      }
    });
  }
  return norm;
}

/** JAX style: a gradient tree scaled to a global norm of at most maxNorm, and the norm before. */
export function clipGrads<T>(grads: T, maxNorm: number): { grads: T; norm: number } {
  const op = "clipGrads";
  const { leaves, rebuild } = flatten(op, grads);
  const norm = globalNorm(leaves);
  const scale = scaleOf(op, norm, maxNorm);
  return { grads: (scale < 1 ? rebuild(leaves.map((g) => mul(g, scale))) : grads) as T, norm };
}
