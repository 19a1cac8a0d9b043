/**
 * Functional optimisers in the optax style: an optimiser is a pair of pure functions over pytrees of
 * tensors, `init(params) → state` and `update(grads, state, params) → { updates, state }`, and
 * `applyUpdates(params, updates)` adds the updates to the parameters. Nothing is changed in place, so
 * a whole training step `(params, state, batch) → [loss, params, state]` can be traced by `jit`.
 *
 * The state is itself a pytree of tensors (lists of moment buffers and an int32 step count), so its
 * structure depends only on the options and the parameters' structure: a jitted step traces once.
 */
import { widestFloat } from "../../backends/device.js";
import { AdError, describe, expectFinite, invalidArgument } from "../../errors.js";
import { flatten } from "../../tensor/autograd/pytree.js";
import { add, mul, neg } from "../../tensor/primitives/arithmetic.js";
import { cast } from "../../tensor/primitives/cast.js";
import { constant } from "../../tensor/creation.js";
import { Tensor } from "../../tensor/tensor.js";
import { formatShape, sameShape } from "../../tensor/shape.js";
import { isFloat } from "../../tensor/dtype.js";

/**
 * A learning rate: a number, or a schedule of the step count (0-based: the step about to be taken),
 * given as an int32 scalar tensor so that it can run inside `jit`; it returns a number or a scalar
 * tensor. The number-to-number schedules of `adjoint/optim` (cosineDecay, …) are for the classes.
 */
export type LearningRate = number | ((count: Tensor) => Tensor | number);

/** An optax-style gradient transformation over pytrees of tensors. */
export interface GradientTransformation<S = unknown> {
  /** The state before the first update, for parameters of this structure, shapes and dtypes. */
  init(params: unknown): S;
  /** The updates (in the gradients' structure, to be added to the parameters) and the next state. */
  update<T>(grads: T, state: S, params?: unknown): { readonly updates: T; readonly state: S };
}

/** The gradients' leaves, their rebuild, and the parameters' leaves (checked to match) when given. */
export function leavesOf(op: string, grads: unknown, params: unknown): { g: Tensor[]; p: Tensor[] | undefined; rebuild: (xs: readonly Tensor[]) => unknown } {
  const { leaves: g, rebuild } = flatten(op, grads);
  if (params === undefined) return { g, p: undefined, rebuild };
  const p = flatten(op, params).leaves;
  expectMatching(op, "grads", g, "params", p);
  return { g, p, rebuild };
}

/** `a` and `b` hold tensors of the same shapes and dtypes, pairwise. */
export function expectMatching(op: string, aName: string, a: readonly Tensor[], bName: string, b: readonly Tensor[]): void {
  if (a.length !== b.length) {
    throw new AdError("ShapeMismatch", `${aName} hold ${a.length} tensors, ${bName} ${b.length}`, { op, [aName]: a.length, [bName]: b.length });
  }
  a.forEach((x, i) => {
    const y = b[i];
    if (!sameShape(x.shape, y.shape) || x.dtype !== y.dtype) {
      throw new AdError("ShapeMismatch", `${aName}[${i}] is ${x.dtype} ${formatShape(x.shape)}, ${bName}[${i}] ${y.dtype} ${formatShape(y.shape)}`, {
        op,
        index: i,
        shapes: [[...x.shape], [...y.shape]],
      });
    }
  });
}

/** The float parameters' leaves (a state is built for these), refusing an empty or non-float tree. */
export function paramLeaves(op: string, params: unknown): Tensor[] {
  const { leaves } = flatten(op, params);
  if (leaves.length === 0) throw invalidArgument(op, "params hold no tensors: there is nothing to optimise");
  leaves.forEach((p, i) => {
    if (!isFloat(p.dtype)) throw new AdError("DTypeMismatch", `params[${i}] is ${p.dtype}; only float tensors are optimised`, { op, index: i, dtype: p.dtype });
  });
  return leaves;
}

/** The parameters an update needs (for weight decay): their absence is an InvalidArgument saying why. */
export function expectParams(op: string, p: Tensor[] | undefined, why: string): Tensor[] {
  if (p === undefined) throw invalidArgument(op, `update needs params when ${why}`, { argument: "params" });
  return p;
}

export function checkLearningRate(op: string, lr: unknown): LearningRate {
  if (typeof lr === "function") return lr as LearningRate;
  const v = expectFinite(op, "lr", lr);
  if (v < 0) throw invalidArgument(op, `lr must be ≥ 0, got ${v}`, { argument: "lr", got: v });
  return v;
}

/** A new int32 step count of 0 on `like`'s device. */
export function zeroCount(like: Tensor): Tensor {
  return constant(0, "int32", like.device);
}

/** The learning rate at `count`: the number itself, or the schedule's value as a float64 scalar tensor (float32 on a device without float64). */
export function rateAt(op: string, lr: LearningRate, count: Tensor): number | Tensor {
  if (typeof lr === "number") return lr;
  const v: unknown = lr(count);
  if (typeof v === "number") return v;
  if (!(v instanceof Tensor) || v.shape.length !== 0) throw invalidArgument(op, `the lr schedule must return a number or a scalar tensor, got ${describe(v)}`, { argument: "lr" });
  return cast(v, widestFloat(v.device));
}

/** −lr·x in x's dtype: the update of a step of size lr along x. */
export function descend(x: Tensor, lr: number | Tensor): Tensor {
  return typeof lr === "number" ? mul(x, -lr) : mul(x, cast(neg(lr), x.dtype));
}

/** params + updates, leaf by leaf, in the parameters' structure. */
export function applyUpdates<T>(params: T, updates: unknown): T {
  const op = "applyUpdates";
  const { leaves: p, rebuild } = flatten(op, params);
  const u = flatten(op, updates).leaves;
  expectMatching(op, "params", p, "updates", u);
  return rebuild(p.map((x, i) => add(x, u[i]))) as T;
}

/** Transformations applied one after another: each one's updates are the next one's gradients. */
export function chain(...transforms: GradientTransformation[]): GradientTransformation<unknown[]> {
  const op = "chain";
  transforms.forEach((t, i) => {
    if (t === null || typeof t !== "object" || typeof t.init !== "function" || typeof t.update !== "function") {
      throw invalidArgument(op, `transforms[${i}] must be a gradient transformation ({ init, update }), got ${describe(t)}`, { index: i });
    }
  });
  return {
    init: (params) => transforms.map((t) => t.init(params)),
    update<T>(grads: T, state: unknown[], params?: unknown) {
      if (!Array.isArray(state) || state.length !== transforms.length) {
        throw invalidArgument(`${op}.update`, `state must be the list of ${transforms.length} states that init returned, got ${describe(state)}`, { argument: "state" });
      }
      let updates = grads;
      const next = transforms.map((t, i) => {
        const r = t.update(updates, state[i], params);
        updates = r.updates;
        return r.state;
      });
      return { updates, state: next };
    },
  };
}
