/**
 * stopGradient (JAX's `stop_gradient`, PyTorch's `detach`): x itself forward, a view over x's buffer
 * (no kernel, no copy), and a constant to every derivative: its JVP is zero and its VJP sends
 * nothing back. A primitive, not only a fresh tensor object, so that a trace records where the
 * derivative is cut: a transform applied to a jitted function (`grad(jit(f))`, `jvp(jit(f))`)
 * replays the program and meets the cut where eager differentiation would.
 */
import { describe, invalidArgument } from "../../errors.js";
import { noGrad } from "../autograd/mode.js";
import { bind, definePrimitive } from "../primitive.js";
import type { Shape } from "../shape.js";
import { disposedError, Tensor } from "../tensor.js";
import { sameRule } from "./rules.js";

export const stopGradientP = definePrimitive("stopGradient", {
  abstract: sameRule,
  impl: ([x]) => new Tensor(x.storage, x.dtype, x.shape, x.strides, x.offset, x.device),
  vjp: () => [null],
  jvp: () => null,
});

/**
 * The same values, treated as a constant by every transform: no graph node (its `requiresGrad` is
 * false), no tangent, and under `jit` the cut is kept in the traced program. `x.detach()` is this.
 */
export function stopGradient<S extends Shape>(x: Tensor<S>): Tensor<S> {
  return detachAs("stopGradient", x);
}

/** stopGradient, with `op` (the function the user called: `Tensor.detach` too) named in errors. */
export function detachAs<S extends Shape>(op: string, x: Tensor<S>): Tensor<S> {
  if (!(x instanceof Tensor)) throw invalidArgument(op, `x must be a Tensor, got ${describe(x)}`, { got: describe(x) });
  if (x.disposed) throw disposedError(op, x);
  // Recording off: the result is a leaf, as PyTorch's detach gives (it may take requireGrad()).
  return noGrad(() => bind(stopGradientP, [x], undefined)) as Tensor<S>;
}
