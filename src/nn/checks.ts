/** Argument checks shared by the training stack's entry points (each failure an AdError naming `op`). */
import { AdError, describe, expectFinite, expectLength, invalidArgument } from "../errors.js";
import { isFloat, type FloatDType } from "../tensor/dtype.js";
import { Rng } from "../tensor/rng.js";
import { Tensor } from "../tensor/tensor.js";

/** A layer's float `dtype` option (undefined: the default, float32). */
export function floatDTypeOption(op: string, value: unknown): FloatDType | undefined {
  if (value === undefined || value === "float32" || value === "float64" || value === "float16") return value;
  throw invalidArgument(op, `dtype must be float32, float64 or float16, got ${describe(value)}`, { argument: "dtype", got: describe(value) });
}

/** A finite number > 0 (an epsilon, a size), else InvalidArgument naming the option and value. */
export function expectPositive(op: string, name: string, value: unknown): number {
  const v = expectFinite(op, name, value);
  if (!(v > 0)) throw invalidArgument(op, `${name} must be > 0, got ${v}`, { argument: name, got: v });
  return v;
}

/** The generator a layer draws from (initial weights, dropout masks): required, from `rng(seed)`. */
export function expectRng(op: string, value: unknown): Rng {
  if (!(value instanceof Rng)) throw invalidArgument(op, `options.rng must come from rng(seed), got ${describe(value)}`, { argument: "rng", got: describe(value) });
  return value;
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

/** %TypedArray%: `instanceof` it also catches a Proxy of a typed array and `Object.create(Uint8Array.prototype)`, whose iterators throw. */
const TypedArray = Object.getPrototypeOf(Uint8Array) as abstract new () => object;

/**
 * Tensors from an array or another iterable (a Set, a generator, `model.parameters()`), each checked
 * as it is reached: an array's length is checked before the loop (a Proxy may claim 2⁴⁰ or a Symbol),
 * holes are refused like any other non-tensor, and a typed array — detached ones included, whose
 * iterator throws a TypeError — is refused as a whole.
 */
export function expectTensors(op: string, name: string, value: unknown): Tensor[] {
  const out: Tensor[] = [];
  const take = (t: unknown): void => {
    out.push(expectTensor(op, `${name}[${out.length}]`, t));
  };
  if (Array.isArray(value)) {
    const n = expectLength(op, name, value);
    for (let i = 0; i < n; i++) take(value[i]);
  } else if (value !== null && typeof value === "object" && !(value instanceof TypedArray) && Symbol.iterator in value) {
    for (const t of value as Iterable<unknown>) take(t);
  } else {
    throw invalidArgument(op, `${name} must be tensors (an array or an iterable), got ${describe(value)}`, { argument: name, got: describe(value) });
  }
  return out;
}
