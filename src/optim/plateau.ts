/**
 * ReduceLROnPlateau (PyTorch's): multiplies an optimiser's rate by `factor` once a metric has stopped
 * improving for more than `patience` checks. Unlike the schedules it reads a metric, so it is an object
 * fed once per epoch: `plateau.step(validationLoss)`.
 */
import { describe, expectFinite, expectInteger, expectNumber, expectOptions, invalidArgument } from "../errors.js";
import { expectIn, Optimizer } from "./optimizer.js";

export interface PlateauOptions {
  /** "min" (default: lower is better, a loss) or "max" (an accuracy). */
  readonly mode?: "min" | "max";
  /** The rate is multiplied by it, in [0, 1). Default 0.1. */
  readonly factor?: number;
  /** Checks without improvement tolerated before reducing. Default 10. */
  readonly patience?: number;
  /** An improvement must beat the best by this much. Default 1e-4. */
  readonly threshold?: number;
  /** "rel" (default: by threshold·|best|, as best·(1 ∓ threshold)) or "abs". */
  readonly thresholdMode?: "rel" | "abs";
  /** Checks to wait after a reduction before counting again. Default 0. */
  readonly cooldown?: number;
  /** The rate never goes below it. Default 0. */
  readonly minLr?: number;
  /** A reduction smaller than eps is skipped. Default 1e-8. */
  readonly eps?: number;
}

export class ReduceLROnPlateau {
  readonly optimizer: Optimizer;
  readonly mode: "min" | "max";
  readonly factor: number;
  readonly patience: number;
  readonly threshold: number;
  readonly thresholdMode: "rel" | "abs";
  readonly cooldown: number;
  readonly minLr: number;
  readonly eps: number;
  /** The best metric seen so far. */
  best: number;
  /** Checks since the last improvement (reset by a reduction and during cooldown). */
  badChecks = 0;
  #cooldownLeft = 0;

  constructor(optimizer: Optimizer, options: PlateauOptions = {}) {
    const op = "ReduceLROnPlateau";
    if (!(optimizer instanceof Optimizer)) throw invalidArgument(op, `optimizer must be an Optimizer, got ${describe(optimizer)}`, { argument: "optimizer" });
    options = expectOptions<PlateauOptions>(op, options, ["mode", "factor", "patience", "threshold", "thresholdMode", "cooldown", "minLr", "eps"]);
    this.optimizer = optimizer;
    this.mode = oneOf(op, "mode", options.mode ?? "min", ["min", "max"]);
    this.factor = expectIn(op, "factor", options.factor ?? 0.1, 0, 1, true);
    this.patience = expectInteger(op, "patience", options.patience ?? 10, 0);
    this.threshold = expectIn(op, "threshold", options.threshold ?? 1e-4, 0, Infinity);
    this.thresholdMode = oneOf(op, "thresholdMode", options.thresholdMode ?? "rel", ["rel", "abs"]);
    this.cooldown = expectInteger(op, "cooldown", options.cooldown ?? 0, 0);
    this.minLr = expectIn(op, "minLr", options.minLr ?? 0, 0, Infinity);
    this.eps = expectIn(op, "eps", options.eps ?? 1e-8, 0, Infinity);
    this.best = this.mode === "min" ? Infinity : -Infinity;
    // The rate reduced is the one the optimiser would use next; a schedule it had is replaced by that number on the first reduction.
    expectFinite(op, "optimizer.lr", optimizer.lr);
  }

  /** One check of the metric (once per epoch, typically); reduces the optimiser's rate on a plateau. */
  step(metric: number): void {
    const op = "ReduceLROnPlateau.step";
    const current = expectNumber(op, "metric", metric);
    if (Number.isNaN(current)) throw invalidArgument(op, "metric is NaN", { argument: "metric" });
    if (this.#better(current)) {
      this.best = current;
      this.badChecks = 0;
    } else {
      this.badChecks++;
    }
    if (this.#cooldownLeft > 0) {
      this.#cooldownLeft--;
      this.badChecks = 0;
    }
    if (this.badChecks > this.patience) {
      const old = this.optimizer.lr;
      const next = Math.max(old * this.factor, this.minLr);
      if (old - next > this.eps) this.optimizer.lr = next;
      this.#cooldownLeft = this.cooldown;
      this.badChecks = 0;
    }
  }

  #better(a: number): boolean {
    const best = this.best;
    if (this.mode === "min") return this.thresholdMode === "rel" ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === "rel" ? a > best * (1 + this.threshold) : a > best + this.threshold;
  }
}

function oneOf<T extends string>(op: string, name: string, value: unknown, allowed: readonly T[]): T {
  if (allowed.includes(value as T)) return value as T;
  throw invalidArgument(op, `${name} must be ${allowed.map((a) => `"${a}"`).join(" or ")}, got ${describe(value)}`, { argument: name, got: describe(value) });
}
