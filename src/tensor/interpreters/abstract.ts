/**
 * Which tensors are abstract (values under `trace`, known by shape and dtype only), and the one
 * window in which their storage may be touched: a primitive's kernel computing the output's shape
 * and dtype. Outside it, reading an abstract value is an `UnsupportedOp` naming the read: a trace
 * records one program for every input of that shape, so it cannot branch on values.
 */
import { AdError } from "../../errors.js";

const abstractValues = new WeakSet<object>();
let kernelDepth = 0;

export function markAbstract(t: object): void {
  abstractValues.add(t);
}

export function isAbstract(t: object): boolean {
  return abstractValues.has(t);
}

/** Runs a kernel on (placeholder storage of) abstract values; their reads are allowed inside. */
export function inKernel<R>(fn: () => R): R {
  kernelDepth++;
  try {
    return fn();
  } finally {
    kernelDepth--;
  }
}

/** Called by every synchronous read of a tensor's values (`data`, `item`, `at`, `toArray`). */
export function assertConcrete(t: object, op: string): void {
  if (kernelDepth === 0 && abstractValues.has(t)) {
    throw new AdError("UnsupportedOp", `${op} reads the values of an abstract tensor: trace records one program for every input of a shape and dtype, so it cannot read values (or branch on them)`, { op });
  }
}
