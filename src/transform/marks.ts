/**
 * How the transform recognises its own functions when user code calls them: a function made by
 * `differentiate` is remembered with its source function and options (so a call to it is inlined),
 * and one made by `defineDerivative` with its rule (so a call to it is kept, with the rule's partials).
 */
import { weakMapGet } from "./intrinsics.js";
import type { ArgKind } from "./runtime.js";

// Kept beside the functions, not on them: a property could be forged, or read through a Proxy's
// trap (which may throw, or lie).
const differentiated = new WeakMap<object, DifferentiatedMark>();
const rules = new WeakMap<object, RuleMark>();

/**
 * Which derivative a function made by the transform is: `differentiate` in reverse or forward mode,
 * forward over reverse (`differentiate(df, { mode: "forward" })`), or `transformHessian`. A second
 * transform is defined only on a reverse one, so the others are refused there, never misread.
 */
export type DerivativeKind = "reverse" | "forward" | "hvp" | "hessian";

export interface DifferentiatedMark {
  /** The source function (what a call to the derivative from transformed code inlines). */
  readonly fn: (...args: never[]) => unknown;
  readonly derivative: DerivativeKind;
  readonly constants: unknown;
  readonly functions: unknown;
  /** The argument kinds `source` was generated for, and its kernel's name (read by the build-time plugin). */
  readonly kinds?: readonly ArgKind[];
  readonly kernel?: string;
}

export interface RuleMark {
  readonly fn: (...args: number[]) => number;
  readonly rule: (...args: number[]) => number | ArrayLike<number>;
  readonly name: string;
}

export function differentiatedMark(f: unknown): DifferentiatedMark | undefined {
  return typeof f === "function" ? weakMapGet(differentiated, f) : undefined;
}

export function ruleMark(f: unknown): RuleMark | undefined {
  return typeof f === "function" ? weakMapGet(rules, f) : undefined;
}

export function markDifferentiated(f: object, m: DifferentiatedMark): void {
  differentiated.set(f, m);
}

export function markRule(f: object, m: RuleMark): void {
  rules.set(f, m);
}
