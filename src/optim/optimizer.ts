/**
 * The optimiser base: a fixed list of parameters, per-parameter state, a step counter and a
 * learning rate (a number or a schedule of the step). Two ways to feed it gradients, one update rule:
 *
 * - PyTorch style: `opt.step()` reads each parameter's `.grad` (skipping those without one);
 *   `opt.zeroGrad()` clears them.
 * - JAX style: `opt.update(grads)` takes a gradient tree in the structure of the parameters the
 *   optimiser was built with (e.g. `valueAndGrad`'s result for `model.parameterTree()`).
 *
 * Either way the parameters are updated in place (`assign` under `noGrad`): the tensors a model or a
 * tree holds stay the same objects, and a long loop allocates only short-lived temporaries.
 */
import { AdError, describe, expectFinite, invalidArgument } from "../errors.js";
import { noGrad } from "../tensor/autograd/mode.js";
import { flatten } from "../tensor/autograd/pytree.js";
import { isFloat } from "../tensor/dtype.js";
import { formatShape, sameShape } from "../tensor/shape.js";
import { Tensor } from "../tensor/tensor.js";
import { expectTensors } from "../nn/checks.js";
import type { Schedule } from "./schedules.js";

/** Parameters: an array or iterable of tensors (`model.parameters()`), or a tree (`model.parameterTree()`). */
export type Params = Iterable<Tensor> | { readonly [key: string]: unknown };

export interface OptimizerOptions {
  /** A number, or a schedule: the learning rate of step t (0-based) is `lr(t)`. */
  readonly lr: number | Schedule;
}

export abstract class Optimizer<State extends object = object> {
  /** The parameters, flat, in tree order. */
  readonly params: readonly Tensor[];
  /** Steps taken so far. */
  stepCount = 0;
  #lr: number | Schedule;
  readonly #state: (State | undefined)[];
  protected readonly op: string;

  constructor(params: Params, options: OptimizerOptions) {
    this.op = this.constructor.name;
    this.params = paramList(this.op, params);
    if (options === null || typeof options !== "object") throw invalidArgument(this.op, `options must be an object with lr, got ${describe(options)}`);
    this.#lr = checkLr(this.op, options.lr);
    this.#state = this.params.map(() => undefined);
  }

  /** The learning rate the next step will use. */
  get lr(): number {
    const lr = this.#lr;
    return typeof lr === "number" ? lr : expectFinite(this.op, "lr(step)", lr(this.stepCount));
  }

  /** Replaces the learning rate (a number or a schedule), e.g. for a manual decay. */
  set lr(value: number | Schedule) {
    this.#lr = checkLr(this.op, value);
  }

  /** PyTorch style: one update from each parameter's `.grad`; parameters without one are skipped. */
  step(): void {
    this.#apply(this.params.map((p) => p.grad));
  }

  /** JAX style: one update from `grads`, a tree (or list) in the structure the parameters were given in. */
  update(grads: unknown): void {
    const { leaves } = flatten(`${this.op}.update`, grads);
    if (leaves.length !== this.params.length) {
      throw new AdError("ShapeMismatch", `grads hold ${leaves.length} tensors, the optimiser has ${this.params.length} parameters`, {
        op: `${this.op}.update`,
        grads: leaves.length,
        params: this.params.length,
      });
    }
    this.#apply(leaves);
  }

  /** Clears `.grad` of every parameter. */
  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  #apply(grads: readonly (Tensor | null)[]): void {
    const op = `${this.op}.step`;
    grads.forEach((g, i) => {
      const p = this.params[i];
      if (g === null) return;
      if (!(g instanceof Tensor) || !sameShape(g.shape, p.shape) || g.dtype !== p.dtype) {
        const what = g instanceof Tensor ? `${g.dtype} ${formatShape(g.shape)}` : describe(g);
        throw new AdError("ShapeMismatch", `the gradient of parameter ${i} is ${what}, the parameter ${p.dtype} ${formatShape(p.shape)}`, { op, index: i });
      }
    });
    const lr = this.lr;
    const t = this.stepCount + 1;
    noGrad(() => {
      grads.forEach((g, i) => {
        if (g === null) return;
        const p = this.params[i];
        this.#state[i] ??= this.initState(p);
        this.applyUpdate(p, g.detach(), this.#state[i], lr, t);
      });
    });
    this.stepCount = t;
  }

  /** The state of a parameter before its first update (moment buffers). */
  protected abstract initState(p: Tensor): State;

  /** Updates p in place from gradient g at step t (1-based) with learning rate lr; runs under noGrad. */
  protected abstract applyUpdate(p: Tensor, g: Tensor, state: State, lr: number, t: number): void;
}

function paramList(op: string, params: unknown): Tensor[] {
  let list: unknown[];
  if (Array.isArray(params) || (params !== null && typeof params === "object" && Object.getPrototypeOf(params) === Object.prototype)) list = flatten(op, params).leaves;
  else if (params !== null && typeof params === "object" && !ArrayBuffer.isView(params) && Symbol.iterator in params) list = expectTensors(op, "params", params);
  else throw invalidArgument(op, `params must be tensors (an array, an iterable or a tree), got ${describe(params)}`);
  if (list.length === 0) throw invalidArgument(op, "params is empty: there is nothing to optimise");
  return list.map((p, i) => {
    if (!(p instanceof Tensor)) throw invalidArgument(op, `params[${i}] must be a Tensor, got ${describe(p)}`, { index: i });
    if (!isFloat(p.dtype)) throw new AdError("DTypeMismatch", `params[${i}] is ${p.dtype}; only float tensors are optimised`, { op, index: i, dtype: p.dtype });
    if (p.node !== null) throw invalidArgument(op, `params[${i}] was computed by ${p.node.prim.name}; optimise leaves (model.parameters(), or a tree of leaves)`, { index: i });
    return p;
  });
}

function checkLr(op: string, lr: unknown): number | Schedule {
  if (typeof lr === "function") return lr as Schedule;
  const v = expectFinite(op, "lr", lr);
  if (v < 0) throw invalidArgument(op, `lr must be ≥ 0, got ${v}`, { lr: v });
  return v;
}

/** Checks a hyperparameter lies in [min, max] (max excluded when `open`). */
export function expectIn(op: string, name: string, value: unknown, min: number, max: number, open = false): number {
  const v = expectFinite(op, name, value);
  if (!(v >= min && (open ? v < max : v <= max))) throw invalidArgument(op, `${name} must be in [${min}, ${max}${open ? ")" : "]"}, got ${v}`, { argument: name, got: v });
  return v;
}
