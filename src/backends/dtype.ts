/**
 * Element types. `float32` is the default (what ML code and the later WASM/WebGPU kernels use);
 * `float64` is there for gradient checking; `int32` for indices and labels; `uint8` and `int8` for
 * data (images, quantised weights); `bool` for masks and comparison results (one byte per element,
 * 0 or 1); `float16` (IEEE half) to halve the memory of weights and activations: stored as its bits
 * (float16.ts), computed in float32 and rounded back (halfKernels.ts). Only the float types carry gradients.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { halfBits } from "./float16.js";

export const DTYPES = ["float32", "float64", "int32", "uint8", "int8", "bool", "float16"] as const;
export type DType = (typeof DTYPES)[number];
export type FloatDType = "float16" | "float32" | "float64";

/**
 * uint8 storage: a Uint8Array of its own class, so that code which sees only storage (a device's
 * `write`, `dtypeOfArray`) can tell bytes from bool masks, which are Uint8Arrays too.
 */
export class Uint8Storage extends Uint8Array {}

/** float16 storage: the halves' bits (Node 20 has no Float16Array), a class of its own so that storage says its dtype. */
export class Float16Storage extends Uint16Array {}

export interface StorageOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  uint8: Uint8Storage;
  int8: Int8Array;
  bool: Uint8Array;
  float16: Float16Storage;
}
export type Storage = StorageOf[DType];

/** The typed-array class of each dtype's storage (shared storage is made with them too: parallel/). */
export const CONSTRUCTORS = {
  float32: Float32Array,
  float64: Float64Array,
  int32: Int32Array,
  uint8: Uint8Storage,
  int8: Int8Array,
  bool: Uint8Array,
  float16: Float16Storage,
} as const;

/** The `op` of an allocation failure whose caller named none: `bind` renames it to its primitive. */
export const UNNAMED_ALLOCATION = "allocate";

/** `error` with an unnamed allocation failure renamed to `op` (the op the user called); any other error as it is. */
export function nameAllocation(error: unknown, op: string): unknown {
  if (!(error instanceof AdError) || error.details.op !== UNNAMED_ALLOCATION) return error;
  return new AdError(error.code, error.message.slice(UNNAMED_ALLOCATION.length + 2), { ...error.details, op });
}

/**
 * What `allocate` has made so far: the allocation counter (recycled storage is not counted again),
 * [allocations, bytes]. Float slots rather than an object's fields: a field holding a small integer
 * changes representation once the bytes pass 2³⁰, and V8 then deoptimises `allocate` (issues 16, 20).
 */
const counter = new Float64Array(2);

/** The allocation counter: how many (non-empty) storages `allocate` has made since the engine loaded, and their bytes. */
export function allocationCounter(): { readonly allocations: number; readonly bytes: number } {
  return { allocations: counter[0]!, bytes: counter[1]! };
}

/**
 * Where a jitted program's run recycles storage (jit/recycle.ts): `take` gives a zeroed storage left
 * by an earlier run, or undefined; `made` hears of each new one made meanwhile.
 */
export interface Arena {
  /** `overwritten`: the caller writes every element, so a recycled storage need not be zeroed. */
  take(dtype: DType, n: number, overwritten: boolean): Storage | undefined;
  made(storage: Storage): void;
}

let arena: Arena | undefined;

/** Runs `fn` with `allocate` drawing on `a` (undefined: on fresh memory, as for a program's own buffers). */
export function withArena<T>(a: Arena | undefined, fn: () => T): T {
  const outer = arena;
  arena = a;
  try {
    return fn();
  } finally {
    arena = outer;
  }
}

/**
 * A zeroed typed array of `n` elements for `dtype`: every tensor's storage is made here, and counted. When the
 * engine cannot provide the memory (a RangeError: over the address space, `ulimit -v`, or the typed
 * array maximum length) it is an `InvalidArgument` naming `op` and the bytes asked, not a RangeError.
 * `overwritten`: the caller writes every element before anything reads one, so storage recycled
 * under jit is handed over as it is (zeroing it would be wasted work).
 */
export function allocate<D extends DType>(dtype: D, n: number, op: string = UNNAMED_ALLOCATION, overwritten = false): StorageOf[D] {
  if (arena !== undefined) {
    const recycled = arena.take(dtype, n, overwritten);
    if (recycled !== undefined) return recycled as StorageOf[D];
  }
  const C = CONSTRUCTORS[dtype];
  try {
    const storage = new C(n) as StorageOf[D];
    // An empty storage (a disposed tensor's) holds no memory: not an allocation.
    if (n > 0) counter[0] = counter[0]! + 1;
    counter[1] = counter[1]! + storage.byteLength;
    arena?.made(storage);
    return storage;
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    const bytes = n * C.BYTES_PER_ELEMENT;
    throw invalidArgument(op, `cannot allocate ${bytes} bytes (${n} ${dtype} elements): ${error.message}`, { bytes, elements: n, dtype });
  }
}

export function isFloat(dtype: DType): dtype is FloatDType {
  return dtype === "float32" || dtype === "float64" || dtype === "float16";
}

export function expectDType(op: string, value: unknown): DType {
  if (typeof value === "string" && (DTYPES as readonly string[]).includes(value)) return value as DType;
  throw invalidArgument(op, `dtype must be one of ${DTYPES.join(", ")}, got ${describe(value)}`, { argument: "dtype", got: describe(value) });
}

/** The integer dtypes: arithmetic wraps modulo 2ⁿ, as PyTorch's (and a typed array's store) does. */
export function isInteger(dtype: DType): dtype is "int32" | "uint8" | "int8" {
  return dtype === "int32" || dtype === "uint8" || dtype === "int8";
}

/** The dtype a typed array holds, or undefined for arrays we do not store (a plain Uint8Array is bool; uint8 is a Uint8Storage). */
export function dtypeOfArray(a: unknown): DType | undefined {
  if (a instanceof Float32Array) return "float32";
  if (a instanceof Float64Array) return "float64";
  if (a instanceof Int32Array) return "int32";
  if (a instanceof Int8Array) return "int8";
  if (a instanceof Uint8Storage) return "uint8";
  if (a instanceof Float16Storage) return "float16";
  if (a instanceof Uint8Array) return "bool";
  return undefined;
}

/**
 * How a number is stored in `dtype`: rounded to f32, truncated toward zero and wrapped to i32, u8 or
 * i8 (NaN and ±∞ to 0, as a typed array's store), 0/1, or for float16 the bits of the half nearest its
 * float32 rounding (PyTorch also rounds a double to float first).
 */
export function coerce(dtype: DType, x: number): number {
  switch (dtype) {
    case "float32":
      return Math.fround(x);
    case "float64":
      return x;
    case "int32":
      return x | 0;
    case "uint8":
      return (x | 0) & 0xff;
    case "int8":
      return ((x | 0) << 24) >> 24;
    case "bool":
      return x ? 1 : 0;
    case "float16":
      return halfBits(Math.fround(x));
  }
}

/**
 * The promotion lattice bool < uint8, int8 < int32 < float16 < float32 < float64: a binary or ternary op's
 * operands meet at the higher of their dtypes (PyTorch's and JAX's `result_type`; test/golden holds
 * theirs). uint8 and int8 meet at int32: PyTorch's int16 holds both, and int32 is the narrowest
 * integer type here that does. A plain number is weakly typed, as in JAX: it never raises a float tensor's dtype, and
 * it raises an int32 or bool tensor only as far as its value needs (see `weakResultType`).
 */
const RANK: Readonly<Record<DType, number>> = { bool: 0, uint8: 1, int8: 1, int32: 2, float16: 3, float32: 4, float64: 5 };

/** The dtype two tensors of dtypes a and b promote to. */
export function resultType(a: DType, b: DType): DType {
  if (RANK[a] === RANK[b] && a !== b) return "int32";
  return RANK[a] >= RANK[b] ? a : b;
}

/**
 * The dtype a tensor of dtype `d` and the plain number `x` promote to. A JS number has no int/float
 * distinction, so a value int32 can hold counts as a Python int (bool → int32, int32 stays) and any
 * other (fractional, NaN, ±∞, beyond ±2³¹) as a Python float (bool or int32 → float32, the default float).
 */
export function weakResultType(d: DType, x: number): DType {
  if (isFloat(d)) return d;
  if ((x | 0) !== x) return "float32";
  // A Python int keeps a uint8 or int8 tensor's dtype (and wraps), as in PyTorch.
  return d === "uint8" || d === "int8" ? d : "int32";
}
