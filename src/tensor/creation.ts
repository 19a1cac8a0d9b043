/**
 * Creating tensors: from nested arrays or typed arrays, constant fills, ranges, identity, and random
 * fills from an explicit `Rng` (`rng(seed)`); without one, a fresh `rng(0)` is used, so results are
 * reproducible by default and no hidden global generator exists.
 */
import { AdError, describe, expectFinite, expectOptions, expectInteger, expectLength, invalidArgument } from "../errors.js";
import { allocate, coerce, dtypeOfArray, expectDType, isFloat, isInteger, nameAllocation, type DType, type Storage } from "./dtype.js";
import { widenHalves } from "../backends/float16.js";
import { Rng, rng as makeRng } from "./rng.js";
import { contiguousStrides, expectShape, formatShape, MAX_ELEMENTS, MAX_RANK, sizeOf } from "./shape.js";
import { fromStorage, Tensor } from "./tensor.js";
import { defaultDevice, expectDevice, host, type Device } from "../backends/device.js";

export interface CreateOptions {
  readonly dtype?: DType;
  /** Mark the new tensor as a leaf that requires a gradient (float dtypes only), as `.requireGrad()` does. */
  readonly requiresGrad?: boolean;
  /** Where the storage lives (a device or its name). Default: `defaultDevice()`, "cpu" at start. */
  readonly device?: Device | string;
}

export interface TensorOptions extends CreateOptions {
  /** For flat input (a typed array or a flat list): the shape to read it as. */
  readonly shape?: readonly number[];
}

export interface RandomOptions extends CreateOptions {
  /** The generator to draw from (advanced by the call). Default: a fresh `rng(0)`. */
  readonly rng?: Rng;
}

const CREATE_KEYS = ["dtype", "requiresGrad", "device"] as const;
const TENSOR_KEYS = [...CREATE_KEYS, "shape"] as const;
const RANDOM_KEYS = [...CREATE_KEYS, "rng"] as const;

/** The dtype asked for, checked with `requiresGrad` (before anything is allocated). */
function dtypeOption(op: string, opts: CreateOptions, fallback: DType = "float32"): DType {
  const dtype = opts.dtype === undefined ? fallback : expectDType(op, opts.dtype);
  const wants: unknown = opts.requiresGrad;
  if (wants !== undefined && typeof wants !== "boolean")
    throw invalidArgument(op, `requiresGrad must be a boolean, got ${describe(wants)}`, { argument: "requiresGrad", got: describe(wants) });
  // An int32 or bool tensor would claim a gradient that no rule ever produces (PyTorch refuses it too).
  if (wants === true && !isFloat(dtype))
    throw new AdError("DTypeMismatch", `only floating point tensors can require gradients, got ${dtype}`, { op, argument: "requiresGrad", dtype });
  return dtype;
}

/** A new leaf over `storage`, marked as requiring a gradient when the (checked) options ask. */
function created(op: string, opts: CreateOptions, storage: Storage, dtype: DType, shape: readonly number[]): Tensor {
  const device = opts.device === undefined ? defaultDevice() : expectDevice(op, opts.device);
  let t: Tensor;
  try {
    t = placed(storage, dtype, shape, device);
  } catch (error) {
    // A device's allocation failure (a GPU buffer over its limit) names the op the user called.
    throw nameAllocation(error, op);
  }
  t.requiresGrad = opts.requiresGrad === true;
  return t;
}

/** A tensor on `device` holding `storage` (host data, written to the device), unchecked: for the engine's own constants. */
export function placed(storage: Storage, dtype: DType, shape: readonly number[], device: Device): Tensor {
  return device === host ? fromStorage(storage, dtype, shape) : new Tensor(device.write(storage) as Storage, dtype, shape, contiguousStrides(shape), 0, device);
}

/** A rank-0 tensor of `value` in `dtype` on `device`, unchecked (a number operand: primitives/lift.ts). */
export function constant(value: number, dtype: DType, device: Device): Tensor {
  const storage = allocate(dtype, 1);
  storage[0] = coerce(dtype, value);
  return placed(storage, dtype, [], device);
}

/**
 * A tensor from nested arrays (`[[1, 2], [3, 4]]`, booleans allowed) or a typed array (copied; its
 * dtype is kept unless `dtype` says otherwise). Ragged nesting is a `ShapeMismatch`.
 */
export function tensor(values: unknown, opts?: TensorOptions): Tensor {
  const op = "tensor";
  const o = expectOptions<TensorOptions>(op, opts, TENSOR_KEYS);
  const typed = dtypeOfArray(values);
  let flat: ArrayLike<number>;
  let shape: number[];
  let inferredDType: DType = "float32";
  if (typed !== undefined) {
    // A float16 storage holds bits: its values are what gets stored again.
    flat = typed === "float16" ? widenHalves(values as Uint16Array) : (values as ArrayLike<number>);
    shape = [flat.length];
    inferredDType = typed;
  } else {
    const read = flatten(op, values);
    flat = read.flat;
    shape = read.shape;
    if (read.allBoolean && read.flat.length > 0) inferredDType = "bool";
  }
  const dtype = dtypeOption(op, o, inferredDType);
  if (o.shape !== undefined) {
    const target = expectShape(op, "shape", o.shape);
    if (sizeOf(target) !== flat.length) {
      throw new AdError("ShapeMismatch", `${flat.length} values cannot fill shape ${formatShape(target)} (${sizeOf(target)} elements)`, { op, values: flat.length, shape: target });
    }
    shape = target;
  }
  if (isInteger(dtype)) expectIntegerValues(op, flat, dtype);
  const storage = allocate(dtype, flat.length, op);
  for (let i = 0; i < flat.length; i++) storage[i] = coerce(dtype, flat[i]);
  return created(op, o, storage, dtype, shape);
}

const INTEGER_RANGES = { int32: [-2147483648, 2147483647, "[−2³¹, 2³¹ − 1]"], uint8: [0, 255, "[0, 255]"], int8: [-128, 127, "[−128, 127]"] } as const;

/**
 * Values bound for an integer dtype must be integers in its range: a store would truncate 0.5 to 0
 * and wrap 3e10 to −64771072 (or 256 to 0 in uint8), so a float label array would silently compute
 * something else. Cast explicitly (`cast(tensor(values), "int32")`, which truncates and wraps) to
 * convert on purpose.
 */
function expectIntegerValues(op: string, flat: ArrayLike<number>, dtype: "int32" | "uint8" | "int8"): void {
  const [min, max, range] = INTEGER_RANGES[dtype];
  for (let i = 0; i < flat.length; i++) {
    const v = flat[i];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw invalidArgument(op, `values[${i}] is ${v}, not an ${dtype} (an integer in ${range}); round or cast it first`, {
        argument: "values",
        index: i,
        got: v,
        dtype,
      });
    }
  }
}

function flatten(op: string, values: unknown): { flat: number[]; shape: number[]; allBoolean: boolean } {
  const flat: number[] = [];
  let allBoolean = true;
  const shape: number[] = [];
  const visit = (v: unknown, depth: number, path: string): void => {
    if (Array.isArray(v)) {
      const n = expectLength(op, `values${path}`, v);
      if (n > MAX_ELEMENTS || depth >= MAX_RANK) throw invalidArgument(op, `values${path} is too large or too deeply nested`, { at: path, length: n, depth });
      if (depth === shape.length) {
        if (depth > 0 && flat.length > 0) ragged(path);
        shape.push(n);
      } else if (shape[depth] !== n) ragged(path);
      for (let i = 0; i < n; i++) visit(v[i], depth + 1, `${path}[${i}]`);
      return;
    }
    if (depth !== shape.length) ragged(path);
    if (typeof v === "number") {
      allBoolean = false;
      flat.push(v);
    } else if (typeof v === "boolean") flat.push(v ? 1 : 0);
    else throw invalidArgument(op, `values${path} must be a number, a boolean or an array, got ${describe(v)}`, { at: path, got: describe(v) });
  };
  const ragged = (path: string): never => {
    throw new AdError("ShapeMismatch", `values are ragged at values${path}: every list at one depth must have the same length`, { op, at: path });
  };
  visit(values, 0, "");
  // A leaf reached before the first array at some depth fixes the rank; re-check leaves' depth.
  if (sizeOf(shape) !== flat.length) ragged("");
  return { flat, shape, allBoolean };
}

/** A tensor of `shape` with every element `value`. */
export function full<const S extends readonly number[]>(shape: S, value: number, opts?: CreateOptions): Tensor<S> {
  return filled("full", shape, value, opts) as Tensor<S>;
}

function filled(op: string, shape: readonly number[], value: unknown, opts: unknown): Tensor {
  const dims = expectShape(op, "shape", shape);
  const o = expectOptions<CreateOptions>(op, opts, CREATE_KEYS);
  const dtype = dtypeOption(op, o);
  if (typeof value !== "number" && typeof value !== "boolean") throw invalidArgument(op, `value must be a number, got ${describe(value)}`, { got: describe(value) });
  const storage = allocate(dtype, sizeOf(dims), op);
  storage.fill(coerce(dtype, Number(value)));
  return created(op, o, storage, dtype, dims);
}

export function zeros<const S extends readonly number[]>(shape: S, opts?: CreateOptions): Tensor<S> {
  const op = "zeros";
  const dims = expectShape(op, "shape", shape);
  const o = expectOptions<CreateOptions>(op, opts, CREATE_KEYS);
  const dtype = dtypeOption(op, o);
  return created(op, o, allocate(dtype, sizeOf(dims), op), dtype, dims) as unknown as Tensor<S>;
}

export function ones<const S extends readonly number[]>(shape: S, opts?: CreateOptions): Tensor<S> {
  return filled("ones", shape, 1, opts) as Tensor<S>;
}

/** start, start+step, … up to but excluding stop; `arange(n)` is 0 … n−1. */
export function arange(start: number, stop?: number, step = 1, opts?: CreateOptions): Tensor {
  const op = "arange";
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  expectFinite(op, "start", start);
  expectFinite(op, "stop", stop);
  expectFinite(op, "step", step);
  if (step === 0) throw invalidArgument(op, "step must not be 0", { step });
  const n = Math.max(0, Math.ceil((stop - start) / step));
  if (n > MAX_ELEMENTS) throw invalidArgument(op, `the range has ${n} elements, more than ${MAX_ELEMENTS}`, { start, stop, step });
  const o = expectOptions<CreateOptions>(op, opts, CREATE_KEYS);
  const dtype = dtypeOption(op, o);
  const storage = allocate(dtype, n, op);
  for (let i = 0; i < n; i++) storage[i] = coerce(dtype, start + i * step);
  return created(op, o, storage, dtype, [n]);
}

/** n evenly spaced values from start to stop, both included. */
export function linspace(start: number, stop: number, n: number, opts?: CreateOptions): Tensor {
  const op = "linspace";
  expectFinite(op, "start", start);
  expectFinite(op, "stop", stop);
  expectInteger(op, "n", n, 0, MAX_ELEMENTS);
  const o = expectOptions<CreateOptions>(op, opts, CREATE_KEYS);
  const dtype = dtypeOption(op, o);
  const storage = allocate(dtype, n, op);
  const step = n > 1 ? (stop - start) / (n - 1) : 0;
  for (let i = 0; i < n; i++) storage[i] = coerce(dtype, i === n - 1 && n > 1 ? stop : start + i * step);
  return created(op, o, storage, dtype, [n]);
}

/** The n×m identity (m = n by default). */
export function eye(n: number, m = n, opts?: CreateOptions): Tensor {
  const op = "eye";
  expectInteger(op, "n", n, 0, MAX_ELEMENTS);
  expectInteger(op, "m", m, 0, MAX_ELEMENTS);
  const dims = expectShape(op, "shape", [n, m]);
  const o = expectOptions<CreateOptions>(op, opts, CREATE_KEYS);
  const dtype = dtypeOption(op, o);
  const storage = allocate(dtype, n * m, op);
  for (let i = 0; i < Math.min(n, m); i++) storage[i * m + i] = 1;
  return created(op, o, storage, dtype, dims);
}

function generator(op: string, o: RandomOptions): Rng {
  if (o.rng === undefined) return makeRng(0);
  if (!(o.rng instanceof Rng)) throw invalidArgument(op, `rng must come from rng(seed), got ${describe(o.rng)}`, { got: describe(o.rng) });
  return o.rng;
}

function randomFloat(op: string, shape: readonly number[], opts: unknown, draw: (g: Rng) => number): Tensor {
  const dims = expectShape(op, "shape", shape);
  const o = expectOptions<RandomOptions>(op, opts, RANDOM_KEYS);
  const dtype = dtypeOption(op, o);
  if (!isFloat(dtype)) throw invalidArgument(op, `dtype must be float32, float64 or float16, got ${dtype}`, { dtype });
  const g = generator(op, o);
  const storage = allocate(dtype, sizeOf(dims), op);
  for (let i = 0; i < storage.length; i++) storage[i] = coerce(dtype, draw(g));
  return created(op, o, storage, dtype, dims);
}

/** Uniform in [0, 1). */
export function rand<const S extends readonly number[]>(shape: S, opts?: RandomOptions): Tensor<S> {
  return randomFloat("rand", shape, opts, (g) => g.uniform()) as Tensor<S>;
}

/** Standard normal. */
export function randn<const S extends readonly number[]>(shape: S, opts?: RandomOptions): Tensor<S> {
  return randomFloat("randn", shape, opts, (g) => g.normal()) as Tensor<S>;
}

/** Uniform integers in [low, high), dtype int32. */
export function randint<const S extends readonly number[]>(low: number, high: number, shape: S, opts?: RandomOptions): Tensor<S> {
  const op = "randint";
  expectInteger(op, "low", low, -(2 ** 31), 2 ** 31 - 1);
  expectInteger(op, "high", high, low + 1, 2 ** 31);
  const dims = expectShape(op, "shape", shape);
  const o = expectOptions<RandomOptions>(op, opts, RANDOM_KEYS);
  const dtype = dtypeOption(op, o, "int32");
  const g = generator(op, o);
  const storage = allocate(dtype, sizeOf(dims), op);
  for (let i = 0; i < storage.length; i++) storage[i] = coerce(dtype, g.int(low, high));
  return created(op, o, storage, dtype, dims) as unknown as Tensor<S>;
}
