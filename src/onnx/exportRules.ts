/**
 * How each primitive of the engine is written as ONNX nodes (opset 17): one row per primitive. A
 * row gets the names of its inputs' ONNX values and the equation, adds nodes through the `Graph`
 * and returns the name of the value that holds the equation's output. A primitive with no row has
 * no ONNX equivalent here and is an `UnsupportedOp` naming it (export.ts).
 */
import { AdError } from "../errors.js";
import { isFloat, type DType } from "../tensor/dtype.js";
import type { Equation } from "../tensor/ir.js";
import type { PrimitiveName } from "../tensor/primitives/registry.js";
import type { SliceSpec } from "../tensor/view.js";

/** An attribute value: a number is an INT unless `float` wraps it; arrays are INTS. */
export type AttributeValue = number | readonly number[] | { readonly float: number };

/** What a row may do to the graph being written. */
export interface Graph {
  /** Adds a node and returns its (fresh) output name. */
  node(opType: string, inputs: readonly string[], attributes?: Readonly<Record<string, AttributeValue>>): string;
  /** An int64 constant (shapes, axes, pads). */
  int64(values: readonly number[], scalar?: boolean): string;
  /** A scalar constant of `dtype` (to combine with a value of that dtype). */
  scalar(value: number, dtype: DType): string;
  /** Whether this value carries the dynamic batch on axis 0 (always false without `dynamicBatch`). */
  batched(v: Equation["output"]): boolean;
}

export type ExportRule = (g: Graph, inputs: readonly string[], eq: Equation) => string;

/** TensorProto.DataType of each adjoint dtype. */
export const ONNX_DTYPE: Record<DType, number> = { float32: 1, uint8: 2, int8: 3, int32: 6, bool: 9, float16: 10, float64: 11 };

const unary =
  (opType: string): ExportRule =>
  (g, [x]) =>
    g.node(opType, [x]);
const binary =
  (opType: string): ExportRule =>
  (g, [a, b]) =>
    g.node(opType, [a, b]);
/** f(x) ∘ c, with c a scalar of x's dtype: log2 = log(x) / ln 2, log1p = log(x + 1), … */
const withScalar = (inner: string | null, opType: string, c: number, outer?: string): ExportRule => {
  return (g, [x], eq) => {
    const y = g.node(opType, [inner === null ? x : g.node(inner, [x]), g.scalar(c, eq.output.dtype)]);
    return outer === undefined ? y : g.node(outer, [y]);
  };
};

/** 0.5·x·(1 + erf(x/√2)): Gelu itself is opset 20. */
const gelu: ExportRule = (g, [x], eq) => {
  const d = eq.output.dtype;
  const erf = g.node("Erf", [g.node("Mul", [x, g.scalar(Math.SQRT1_2, d)])]);
  return g.node("Mul", [g.node("Mul", [x, g.scalar(0.5, d)]), g.node("Add", [erf, g.scalar(1, d)])]);
};

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))). */
const geluTanh: ExportRule = (g, [x], eq) => {
  const d = eq.output.dtype;
  const cube = g.node("Mul", [g.node("Mul", [x, x]), x]);
  const inner = g.node("Mul", [g.node("Add", [x, g.node("Mul", [cube, g.scalar(0.044715, d)])]), g.scalar(Math.sqrt(2 / Math.PI), d)]);
  return g.node("Mul", [g.node("Mul", [x, g.scalar(0.5, d)]), g.node("Add", [g.node("Tanh", [inner]), g.scalar(1, d)])]);
};

/** axes-and-keepDims reductions; opset 17 takes ReduceSum's axes as an input and the others' as an attribute. */
const reduce =
  (opType: string): ExportRule =>
  (g, [x], eq) => {
    const { axes, keepDims } = eq.params as { axes: readonly number[]; keepDims: boolean };
    if (axes.length === 0) return g.node("Identity", [x]);
    if (opType === "ReduceSum") return g.node(opType, [x, g.int64(axes)], { keepdims: keepDims ? 1 : 0 });
    return g.node(opType, [x], { axes, keepdims: keepDims ? 1 : 0 });
  };

/** A target shape whose batch axis is left for the runtime to infer. */
function shapeFor(g: Graph, eq: Equation, shape: readonly number[], batchValue: number): readonly number[] {
  return g.batched(eq.output) && shape.length > 0 ? [batchValue, ...shape.slice(1)] : shape;
}

/** Python-style slice specs as ONNX Slice's starts/ends/axes/steps, then Squeeze of the integer-indexed axes. */
const slice: ExportRule = (g, [x], eq) => {
  const specs = (eq.params as { specs: readonly SliceSpec[] }).specs;
  const shape = eq.inputs[0].shape;
  const starts: number[] = [];
  const ends: number[] = [];
  const axes: number[] = [];
  const steps: number[] = [];
  const squeeze: number[] = [];
  specs.forEach((spec, axis) => {
    if (spec === null || spec === undefined) return;
    const d = shape[axis];
    if (typeof spec === "number") {
      const i = spec < 0 ? spec + d : spec;
      (starts.push(i), ends.push(i + 1), axes.push(axis), steps.push(1), squeeze.push(axis));
      return;
    }
    const r = Array.isArray(spec) ? { start: spec[0], stop: spec[1], step: spec[2] } : (spec as { start?: number; stop?: number; step?: number });
    const step = r.step ?? 1;
    const norm = (v: number | null | undefined, fallback: number, lo: number, hi: number) =>
      v === null || v === undefined ? fallback : Math.min(Math.max(v < 0 ? v + d : v, lo), hi);
    const [start, stop] = step > 0 ? [norm(r.start, 0, 0, d), norm(r.stop, d, 0, d)] : [norm(r.start, d - 1, -1, d - 1), norm(r.stop, -1, -1, d - 1)];
    // ONNX reads a negative end as counting from the back: "before index 0" going backwards is −d−1.
    (starts.push(start), ends.push(stop < 0 ? -d - 1 : stop), axes.push(axis), steps.push(step));
  });
  const sliced = axes.length === 0 ? x : g.node("Slice", [x, g.int64(starts), g.int64(ends), g.int64(axes), g.int64(steps)]);
  return squeeze.length === 0 ? sliced : g.node("Squeeze", [sliced, g.int64(squeeze)]);
};

/** Python's floor division and remainder: on floats from Floor; on ints from Mod (fmod = 0 has Python's sign). */
const floorDiv: ExportRule = (g, [a, b], eq) =>
  isFloat(eq.output.dtype) ? g.node("Floor", [g.node("Div", [a, b])]) : g.node("Div", [g.node("Sub", [a, g.node("Mod", [a, b], { fmod: 0 })]), b]);
const remainder: ExportRule = (g, [a, b], eq) =>
  isFloat(eq.output.dtype) ? g.node("Sub", [a, g.node("Mul", [g.node("Floor", [g.node("Div", [a, b])]), b])]) : g.node("Mod", [a, b], { fmod: 0 });

/** argmax/argmin over one axis, or over all of them as the flat index (ArgMax of the flattened tensor). */
const argExtreme: ExportRule = (g, [x], eq) => {
  const { axes, keepDims, extreme } = eq.params as { axes: readonly number[]; keepDims: boolean; extreme: "max" | "min" };
  const opType = extreme === "max" ? "ArgMax" : "ArgMin";
  const rank = eq.inputs[0].shape.length;
  if (axes.length === 1) return g.node("Cast", [g.node(opType, [x], { axis: axes[0], keepdims: keepDims ? 1 : 0 })], { to: ONNX_DTYPE.int32 });
  if (axes.length === rank) {
    const flat = g.node(opType, [g.node("Reshape", [x, g.int64([-1])])], { axis: 0, keepdims: 0 });
    return g.node("Reshape", [g.node("Cast", [flat], { to: ONNX_DTYPE.int32 }), g.int64(eq.output.shape)]);
  }
  throw new AdError("UnsupportedOp", `arg${extreme} over ${axes.length} of ${rank} axes has no ONNX equivalent (one axis or all)`, {
    op: "exportOnnx",
    primitive: "argExtreme",
    axes: [...axes],
  });
};

export const EXPORT_RULES: Partial<Record<PrimitiveName, ExportRule>> = {
  add: binary("Add"),
  sub: binary("Sub"),
  mul: binary("Mul"),
  div: binary("Div"),
  pow: binary("Pow"),
  // On bools (logicalOr/logicalAnd are maximum/minimum), where ONNX's Max and Min take no bools.
  maximum: (g, [a, b], eq) => g.node(eq.output.dtype === "bool" ? "Or" : "Max", [a, b]),
  minimum: (g, [a, b], eq) => g.node(eq.output.dtype === "bool" ? "And" : "Min", [a, b]),
  eq: binary("Equal"),
  ne: (g, [a, b]) => g.node("Not", [g.node("Equal", [a, b])]),
  lt: binary("Less"),
  le: binary("LessOrEqual"),
  gt: binary("Greater"),
  ge: binary("GreaterOrEqual"),
  fmod: (g, [a, b]) => g.node("Mod", [a, b], { fmod: 1 }),
  floorDiv,
  remainder,
  hypot: (g, [a, b]) => g.node("Sqrt", [g.node("Add", [g.node("Mul", [a, a]), g.node("Mul", [b, b])])]),
  where: (g, [c, a, b]) => g.node("Where", [c, a, b]),
  neg: unary("Neg"),
  exp: unary("Exp"),
  log: unary("Log"),
  sin: unary("Sin"),
  cos: unary("Cos"),
  tan: unary("Tan"),
  asin: unary("Asin"),
  acos: unary("Acos"),
  atan: unary("Atan"),
  sinh: unary("Sinh"),
  cosh: unary("Cosh"),
  asinh: unary("Asinh"),
  acosh: unary("Acosh"),
  atanh: unary("Atanh"),
  tanh: unary("Tanh"),
  sqrt: unary("Sqrt"),
  rsqrt: (g, [x]) => g.node("Reciprocal", [g.node("Sqrt", [x])]),
  abs: unary("Abs"),
  sign: unary("Sign"),
  relu: unary("Relu"),
  sigmoid: unary("Sigmoid"),
  softplus: unary("Softplus"),
  erf: unary("Erf"),
  gelu,
  geluTanh,
  floor: unary("Floor"),
  ceil: unary("Ceil"),
  round: unary("Round"),
  trunc: (g, [x]) => g.node("Mul", [g.node("Sign", [x]), g.node("Floor", [g.node("Abs", [x])])]),
  cbrt: (g, [x], eq) => g.node("Mul", [g.node("Sign", [x]), g.node("Pow", [g.node("Abs", [x]), g.scalar(1 / 3, eq.output.dtype)])]),
  expm1: withScalar("Exp", "Sub", 1),
  log1p: (g, [x], eq) => g.node("Log", [g.node("Add", [x, g.scalar(1, eq.output.dtype)])]),
  log2: withScalar("Log", "Div", Math.LN2),
  log10: withScalar("Log", "Div", Math.LN10),
  cast: (g, [x], eq) => g.node("Cast", [x], { to: ONNX_DTYPE[eq.output.dtype] }),
  sum: reduce("ReduceSum"),
  max: reduce("ReduceMax"),
  min: reduce("ReduceMin"),
  prod: reduce("ReduceProd"),
  argExtreme,
  cumsum: (g, [x], eq) => g.node("CumSum", [x, g.int64([(eq.params as { axis: number }).axis], true)]),
  matmul: binary("MatMul"),
  conv2d: (g, [x, w], eq) => {
    const { stride, padding, dilation } = eq.params as { stride: number[]; padding: number[]; dilation: number[] };
    return g.node("Conv", [x, w], { strides: stride, pads: [...padding, ...padding], dilations: dilation });
  },
  maxPool2d: (g, [x], eq) => {
    const { kernel, stride, padding, dilation } = eq.params as { kernel: number[]; stride: number[]; padding: number[]; dilation: number[] };
    return g.node("MaxPool", [x], { kernel_shape: kernel, strides: stride, pads: [...padding, ...padding], dilations: dilation });
  },
  reshape: (g, [x], eq) => g.node("Reshape", [x, g.int64(shapeFor(g, eq, (eq.params as { shape: number[] }).shape, -1))]),
  // Expand broadcasts both ways, so a 1 on the batch axis keeps the input's batch.
  expand: (g, [x], eq) => g.node("Expand", [x, g.int64(shapeFor(g, eq, (eq.params as { shape: number[] }).shape, 1))]),
  permute: (g, [x], eq) => g.node("Transpose", [x], { perm: (eq.params as { axes: number[] }).axes }),
  slice,
  concat: (g, xs, eq) => g.node("Concat", xs, { axis: (eq.params as { axis: number }).axis }),
  pad: (g, [x], eq) => {
    const { widths, value } = eq.params as { widths: [number, number][]; value: number };
    return g.node("Pad", [x, g.int64([...widths.map((w) => w[0]), ...widths.map((w) => w[1])]), g.scalar(value, eq.output.dtype)]);
  },
  gather: (g, [x, i], eq) => g.node("GatherElements", [x, i], { axis: (eq.params as { axis: number }).axis }),
  contiguous: unary("Identity"),
  stopGradient: unary("Identity"),
  to: unary("Identity"),
};
