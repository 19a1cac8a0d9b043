/** Argument checks shared by the training stack's entry points (each failure an AdError naming `op`). */
import { AdError, describe, invalidArgument } from "../errors.js";
import { isFloat } from "../tensor/dtype.js";
import { Tensor } from "../tensor/tensor.js";

/** An options object: `undefined` is `{}` unless the options are required. */
export function optionsOf<T extends object>(op: string, value: unknown, required = false): T {
  if (value === undefined && !required) return {} as T;
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw invalidArgument(op, `options must be an object, got ${describe(value)}`, { argument: "options", got: describe(value) });
  }
  return value as T;
}

export function expectTensor(op: string, name: string, value: unknown): Tensor {
  if (!(value instanceof Tensor)) throw invalidArgument(op, `${name} must be a Tensor, got ${describe(value)}`, { argument: name, got: describe(value) });
  return value;
}

export function expectFloatTensor(op: string, name: string, value: unknown): Tensor {
  const t = expectTensor(op, name, value);
  if (!isFloat(t.dtype)) throw new AdError("DTypeMismatch", `${name} must be a float tensor, got ${t.dtype}`, { op, argument: name, dtype: t.dtype });
  return t;
}
