/**
 * Whether operations are recorded for differentiation. One flag, visible and scoped: `noGrad(fn)`
 * runs `fn` with recording off and restores the previous state even if `fn` throws (an async `fn`,
 * whose scope would end at its first await, is refused); the backward pass uses the same switch to
 * decide whether its own operations are recorded (`createGraph`).
 */
import { expectFunction } from "../../errors.js";
import { expectSynchronous, synchronousResult } from "./scoped.js";

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

/**
 * Runs `fn` with recording on or off, restored afterwards; `op` names the function the user called in
 * errors, `instead` what to do when fn is async (refused: see scoped.ts).
 */
export function withGrad<R>(on: boolean, fn: () => R, op = on ? "enableGrad" : "noGrad", instead?: string): R {
  expectFunction(op, "fn", fn);
  const effect = on ? "stop recording the graph" : "record a graph";
  expectSynchronous(op, fn, effect, instead);
  const previous = enabled;
  enabled = on;
  let result: R;
  try {
    result = fn();
  } finally {
    enabled = previous;
  }
  return synchronousResult(op, result, effect, instead);
}
