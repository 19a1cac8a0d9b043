/**
 * What the scientific optimisers share: their budgets and tolerances (checked once, with defaults),
 * the evaluation counter that enforces the budget, and the result that says why they stopped.
 */
import { expectFinite, expectInteger, expectOptions, invalidArgument } from "../../errors.js";

export interface StoppingOptions {
  /** Stop when ‖∇f‖∞ ≤ this (default 1e-5, SciPy's `gtol`). */
  readonly gradientTolerance?: number;
  /** Stop when an iteration lowers f by ≤ this·max(|f|, |f_new|, 1) (default 2.2e-9, SciPy's L-BFGS-B `ftol`). */
  readonly functionTolerance?: number;
  /** Stop when a step moves no coordinate by more than this·max(‖x‖∞, 1) (default 1e-12). */
  readonly stepTolerance?: number;
  /** At most this many iterations (default 1000). */
  readonly maxIterations?: number;
  /** At most this many evaluations of f and its gradient, line-search trials included (default 15000). */
  readonly maxEvaluations?: number;
}

/** Why an optimiser stopped: a tolerance met (converged), a budget spent, or no acceptable step found. */
export type StopReason = "gradient" | "function" | "step" | "maxIterations" | "maxEvaluations" | "lineSearch";

export interface MinimizeResult<X> {
  /** The last accepted point, in x0's form (a tensor of its shape, or a `Float64Array`). */
  readonly x: X;
  readonly fun: number;
  readonly grad: X;
  readonly iterations: number;
  /** Evaluations of f with its gradient, line-search trials included. */
  readonly evaluations: number;
  /** Whether a tolerance stopped it (`reason` is "gradient", "function" or "step"). */
  readonly converged: boolean;
  readonly reason: StopReason;
}

export const STOPPING_KEYS = ["gradientTolerance", "functionTolerance", "stepTolerance", "maxIterations", "maxEvaluations"] as const;

export interface Stopping {
  readonly gradientTolerance: number;
  readonly functionTolerance: number;
  readonly stepTolerance: number;
  readonly maxIterations: number;
  readonly maxEvaluations: number;
}

/** A tolerance: a finite number ≥ 0. */
export function expectTolerance(op: string, name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  const t = expectFinite(op, name, value);
  if (t < 0) throw invalidArgument(op, `${name} must be ≥ 0, got ${t}`, { argument: name, got: t });
  return t;
}

/** The options with every key `known` accepted, and the stopping ones checked with their defaults. */
export function stoppingOptions<T extends StoppingOptions>(op: string, options: unknown, known: readonly (keyof T & string)[]): [T, Stopping] {
  const o = expectOptions<T>(op, options, known);
  return [
    o,
    {
      gradientTolerance: expectTolerance(op, "gradientTolerance", o.gradientTolerance, 1e-5),
      functionTolerance: expectTolerance(op, "functionTolerance", o.functionTolerance, 2.220446049250313e-9),
      stepTolerance: expectTolerance(op, "stepTolerance", o.stepTolerance, 1e-12),
      maxIterations: o.maxIterations === undefined ? 1000 : expectInteger(op, "maxIterations", o.maxIterations, 0),
      maxEvaluations: o.maxEvaluations === undefined ? 15000 : expectInteger(op, "maxEvaluations", o.maxEvaluations, 1),
    },
  ];
}

/** Where a minimiser's loop ended: the last accepted point, its value and gradient. */
export interface Run {
  readonly x: Float64Array;
  readonly f: number;
  readonly g: Float64Array;
  readonly iterations: number;
  readonly reason: StopReason;
}

export const CONVERGED: ReadonlySet<StopReason> = new Set(["gradient", "function", "step"]);

/** ‖v‖∞. */
export function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]));
  return m;
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

/** Whether f fell by no more than `tolerance` relative to its size (SciPy's L-BFGS-B test). */
export function functionStalled(before: number, after: number, tolerance: number): boolean {
  return before - after <= tolerance * Math.max(Math.abs(before), Math.abs(after), 1);
}

/** Whether the step s moved no coordinate by more than `tolerance` relative to x. */
export function stepStalled(s: Float64Array, x: Float64Array, tolerance: number): boolean {
  return maxAbs(s) <= tolerance * Math.max(maxAbs(x), 1);
}
