/**
 * How each ONNX op is built from adjoint's public functions, one row per op: the functions carry
 * their own derivative rules, so the imported model is differentiable in every mode. A row gets the
 * node's input values (a tensor, an int64 constant kept as numbers, or null for an omitted
 * optional input) and its attributes, and returns its outputs. An op with no row is an
 * `UnsupportedOp` naming it (import.ts).
 */
import { AdError, invalidArgument } from "../errors.js";
import type { DType } from "../tensor/dtype.js";
import * as T from "../tensor/index.js";
import type { Tensor } from "../tensor/tensor.js";
import type { AttributeProto } from "./proto.js";
import { OP, readTensor, type Int64Value } from "./readModel.js";

export type Value = Tensor | Int64Value;

/** A node's attributes by name, read with the ONNX defaults. */
export class Attributes {
  readonly #byName: Map<string, AttributeProto>;
  constructor(
    readonly opType: string,
    attributes: readonly AttributeProto[],
  ) {
    this.#byName = new Map(attributes.map((a) => [a.name, a]));
  }
  int(name: string, fallback: number): number {
    // proto3 leaves a zero off the wire: a present attribute without its field holds 0.
    const a = this.#byName.get(name);
    return a === undefined ? fallback : this.#integer(name, a.i ?? 0);
  }
  float(name: string, fallback: number): number {
    const a = this.#byName.get(name);
    return a === undefined ? fallback : (a.f ?? 0);
  }
  ints(name: string): number[] | undefined {
    const a = this.#byName.get(name);
    return a === undefined || a.ints === undefined || a.ints.length === 0 ? undefined : a.ints.map((x) => this.#integer(name, x));
  }
  string(name: string, fallback: string): string {
    const s = this.#byName.get(name)?.s;
    return s === undefined || s === null || s.length === 0 ? fallback : new TextDecoder().decode(s);
  }
  tensor(name: string): Value | undefined {
    const t = this.#byName.get(name)?.t;
    return t === undefined || t === null ? undefined : readTensor(t, `${this.opType}.${name}`);
  }
  has(name: string): boolean {
    return this.#byName.has(name);
  }
  #integer(name: string, x: number): number {
    if (!Number.isSafeInteger(x)) throw invalidArgument(OP, `${this.opType}.${name} must be an integer, got ${x}`, { node: this.opType, attribute: name });
    return x;
  }
}

export type ImportRule = (inputs: readonly (Value | null)[], a: Attributes) => Value[];

const DTYPE_OF: Record<number, DType> = { 1: "float32", 2: "uint8", 3: "int8", 6: "int32", 7: "int32", 9: "bool", 10: "float16", 11: "float64" };

function unsupported(a: Attributes, why: string): AdError {
  return new AdError("UnsupportedOp", `${a.opType}: ${why}`, { op: OP, onnxOp: a.opType });
}

/** A value used as data: int64 constants become int32 tensors (adjoint has no int64). */
export function tensorOf(v: Value | null, a: Attributes, index = 0): Tensor {
  if (v === null) throw invalidArgument(OP, `${a.opType} needs input ${index}`, { node: a.opType, input: index });
  if ("int64" in v) return T.reshape(T.tensor(v.int64 as number[], { dtype: "int32" }), v.shape);
  return v;
}

/** A value used as a list of integers (a shape, axes, pads): an int64 constant, known when the model is built. */
function intsOf(v: Value | null, a: Attributes, what: string): number[] {
  if (v === null) throw invalidArgument(OP, `${a.opType} needs its ${what}`, { node: a.opType, input: what });
  if ("int64" in v) return [...v.int64];
  throw unsupported(a, `its ${what} must be a constant int64 tensor (an initializer or a Constant), not a value computed by the graph`);
}

function axisOf(axis: number, rank: number, a: Attributes): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank)
    throw invalidArgument(OP, `${a.opType}: axis ${axis} is out of range for rank ${rank}`, { node: a.opType, axis, rank });
  return axis < 0 ? axis + rank : axis;
}

const unary =
  (f: (x: Tensor) => Tensor): ImportRule =>
  ([x], a) => [f(tensorOf(x, a))];
const binary =
  (f: (x: Tensor, y: Tensor) => Tensor): ImportRule =>
  ([x, y], a) => [f(tensorOf(x, a), tensorOf(y, a, 1))];
/** Max, Min, Sum: variadic, folded pairwise. */
const variadic =
  (f: (x: Tensor, y: Tensor) => Tensor): ImportRule =>
  (xs, a) => [xs.map((x, i) => tensorOf(x, a, i)).reduce((acc, x) => f(acc, x))];

/** ReduceX: axes from the attribute (opset < 18, ReduceSum < 13) or the second input; none means all axes. */
const reduce =
  (f: (x: Tensor, axes: number[] | undefined, keep: boolean) => Tensor): ImportRule =>
  ([x, axesInput], a) => {
    const t = tensorOf(x, a);
    const axes = axesInput !== undefined && axesInput !== null ? intsOf(axesInput, a, "axes") : a.ints("axes");
    const keep = a.int("keepdims", 1) === 1;
    if (axes === undefined || axes.length === 0) return [a.int("noop_with_empty_axes", 0) === 1 ? t : f(t, undefined, keep)];
    return [
      f(
        t,
        axes.map((ax) => axisOf(ax, t.rank, a)),
        keep,
      ),
    ];
  };

/** ONNX's pads are [begin₀, begin₁, …, end₀, end₁, …]. */
function pairs(pads: readonly number[], rank: number): [number, number][] {
  return Array.from({ length: rank }, (_, i) => [pads[i], pads[i + rank]] as [number, number]);
}

/** Conv, MaxPool and AveragePool's spatial attributes, for 2-D only, with symmetric or leading padding. */
function window(a: Attributes, x: Tensor): { x: Tensor; stride: [number, number]; padding: [number, number]; dilation: [number, number] } {
  if (x.rank !== 4) throw unsupported(a, `only 2-D (NCHW) inputs are supported, got rank ${x.rank}`);
  if (a.string("auto_pad", "NOTSET") !== "NOTSET") throw unsupported(a, `auto_pad ${a.string("auto_pad", "")} is not supported; give explicit pads`);
  const strides = a.ints("strides") ?? [1, 1];
  const dilations = a.ints("dilations") ?? [1, 1];
  const pads = a.ints("pads") ?? [0, 0, 0, 0];
  const [t, l, b, r] = pads;
  if (t === b && l === r) return { x, stride: [strides[0], strides[1]], padding: [t, l], dilation: [dilations[0], dilations[1]] };
  if (a.opType !== "Conv") throw unsupported(a, `asymmetric pads [${pads.join(", ")}] are not supported`);
  // Zero padding then an unpadded convolution is the same sum.
  return {
    x: T.pad(x, [
      [0, 0],
      [0, 0],
      [t, b],
      [l, r],
    ]),
    stride: [strides[0], strides[1]],
    padding: [0, 0],
    dilation: [dilations[0], dilations[1]],
  };
}

function reshapeTarget(x: Tensor, shape: readonly number[], allowZero: boolean, a: Attributes): number[] {
  const out = shape.map((d, i) => (d === 0 && !allowZero ? x.shape[i] : d));
  const known = out.filter((d) => d !== -1).reduce((p, d) => p * d, 1);
  const inferred = out.filter((d) => d === -1).length;
  if (inferred > 1 || out.some((d) => d < -1 || d === undefined))
    throw invalidArgument(OP, `Reshape: shape [${shape.join(", ")}] is not a valid target`, { node: a.opType, shape: [...shape] });
  return inferred === 0 ? out : out.map((d) => (d === -1 ? (known === 0 ? 0 : x.size / known) : d));
}

/** ArgMax/ArgMin: int32 indices of the first extreme (adjoint has no int64). */
function argExtreme(f: (x: Tensor, axis: number, keepDims: boolean) => Tensor, x: Tensor, a: Attributes): Tensor {
  if (a.int("select_last_index", 0) !== 0) throw unsupported(a, "select_last_index is not supported");
  return f(x, axisOf(a.int("axis", 0), x.rank, a), a.int("keepdims", 1) === 1);
}

const softmaxLike =
  (f: (x: Tensor, axis: number) => Tensor): ImportRule =>
  ([x], a) => [f(tensorOf(x, a), a.int("axis", -1))];

export const IMPORT_RULES: Readonly<Record<string, ImportRule>> = {
  Add: binary(T.add),
  Sub: binary(T.sub),
  Mul: binary(T.mul),
  Div: binary(T.div),
  Pow: binary(T.pow),
  Max: variadic(T.maximum),
  Min: variadic(T.minimum),
  Sum: variadic(T.add),
  Equal: binary(T.eq),
  Less: binary(T.lt),
  LessOrEqual: binary(T.le),
  Greater: binary(T.gt),
  GreaterOrEqual: binary(T.ge),
  Not: unary(T.logicalNot),
  And: binary(T.logicalAnd),
  Or: binary(T.logicalOr),
  Xor: binary(T.logicalXor),
  Mod: ([x, y], a) => [(a.int("fmod", 0) === 1 ? T.fmod : T.remainder)(tensorOf(x, a), tensorOf(y, a, 1))],
  Where: ([c, x, y], a) => [T.where(tensorOf(c, a), tensorOf(x, a, 1), tensorOf(y, a, 2))],
  Neg: unary(T.neg),
  Exp: unary(T.exp),
  Log: unary(T.log),
  Sin: unary(T.sin),
  Cos: unary(T.cos),
  Tan: unary(T.tan),
  Asin: unary(T.asin),
  Acos: unary(T.acos),
  Atan: unary(T.atan),
  Sinh: unary(T.sinh),
  Cosh: unary(T.cosh),
  Asinh: unary(T.asinh),
  Acosh: unary(T.acosh),
  Atanh: unary(T.atanh),
  Tanh: unary(T.tanh),
  Sqrt: unary(T.sqrt),
  Reciprocal: unary(T.reciprocal),
  Abs: unary(T.abs),
  Sign: unary(T.sign),
  Relu: unary(T.relu),
  Sigmoid: unary(T.sigmoid),
  Softplus: unary(T.softplus),
  Erf: unary(T.erf),
  Floor: unary(T.floor),
  Ceil: unary(T.ceil),
  Round: unary(T.round),
  LeakyRelu: ([x], a) => [T.leakyRelu(tensorOf(x, a), a.float("alpha", 0.01))],
  Gelu: ([x], a) => [T.gelu(tensorOf(x, a), { approximate: a.string("approximate", "none") === "tanh" ? "tanh" : "none" })],
  Softmax: softmaxLike(T.softmax),
  LogSoftmax: softmaxLike(T.logSoftmax),
  Identity: ([x]) => [x!],
  // Inference: Dropout passes its input through (the mask output, if asked for, is all true).
  Dropout: ([x], a) => [x!, T.full(tensorOf(x, a).shape as number[], 1, { dtype: "bool" })],
  Cast: ([x], a) => {
    const to = DTYPE_OF[a.int("to", 0)];
    if (to === undefined) throw unsupported(a, `casting to ONNX data type ${a.int("to", 0)} is not supported`);
    return [T.cast(tensorOf(x, a), to)];
  },
  ReduceSum: reduce((x, axes, keep) => T.sum(x, axes, keep)),
  ReduceMean: reduce((x, axes, keep) => T.mean(x, axes, keep)),
  ReduceMax: reduce((x, axes, keep) => T.max(x, axes, keep)),
  ReduceMin: reduce((x, axes, keep) => T.min(x, axes, keep)),
  ReduceProd: reduce((x, axes, keep) => T.prod(x, axes, keep)),
  ArgMax: ([x], a) => [argExtreme(T.argmax, tensorOf(x, a), a)],
  ArgMin: ([x], a) => [argExtreme(T.argmin, tensorOf(x, a), a)],
  CumSum: ([x, axis], a) => {
    if (a.int("exclusive", 0) !== 0 || a.int("reverse", 0) !== 0) throw unsupported(a, "exclusive and reverse are not supported");
    const t = tensorOf(x, a);
    return [T.cumsum(t, axisOf(intsOf(axis, a, "axis")[0], t.rank, a))];
  },
  MatMul: binary(T.matmul),
  Gemm: ([x, w, c], a) => {
    let p = tensorOf(x, a);
    let q = tensorOf(w, a, 1);
    if (a.int("transA", 0) === 1) p = T.transpose(p);
    if (a.int("transB", 0) === 1) q = T.transpose(q);
    let y = T.mul(T.matmul(p, q), a.float("alpha", 1));
    if (c !== undefined && c !== null) y = T.add(y, T.mul(tensorOf(c, a, 2), a.float("beta", 1)));
    return [y];
  },
  Conv: ([x, w, b], a) => {
    const win = window(a, tensorOf(x, a));
    // ONNX's grouped weight is PyTorch's: [M, C / group, kH, kW].
    const y = T.conv2d(win.x, tensorOf(w, a, 1), { stride: win.stride, padding: win.padding, dilation: win.dilation, groups: a.int("group", 1) });
    return [b === undefined || b === null ? y : T.add(y, T.reshape(tensorOf(b, a, 2), [1, y.shape[1], 1, 1]))];
  },
  MaxPool: ([x], a) => {
    const win = window(a, tensorOf(x, a));
    const kernel = a.ints("kernel_shape");
    if (kernel === undefined) throw invalidArgument(OP, "MaxPool needs kernel_shape", { node: a.opType });
    return [T.maxPool2d(win.x, { kernel: [kernel[0], kernel[1]], stride: win.stride, padding: win.padding, dilation: win.dilation, ceilMode: a.int("ceil_mode", 0) === 1 })];
  },
  AveragePool: ([x], a) => {
    const win = window(a, tensorOf(x, a));
    const kernel = a.ints("kernel_shape");
    if (kernel === undefined) throw invalidArgument(OP, "AveragePool needs kernel_shape", { node: a.opType });
    // ONNX leaves the padding out of the divisor by default, PyTorch (and avgPool2d) counts it.
    const options = { kernel: [kernel[0], kernel[1]] as [number, number], stride: win.stride, padding: win.padding };
    return [T.avgPool2d(win.x, { ...options, ceilMode: a.int("ceil_mode", 0) === 1, countIncludePad: a.int("count_include_pad", 0) === 1 })];
  },
  GlobalAveragePool: ([x], a) => {
    const t = tensorOf(x, a);
    return [
      T.mean(
        t,
        Array.from({ length: t.rank - 2 }, (_, i) => i + 2),
        true,
      ),
    ];
  },
  BatchNormalization: ([x, scale, bias, mean, variance], a) => {
    const t = tensorOf(x, a);
    const shape = [1, t.shape[1], ...t.shape.slice(2).map(() => 1)];
    const r = (v: Value | null, i: number) => T.reshape(tensorOf(v, a, i), shape);
    const normed = T.mul(T.sub(t, r(mean, 3)), T.rsqrt(T.add(r(variance, 4), a.float("epsilon", 1e-5))));
    return [T.add(T.mul(normed, r(scale, 1)), r(bias, 2))];
  },
  Reshape: ([x, shape], a) => {
    const t = tensorOf(x, a);
    return [T.reshape(t, reshapeTarget(t, intsOf(shape, a, "shape"), a.int("allowzero", 0) === 1, a))];
  },
  Flatten: ([x], a) => {
    const t = tensorOf(x, a);
    const axis = a.int("axis", 1);
    const k = axis < 0 ? axis + t.rank : axis;
    const outer = t.shape.slice(0, k).reduce((p, d) => p * d, 1);
    return [T.reshape(t, [outer, outer === 0 ? 0 : t.size / outer])];
  },
  Expand: ([x, shape], a) => {
    const t = tensorOf(x, a);
    const target = intsOf(shape, a, "shape");
    const rank = Math.max(t.rank, target.length);
    // Expand broadcasts both ways: a 1 in the target keeps the input's size there.
    const out = Array.from({ length: rank }, (_, i) => {
      const d = t.shape[i - (rank - t.rank)] ?? 1;
      const s = target[i - (rank - target.length)] ?? 1;
      return s === 1 ? d : s;
    });
    return [T.expand(t, out)];
  },
  Transpose: ([x], a) => {
    const t = tensorOf(x, a);
    return [T.permute(t, a.ints("perm") ?? t.shape.map((_, i) => t.rank - 1 - i))];
  },
  Squeeze: ([x, axes], a) => {
    let t = tensorOf(x, a);
    const list = axes !== undefined && axes !== null ? intsOf(axes, a, "axes") : a.ints("axes");
    if (list === undefined) return [T.squeeze(t)];
    const rank = t.rank;
    for (const ax of list.map((ax) => axisOf(ax, rank, a)).sort((p, q) => q - p)) t = T.squeeze(t, ax);
    return [t];
  },
  Unsqueeze: ([x, axes], a) => {
    let t = tensorOf(x, a);
    const list = axes !== undefined && axes !== null ? intsOf(axes, a, "axes") : (a.ints("axes") ?? []);
    const rank = t.rank + list.length;
    for (const ax of list.map((ax) => axisOf(ax, rank, a)).sort((p, q) => p - q)) t = T.unsqueeze(t, ax);
    return [t];
  },
  Concat: (xs, a) => {
    const ts = xs.map((x, i) => tensorOf(x, a, i));
    return [T.concat(ts, axisOf(a.int("axis", 0), ts[0].rank, a))];
  },
  Slice: ([x, starts, ends, axes, steps], a) => {
    const t = tensorOf(x, a);
    const s = intsOf(starts, a, "starts");
    const e = intsOf(ends, a, "ends");
    const ax = axes !== undefined && axes !== null ? intsOf(axes, a, "axes") : s.map((_, i) => i);
    const st = steps !== undefined && steps !== null ? intsOf(steps, a, "steps") : s.map(() => 1);
    if (e.length !== s.length || ax.length !== s.length || st.length !== s.length)
      throw invalidArgument(OP, "Slice: starts, ends, axes and steps differ in length", { node: a.opType });
    const specs: T.SliceSpec[] = t.shape.map(() => null);
    ax.forEach((axis0, i) => {
      const axis = axisOf(axis0, t.rank, a);
      const d = t.shape[axis];
      const step = st[i];
      if (step === 0) throw invalidArgument(OP, "Slice: a step is 0", { node: a.opType });
      const clamp = (v: number, lo: number, hi: number) => Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
      const start = step > 0 ? clamp(s[i], 0, d) : clamp(s[i], 0, d - 1);
      const end = step > 0 ? clamp(e[i], 0, d) : clamp(e[i], -1, d - 1);
      // A normalised end of −1 going backwards is "past index 0", which Python's slice spells as no stop.
      specs[axis] = [start, end < 0 ? null : end, step];
    });
    return [T.slice(t, specs)];
  },
  Pad: ([x, pads, value, axes], a) => {
    if (a.string("mode", "constant") !== "constant") throw unsupported(a, `mode ${a.string("mode", "")} is not supported (only constant)`);
    if (axes !== undefined && axes !== null) throw unsupported(a, "the axes input is not supported");
    const t = tensorOf(x, a);
    const p = intsOf(pads, a, "pads");
    if (p.length !== 2 * t.rank || p.some((w) => w < 0)) throw unsupported(a, `pads [${p.join(", ")}] must be 2 non-negative widths per axis`);
    const v = value === undefined || value === null ? 0 : tensorOf(value, a, 2).data()[0];
    return [T.pad(t, pairs(p, t.rank), v)];
  },
  GatherElements: ([x, i], a) => {
    const t = tensorOf(x, a);
    return [T.gather(t, axisOf(a.int("axis", 0), t.rank, a), tensorOf(i, a, 1))];
  },
  Gather: ([x, i], a) => {
    const t = tensorOf(x, a);
    const axis = axisOf(a.int("axis", 0), t.rank, a);
    const idx = tensorOf(i, a, 1);
    // Negative indices count from the end, as in ONNX.
    const flat = T.reshape(T.where(T.lt(idx, 0), T.add(idx, t.shape[axis]), idx), [idx.size]);
    const picked = T.indexSelect(t, axis, flat);
    return [T.reshape(picked, [...t.shape.slice(0, axis), ...idx.shape, ...t.shape.slice(axis + 1)])];
  },
  Constant: (_, a) => {
    const t = a.tensor("value");
    if (t !== undefined) return [t];
    if (a.has("value_float")) return [T.tensor(a.float("value_float", 0))];
    if (a.has("value_int")) return [{ int64: [a.int("value_int", 0)], shape: [] }];
    const ints = a.ints("value_ints");
    if (ints !== undefined) return [{ int64: ints, shape: [ints.length] }];
    throw unsupported(a, "only value, value_float, value_int and value_ints are supported");
  },
};
