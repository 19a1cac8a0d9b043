/**
 * `random`: functional random numbers, JAX style. A key is an int32 tensor of shape [2] (two uint32
 * words, as JAX's raw threefry keys); every draw is a pure function of its key, through the
 * threefry2x32 primitive, so it traces (jit), batches (vmap: a batched key gives each example its own
 * stream) and is the same on every device. Nothing is hidden or advanced: drawing twice from one key
 * gives the same numbers twice, and independent streams come from `split` or `foldIn`. The counter
 * layout is JAX's with `jax_threefry_partitionable` off, so `key`, `split`, `foldIn` and `bits` give
 * JAX's words. The eager `rng(seed)` objects (rng.ts) stay for eager code.
 */
import { describe, expectInteger, expectOptions, invalidArgument } from "../errors.js";
import { defaultDevice } from "../backends/device.js";
import { placed } from "./creation.js";
import { allocate, expectDType, type FloatDType } from "./dtype.js";
import { add, floorDiv, mul, sub } from "./primitives/arithmetic.js";
import { cast } from "./primitives/cast.js";
import { remainder } from "./primitives/rounding.js";
import { lt } from "./primitives/compare.js";
import { minimum } from "./primitives/select.js";
import { reshape, slice, transpose } from "./primitives/shape.js";
import { threefry2x32 } from "./primitives/threefry.js";
import { cos, log, sqrt } from "./primitives/unary.js";
import { expectShape, MAX_ELEMENTS, sizeOf } from "./shape.js";
import { expectKey, type Key } from "./key.js";
import type { Tensor } from "./tensor.js";

export type { Key } from "./key.js";

export interface UniformOptions {
  readonly dtype?: FloatDType;
  /** The lower bound, inclusive (0 by default). */
  readonly min?: number;
  /** The upper bound, exclusive (1 by default). */
  readonly max?: number;
}

export interface NormalOptions {
  readonly dtype?: FloatDType;
}

/** A key from an integer seed (|seed| ≤ 2⁵³): [high word, low word] of its 64-bit two's complement, as JAX's `random.key`. */
export function key(seed: number): Key {
  expectInteger("random.key", "seed", seed, Number.MIN_SAFE_INTEGER);
  const words = allocate("int32", 2);
  words[0] = Math.floor(seed / 2 ** 32) | 0;
  words[1] = seed | 0;
  return placed(words, "int32", [2], defaultDevice());
}

/** `n` new keys, [n, 2], independent of each other and of `key` (index them with `slice(keys, [i])`). */
export function split(key: Key, n = 2): Tensor {
  const op = "random.split";
  expectKey(op, key);
  expectInteger(op, "n", n, 1, Math.floor(MAX_ELEMENTS / 2));
  return reshape(words(op, key, 2 * n), [n, 2]);
}

/** A new key from `key` and an integer `data` (a step or example index): distinct data, independent keys. */
export function foldIn(key: Key, data: number): Key {
  const op = "random.foldIn";
  expectKey(op, key);
  expectInteger(op, "data", data, -(2 ** 31), 2 ** 32 - 1);
  return threefry2x32(key, counters(key, [0, data | 0], [2]));
}

/** Random 32-bit words of `shape` (uint32 bits held in int32). */
export function bits(key: Key, shape: readonly number[]): Tensor {
  const op = "random.bits";
  expectKey(op, key);
  const dims = expectShape(op, "shape", shape);
  return reshape(words(op, key, sizeOf(dims)), dims);
}

/**
 * Uniform in [min, max) of `shape` (clamped below max after rounding to dtype). float32 takes 23 bits of each word (JAX's float32 uniform); float64
 * takes all 32 (not 52: one word per draw).
 */
export function uniform(key: Key, shape: readonly number[], options?: UniformOptions): Tensor {
  const op = "random.uniform";
  expectKey(op, key);
  const dims = expectShape(op, "shape", shape);
  const o = expectOptions<UniformOptions>(op, options, ["dtype", "min", "max"]);
  const dtype = floatDType(op, o.dtype);
  const min = o.min === undefined ? 0 : finite(op, "min", o.min);
  const max = o.max === undefined ? 1 : finite(op, "max", o.max);
  if (!(min < max)) throw invalidArgument(op, `needs min < max, got min ${min} and max ${max}`, { min, max });
  const u = unitInterval(bits(key, dims), dtype);
  // min + u·(max − min), in dtype (as JAX), can round up to max: clamp to the largest value below it.
  return minimum(add(mul(u, max - min), min), below(max, dtype));
}

/** Standard normal N(0, 1) of `shape`, by Box–Muller over two uniforms per draw (computed in float64). */
export function normal(key: Key, shape: readonly number[], options?: NormalOptions): Tensor {
  const op = "random.normal";
  expectKey(op, key);
  const dims = expectShape(op, "shape", shape);
  const dtype = floatDType(op, expectOptions<NormalOptions>(op, options, ["dtype"]).dtype);
  const n = sizeOf(dims);
  const u = unitInterval(bits(key, [2, n]), "float64");
  // 1 − u is in (0, 1]: the logarithm is finite.
  const radius = sqrt(mul(log(sub(1, slice(u, [0]))), -2));
  return cast(reshape(mul(radius, cos(mul(slice(u, [1]), 2 * Math.PI))), dims), dtype);
}

/** A bool tensor of `shape`, each element true with probability `p` (in [0, 1]). */
export function bernoulli(key: Key, p: number, shape: readonly number[]): Tensor {
  const op = "random.bernoulli";
  expectKey(op, key);
  if (typeof p !== "number" || !(p >= 0 && p <= 1)) throw invalidArgument(op, `p must be a number in [0, 1], got ${describe(p)}`, { argument: "p", got: describe(p) });
  const dims = expectShape(op, "shape", shape);
  return lt(unitInterval(bits(key, dims), "float64"), p);
}

/**
 * Integers in [low, high) of `shape`, int32: ⌊u·(high − low)⌋ + low with u from 32 bits, so a span s
 * is uniform to within s/2³² (exact for powers of two).
 */
export function randint(key: Key, shape: readonly number[], low: number, high: number): Tensor {
  const op = "random.randint";
  expectKey(op, key);
  const dims = expectShape(op, "shape", shape);
  expectInteger(op, "low", low, -(2 ** 31), 2 ** 31 - 1);
  expectInteger(op, "high", high, low + 1, 2 ** 31);
  const u = unitInterval(bits(key, dims), "float64");
  return cast(add(floorDiv(mul(u, high - low), 1), low), "int32");
}

function floatDType(op: string, dtype: unknown): FloatDType {
  const d = dtype === undefined ? "float32" : expectDType(op, dtype);
  if (d !== "float32" && d !== "float64") throw invalidArgument(op, `dtype must be float32 or float64, got ${d}`, { argument: "dtype", dtype: d });
  return d;
}

function finite(op: string, name: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isFinite(value))
    throw invalidArgument(op, `${name} must be a finite number, got ${describe(value)}`, { argument: name, got: describe(value) });
  return value;
}

/** int32 counter pairs on the key's device (constants: under jit they are part of the program). */
function counters(key: Key, values: ArrayLike<number>, shape: readonly number[]): Tensor {
  return placed(Int32Array.from(values), "int32", shape, key.device);
}

/**
 * `n` words from `key`, JAX's layout: the counters 0‥n−1 (padded to even) in two halves, the pair
 * (i, i + h) giving words i and i + h.
 */
function words(op: string, key: Key, n: number): Tensor {
  const h = Math.ceil(n / 2);
  const pairs = allocate("int32", 2 * h, op);
  for (let i = 0; i < h; i++) {
    pairs[2 * i] = i;
    pairs[2 * i + 1] = i + h;
  }
  const out = reshape(transpose(threefry2x32(key, counters(key, pairs, [h, 2]))), [2 * h]);
  return n === 2 * h ? out : slice(out, [[0, n]]);
}

/** The largest `dtype` value strictly below x (x finite). */
function below(x: number, dtype: FloatDType): number {
  const view = new DataView(new ArrayBuffer(8));
  if (dtype === "float32") {
    const f = Math.fround(x);
    if (f < x) return f;
    if (f === 0) return -(2 ** -149);
    view.setFloat32(0, f);
    view.setInt32(0, view.getInt32(0) + (f > 0 ? -1 : 1));
    return view.getFloat32(0);
  }
  if (x === 0) return -Number.MIN_VALUE;
  view.setFloat64(0, x);
  view.setBigInt64(0, view.getBigInt64(0) + (x > 0 ? -1n : 1n));
  return view.getFloat64(0);
}

/**
 * Words to floats in [0, 1), exactly: float32's take the high 23 bits (JAX's mantissa fill), computed
 * in int32 and float32 only so that a key on a device without float64 (the GPU) draws them too;
 * float64's take all 32.
 */
function unitInterval(w: Tensor, dtype: FloatDType): Tensor {
  // ⌊w / 2⁹⌋ mod 2²³ is the unsigned word's top 23 bits, whatever the int32 sign.
  if (dtype === "float32") return mul(cast(remainder(floorDiv(w, 2 ** 9), 2 ** 23), "float32"), 2 ** -23);
  const signed = cast(w, "float64");
  const unsigned = add(signed, mul(cast(lt(signed, 0), "float64"), 2 ** 32));
  return mul(unsigned, 2 ** -32);
}
