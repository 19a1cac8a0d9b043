/**
 * Weight initialisers, PyTorch's formulas, each drawing from an explicit `Rng` (no hidden global
 * generator): the same seed gives the same weights. Fans follow PyTorch's layouts: a Linear weight is
 * [out, in], a Conv2d weight [out, in, kh, kw], so fanIn = in·kh·kw and fanOut = out·kh·kw.
 *
 *   kaimingUniform  U(−b, b), b = gain·√(3 / fan)      kaimingNormal  N(0, (gain / √fan)²)
 *   xavierUniform   U(−b, b), b = gain·√(6 / (fanIn + fanOut))
 *   xavierNormal    N(0, gain² · 2 / (fanIn + fanOut))
 */
import { describe, expectFinite, expectOptions, invalidArgument } from "../errors.js";
import { allocate, coerce, isFloat, type FloatDType } from "../tensor/dtype.js";
import { Rng } from "../tensor/rng.js";
import { expectShape, sizeOf } from "../tensor/shape.js";
import { fromStorage, type Tensor } from "../tensor/tensor.js";

export type Nonlinearity = "linear" | "relu" | "leakyRelu" | "tanh" | "sigmoid";

export interface InitOptions {
  /** The generator to draw from (advanced by the call). Required: initialisation is seeded. */
  readonly rng: Rng;
  readonly dtype?: FloatDType;
}

export interface KaimingOptions extends InitOptions {
  /** Which fan keeps its variance: "fanIn" (the forward pass, default) or "fanOut" (the backward pass). */
  readonly mode?: "fanIn" | "fanOut";
  /** Default "leakyRelu" with `a` = 0, i.e. ReLU's gain √2, as PyTorch's default. */
  readonly nonlinearity?: Nonlinearity;
  /** The negative slope for "leakyRelu" (PyTorch's Linear uses a = √5). Default 0. */
  readonly a?: number;
}

export interface XavierOptions extends InitOptions {
  /** Default 1. */
  readonly gain?: number;
}

/** [fanIn, fanOut] of a weight shape: [out, in, ...receptive field]. */
export function fans(shape: readonly number[]): [number, number] {
  return fansOf("fans", shape);
}

/** `fans` for the initialisers, naming the caller in errors. */
export function fansOf(op: string, shape: readonly number[]): [number, number] {
  shape = expectShape(op, "shape", shape);
  if (shape.length < 2) throw invalidArgument(op, `fans need a weight of rank ≥ 2 ([out, in, …]), got shape [${shape.join(", ")}]`, { shape: [...shape] });
  const receptive = sizeOf(shape.slice(2));
  return [shape[1] * receptive, shape[0] * receptive];
}

/** PyTorch's `calculate_gain`. */
export function gainOf(nonlinearity: Nonlinearity, a = 0): number {
  expectFinite("gainOf", "a", a);
  switch (nonlinearity) {
    case "linear":
    case "sigmoid":
      return 1;
    case "relu":
      return Math.SQRT2;
    case "leakyRelu":
      return Math.sqrt(2 / (1 + a * a));
    case "tanh":
      return 5 / 3;
    default:
      throw invalidArgument("gainOf", `unknown nonlinearity ${describe(nonlinearity satisfies never)}`);
  }
}

const INIT_KEYS = ["rng", "dtype"] as const;

/** The options, checked before anything reads them: known keys only, and an `rng` is required. */
function seeded<T extends InitOptions>(op: string, options: unknown, known: readonly (keyof T & string)[]): T {
  const o = expectOptions<T>(op, options, known, true);
  if (!(o.rng instanceof Rng)) throw invalidArgument(op, "options.rng must come from rng(seed): initialisation is always seeded", { argument: "rng" });
  return o;
}

/** Draws from `o.rng` (options already `seeded`). */
function draw(op: string, shape: readonly number[], o: InitOptions, sample: (g: Rng) => number): Tensor {
  const dims = expectShape(op, "shape", shape);
  const dtype = o.dtype ?? "float32";
  if (!isFloat(dtype)) throw invalidArgument(op, `dtype must be float32, float64 or float16, got ${describe(dtype)}`, { dtype: describe(dtype) });
  const storage = allocate(dtype, sizeOf(dims), op);
  for (let i = 0; i < storage.length; i++) storage[i] = coerce(dtype, sample(o.rng));
  return fromStorage(storage, dtype, dims);
}

function kaimingStd(op: string, shape: readonly number[], o: KaimingOptions): number {
  const [fanIn, fanOut] = fansOf(op, shape);
  const mode = o.mode ?? "fanIn";
  if (mode !== "fanIn" && mode !== "fanOut") throw invalidArgument(op, `mode must be "fanIn" or "fanOut", got ${describe(mode)}`, { argument: "mode", got: describe(mode) });
  const a = expectFinite(op, "a", o.a ?? 0);
  const nonlinearity = o.nonlinearity ?? "leakyRelu";
  if (!["linear", "relu", "leakyRelu", "tanh", "sigmoid"].includes(nonlinearity))
    throw invalidArgument(op, `unknown nonlinearity ${describe(nonlinearity)}`, { argument: "nonlinearity", got: describe(nonlinearity) });
  return gainOf(nonlinearity, a) / Math.sqrt(Math.max(1, mode === "fanIn" ? fanIn : fanOut));
}

/** Zero-mean draws with standard deviation `std`: uniform on ±√3·std, or normal. */
function withStd(op: string, shape: readonly number[], o: InitOptions, std: number, kind: "uniform" | "normal"): Tensor {
  const bound = Math.sqrt(3) * std;
  return draw(op, shape, o, kind === "uniform" ? (g) => (2 * g.uniform() - 1) * bound : (g) => g.normal() * std);
}

function kaiming(op: string, shape: readonly number[], options: unknown, kind: "uniform" | "normal"): Tensor {
  const o = seeded<KaimingOptions>(op, options, [...INIT_KEYS, "mode", "nonlinearity", "a"]);
  return withStd(op, shape, o, kaimingStd(op, shape, o), kind);
}

export function kaimingUniform(shape: readonly number[], options: KaimingOptions): Tensor {
  return kaiming("kaimingUniform", shape, options, "uniform");
}

export function kaimingNormal(shape: readonly number[], options: KaimingOptions): Tensor {
  return kaiming("kaimingNormal", shape, options, "normal");
}

function xavier(op: string, shape: readonly number[], options: unknown, kind: "uniform" | "normal"): Tensor {
  const o = seeded<XavierOptions>(op, options, [...INIT_KEYS, "gain"]);
  const [fanIn, fanOut] = fansOf(op, shape);
  return withStd(op, shape, o, expectFinite(op, "gain", o.gain ?? 1) * Math.sqrt(2 / Math.max(1, fanIn + fanOut)), kind);
}

export function xavierUniform(shape: readonly number[], options: XavierOptions): Tensor {
  return xavier("xavierUniform", shape, options, "uniform");
}

export function xavierNormal(shape: readonly number[], options: XavierOptions): Tensor {
  return xavier("xavierNormal", shape, options, "normal");
}

/** U(low, high): what PyTorch's Linear and Conv2d use for their bias, with bound 1/√fanIn. */
export function uniform(shape: readonly number[], low: number, high: number, options: InitOptions): Tensor {
  expectFinite("uniform", "low", low);
  expectFinite("uniform", "high", high);
  return draw("uniform", shape, seeded("uniform", options, INIT_KEYS), (g) => low + (high - low) * g.uniform());
}

/** N(mean, std²). */
export function normal(shape: readonly number[], mean: number, std: number, options: InitOptions): Tensor {
  expectFinite("normal", "mean", mean);
  expectFinite("normal", "std", std);
  return draw("normal", shape, seeded("normal", options, INIT_KEYS), (g) => mean + std * g.normal());
}
