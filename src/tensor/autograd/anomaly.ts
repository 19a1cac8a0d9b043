/**
 * `detectAnomaly(fn)`: while fn runs, every primitive's output and every cotangent the backward pass
 * produces is checked for NaN/±Inf, and the first one raises `NonFinite` naming the op, whether it
 * was the forward value or the backward pass, and the input shapes. Off by default (the check reads
 * every element). Scoped and restored like `noGrad`, and like it refuses an async `fn`. A float
 * value on a device without a synchronous read is `UnsupportedOp`: the check cannot see it.
 */
import { AdError, expectFunction } from "../../errors.js";
import { isFloat } from "../dtype.js";
import { expectSynchronous, synchronousResult } from "./scoped.js";
import type { Tensor } from "../tensor.js";

let active = false;
/** The primitive whose VJP rule is running in the backward pass, if any (for messages). */
let backwardOf: string | undefined;

/** Runs a VJP rule, so that an anomaly inside it is reported as part of `op`'s backward pass. */
export function inBackwardOf<R>(op: string, fn: () => R): R {
  if (!active) return fn();
  const previous = backwardOf;
  backwardOf = op;
  try {
    return fn();
  } finally {
    backwardOf = previous;
  }
}

/**
 * Computes a local derivative that may be ±∞ or NaN at the edge of its domain (1/x at 0) with the
 * checks off: rules only use it through mulSafe, whose product is checked, so a zero cotangent
 * against it is not reported as an anomaly.
 */
export function localDerivative<R>(fn: () => R): R {
  if (!active) return fn();
  active = false;
  try {
    return fn();
  } finally {
    active = true;
  }
}

export function isAnomalyDetectionEnabled(): boolean {
  return active;
}

export function detectAnomaly<R>(fn: () => R): R {
  const op = "detectAnomaly";
  expectFunction(op, "fn", fn);
  const effect = "run unchecked";
  expectSynchronous(op, fn, effect);
  const previous = active;
  active = true;
  let result: R;
  try {
    result = fn();
  } finally {
    active = previous;
  }
  return synchronousResult(op, result, effect);
}

/** The first non-finite element of t (produced by `op`) as [flat position, value], or undefined. */
function firstNonFinite(op: string, t: Tensor): [number, number] | undefined {
  if (!isFloat(t.dtype)) return undefined;
  // The check runs inside the op, synchronously: a device that reads only asynchronously cannot be
  // checked there, and skipping it would let a NaN through unreported, so it is refused.
  if (t.device.readSync === undefined) {
    throw new AdError(
      "UnsupportedOp",
      `${op} ran on the ${t.device.name} device, which reads only asynchronously; detectAnomaly needs a synchronously readable device: copy to one first (x.to("cpu"))`,
      { op: "detectAnomaly", primitive: op, device: t.device.name },
    );
  }
  const data = t.data();
  for (let k = 0; k < data.length; k++) if (data[k] - data[k] !== 0) return [k, data[k]];
  return undefined;
}

/** Throws NonFinite if `t` (produced by `op` from `inputs`, in `phase`) holds NaN or ±Inf. */
export function checkFinite(op: string, phase: "forward" | "backward", t: Tensor, inputs: readonly Tensor[]): void {
  const bad = firstNonFinite(op, t);
  if (bad === undefined) return;
  const [position, value] = bad;
  // An op run by a VJP rule belongs to that primitive's backward pass: name both.
  const owner = phase === "forward" && backwardOf !== undefined ? backwardOf : op;
  const step = owner !== op || phase === "backward" ? op : undefined;
  const where =
    phase === "forward" && backwardOf === undefined
      ? `${op} produced ${value}`
      : `the backward pass of ${owner} produced ${value}${step !== undefined && step !== owner ? ` (in ${step})` : ""}`;
  throw new AdError("NonFinite", `${where} at flat position ${position} (input shapes ${inputs.map((x) => `[${x.shape.join(", ")}]`).join(", ")})`, {
    op: owner,
    phase: owner !== op ? "backward" : phase,
    step,
    value,
    position,
    inputShapes: inputs.map((x) => [...x.shape]),
  });
}
