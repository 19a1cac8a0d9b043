/**
 * Adagrad and Adadelta, PyTorch's algorithms (g is the gradient plus λ·p when weightDecay λ > 0):
 *
 *   Adagrad:  s ← s + g²,  p ← p − lr/(1 + (t − 1)·lrDecay) · g / (√s + ε)
 *   Adadelta: v ← ρ·v + (1 − ρ)·g²,  Δ = √(u + ε)/√(v + ε) · g,  u ← ρ·u + (1 − ρ)·Δ²,  p ← p − lr·Δ
 */
import { expectOptions } from "../errors.js";
import { add, div, mul, sub } from "../tensor/primitives/arithmetic.js";
import { fullLike, zerosLike } from "../tensor/primitives/lift.js";
import { sqrt } from "../tensor/primitives/unary.js";
import type { Tensor } from "../tensor/tensor.js";
import { expectIn, Optimizer, type OptimizerOptions, type Params } from "./optimizer.js";

export interface AdagradOptions extends OptimizerOptions {
  /** The rate of step t is lr/(1 + (t − 1)·lrDecay). Default 0. */
  readonly lrDecay?: number;
  readonly weightDecay?: number;
  /** The sum of squares starts here. Default 0. */
  readonly initialAccumulatorValue?: number;
  /** Default 1e-10. */
  readonly eps?: number;
}

/** g + λ·p, or g itself when λ = 0. */
export function withDecay(g: Tensor, p: Tensor, weightDecay: number): Tensor {
  return weightDecay === 0 ? g : add(g, mul(p, weightDecay));
}

export class Adagrad extends Optimizer<{ readonly sum: Tensor }> {
  readonly lrDecay: number;
  readonly weightDecay: number;
  readonly initialAccumulatorValue: number;
  readonly eps: number;

  constructor(params: Params, options: AdagradOptions) {
    super(params, options);
    options = expectOptions<AdagradOptions>(this.op, options, ["lr", "lrDecay", "weightDecay", "initialAccumulatorValue", "eps"], true);
    this.lrDecay = expectIn(this.op, "lrDecay", options.lrDecay ?? 0, 0, Infinity);
    this.weightDecay = expectIn(this.op, "weightDecay", options.weightDecay ?? 0, 0, Infinity);
    this.initialAccumulatorValue = expectIn(this.op, "initialAccumulatorValue", options.initialAccumulatorValue ?? 0, 0, Infinity);
    this.eps = expectIn(this.op, "eps", options.eps ?? 1e-10, 0, Infinity);
  }

  protected initState(p: Tensor): { readonly sum: Tensor } {
    return { sum: fullLike(p, this.initialAccumulatorValue) };
  }

  protected applyUpdate(p: Tensor, grad: Tensor, { sum }: { readonly sum: Tensor }, lr: number, t: number): void {
    const g = withDecay(grad, p, this.weightDecay);
    sum.assign(add(sum, mul(g, g)));
    const rate = lr / (1 + (t - 1) * this.lrDecay);
    p.assign(sub(p, mul(div(g, add(sqrt(sum), this.eps)), rate)));
  }
}

export interface AdadeltaOptions extends OptimizerOptions {
  /** The decay ρ of both running averages. Default 0.9. */
  readonly rho?: number;
  /** Default 1e-6. */
  readonly eps?: number;
  readonly weightDecay?: number;
}

interface AdadeltaState {
  readonly v: Tensor;
  readonly u: Tensor;
}

/** Adadelta (Zeiler 2012). PyTorch's default lr is 1. */
export class Adadelta extends Optimizer<AdadeltaState> {
  readonly rho: number;
  readonly eps: number;
  readonly weightDecay: number;

  constructor(params: Params, options: AdadeltaOptions) {
    super(params, options);
    options = expectOptions<AdadeltaOptions>(this.op, options, ["lr", "rho", "eps", "weightDecay"], true);
    this.rho = expectIn(this.op, "rho", options.rho ?? 0.9, 0, 1);
    this.eps = expectIn(this.op, "eps", options.eps ?? 1e-6, 0, Infinity);
    this.weightDecay = expectIn(this.op, "weightDecay", options.weightDecay ?? 0, 0, Infinity);
  }

  protected initState(p: Tensor): AdadeltaState {
    return { v: zerosLike(p), u: zerosLike(p) };
  }

  protected applyUpdate(p: Tensor, grad: Tensor, { v, u }: AdadeltaState, lr: number): void {
    const g = withDecay(grad, p, this.weightDecay);
    const rho = this.rho;
    v.assign(add(mul(v, rho), mul(mul(g, g), 1 - rho)));
    const delta = mul(div(sqrt(add(u, this.eps)), sqrt(add(v, this.eps))), g);
    u.assign(add(mul(u, rho), mul(mul(delta, delta), 1 - rho)));
    p.assign(sub(p, mul(delta, lr)));
  }
}
