/**
 * Whether operations are recorded for differentiation. One flag, visible and scoped: `noGrad(fn)`
 * runs `fn` with recording off and restores the previous state even if `fn` throws; the backward pass
 * uses the same switch to decide whether its own operations are recorded (`createGraph`).
 */
import { expectFunction } from "../../errors.js";

let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs `fn` without recording a graph (inference, optimiser updates). */
export function noGrad<R>(fn: () => R): R {
  return withGrad(false, fn);
}

/** Runs `fn` with recording on (inside `noGrad`, for a part that must be differentiable). */
export function enableGrad<R>(fn: () => R): R {
  return withGrad(true, fn);
}

export function withGrad<R>(on: boolean, fn: () => R): R {
  expectFunction(on ? "enableGrad" : "noGrad", "fn", fn);
  const previous = enabled;
  enabled = on;
  try {
    return fn();
  } finally {
    enabled = previous;
  }
}
