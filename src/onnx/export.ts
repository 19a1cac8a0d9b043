/**
 * `exportOnnx(fnOrModule, exampleInputs, options)`: the function (or a Module's `forward`) traced
 * on the example inputs with the engine's trace interpreter, each primitive of the program written
 * as ONNX nodes by its row of exportRules.ts, the captured tensors as initializers (a Module's under
 * their parameter and buffer names), encoded as an ONNX model (opset 17) ready for onnxruntime.
 */
import { halfBits } from "../backends/float16.js";
import { AdError, describe, expectBooleanOption, expectOptions, invalidArgument } from "../errors.js";
import { Module } from "../nn/module.js";
import type { DType } from "../tensor/dtype.js";
import type { Program, Variable } from "../tensor/ir.js";
import type { PrimitiveName } from "../tensor/primitives/registry.js";
import { Tensor } from "../tensor/tensor.js";
import { trace } from "../tensor/tracing.js";
import { EXPORT_RULES, ONNX_DTYPE, type AttributeValue, type Graph } from "./exportRules.js";
import { ATTRIBUTE, encodeModel, type AttributeProto, type NodeProto, type TensorProto, type ValueInfoProto } from "./proto.js";

export interface ExportOptions {
  /**
   * Axis 0 of every input is a symbolic `batch` dimension, so the model runs on any batch size.
   * The batch must stay on axis 0 through the function (reshapes keep it first). Default false.
   */
  readonly dynamicBatch?: boolean;
  /** Names of the graph's inputs (default input_0, input_1, …). */
  readonly inputNames?: readonly string[];
  /** Names of the graph's outputs (default output_0, output_1, …). */
  readonly outputNames?: readonly string[];
}

export const OPSET = 17;
const IR_VERSION = 8;

export function exportOnnx(fnOrModule: ((...inputs: Tensor[]) => unknown) | Module, exampleInputs: readonly Tensor[], options: ExportOptions = {}): Uint8Array {
  const op = "exportOnnx";
  const o = expectOptions<ExportOptions>(op, options, ["dynamicBatch", "inputNames", "outputNames"]);
  const dynamicBatch = expectBooleanOption(op, "dynamicBatch", o.dynamicBatch, false);
  if (!Array.isArray(exampleInputs)) throw invalidArgument(op, `exampleInputs must be an array of tensors, got ${describe(exampleInputs)}`, { argument: "exampleInputs" });
  exampleInputs.forEach((x: unknown, i) => {
    if (!(x instanceof Tensor)) throw invalidArgument(op, `exampleInputs[${i}] must be a Tensor, got ${describe(x)}`, { argument: "exampleInputs", index: i });
  });
  const names = new Map<Tensor, string>();
  let fn: (...inputs: Tensor[]) => unknown;
  if (fnOrModule instanceof Module) {
    const m = fnOrModule;
    for (const [name, t] of [...m.namedParameters(), ...m.namedBuffers()]) names.set(t, name);
    fn = (...xs) => m.forward(...xs);
  } else if (typeof fnOrModule === "function") {
    fn = fnOrModule;
  } else {
    throw invalidArgument(op, `fnOrModule must be a function or a Module, got ${describe(fnOrModule)}`, { argument: "fnOrModule" });
  }
  const program = trace(fn)(...exampleInputs);
  const inputNames = namesOption(op, "inputNames", o.inputNames, program.inputs.length, "input");
  const outputNames = namesOption(op, "outputNames", o.outputNames, program.outputs.length, "output");
  return encodeModel({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET }],
    producerName: "adjoint",
    graph: writeGraph(op, program, { names, dynamicBatch, inputNames, outputNames }),
  });
}

function namesOption(op: string, name: string, value: readonly string[] | undefined, count: number, prefix: string): string[] {
  if (value === undefined) return Array.from({ length: count }, (_, i) => `${prefix}_${i}`);
  if (!Array.isArray(value) || value.length !== count || !value.every((s) => typeof s === "string" && s !== "") || new Set(value).size !== count) {
    throw invalidArgument(op, `${name} must be ${count} distinct non-empty strings, got ${describe(value)}`, { argument: name, expected: count });
  }
  return [...value];
}

interface Naming {
  readonly names: ReadonlyMap<Tensor, string>;
  readonly dynamicBatch: boolean;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
}

function writeGraph(op: string, program: Program, naming: Naming) {
  for (const eq of program.equations) {
    if (EXPORT_RULES[eq.primitive.name as PrimitiveName] === undefined) {
      throw new AdError("UnsupportedOp", `${eq.primitive.name} has no ONNX equivalent in adjoint's export`, { op, primitive: eq.primitive.name });
    }
  }
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const valueName = new Map<Variable, string>();
  const taken = new Set<string>([...naming.inputNames, ...naming.outputNames]);
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const batched = new Set<Variable>();
  program.inputs.forEach((v, i) => {
    valueName.set(v, naming.inputNames[i]);
    if (naming.dynamicBatch && v.shape.length > 0) batched.add(v);
  });
  program.constants.forEach(({ variable, value }, i) => {
    const name = fresh(naming.names.get(value) ?? `const_${i}`);
    valueName.set(variable, name);
    initializers.push(tensorProto(name, value.shape, value.dtype, value.data()));
  });
  const scalars = new Map<string, string>();
  const graph: Graph = {
    node(opType, inputs, attributes = {}) {
      const output = fresh(`${opType.toLowerCase()}_${nodes.length}`);
      nodes.push({ opType, input: [...inputs], output: [output], attribute: Object.entries(attributes).map(([name, v]) => attribute(name, v)) });
      return output;
    },
    int64(values, scalar = false) {
      const name = fresh(`ints_${initializers.length}`);
      initializers.push(tensorProto(name, scalar ? [] : [values.length], "int64", values));
      return name;
    },
    scalar(value, dtype) {
      const key = `${dtype}:${value}`;
      let name = scalars.get(key);
      if (name === undefined) {
        name = fresh(`scalar_${initializers.length}`);
        initializers.push(tensorProto(name, [], dtype, [value]));
        scalars.set(key, name);
      }
      return name;
    },
    batched: (v) => batched.has(v),
  };
  for (const eq of program.equations) {
    if (eq.inputs.some((v) => batched.has(v)) && keepsBatch(eq)) batched.add(eq.output);
    const rule = EXPORT_RULES[eq.primitive.name as PrimitiveName]!;
    valueName.set(
      eq.output,
      rule(
        graph,
        eq.inputs.map((v) => valueName.get(v)!),
        eq,
      ),
    );
  }
  // Graph outputs get their own names: an Identity where the value is an input, a constant or another output.
  program.outputs.forEach((v, i) => nodes.push({ opType: "Identity", input: [valueName.get(v)!], output: [naming.outputNames[i]], attribute: [] }));
  const info = (name: string, v: Variable): ValueInfoProto => ({
    name,
    type: {
      tensorType: {
        elemType: ONNX_DTYPE[v.dtype],
        shape: { dim: v.shape.map((d, axis) => (axis === 0 && batched.has(v) ? { dimParam: "batch" } : { dimValue: d })) },
      },
    },
  });
  return {
    name: "adjoint",
    node: nodes,
    initializer: initializers,
    input: program.inputs.map((v, i) => info(naming.inputNames[i], v)),
    output: program.outputs.map((v, i) => info(naming.outputNames[i], v)),
  };
}

/** Whether an equation on a batched input leaves the batch on axis 0 of its output. */
function keepsBatch(eq: Program["equations"][number]): boolean {
  if (eq.output.shape.length === 0) return false;
  const p = eq.params as { axes?: readonly number[]; specs?: readonly unknown[]; axis?: number } | undefined;
  switch (eq.primitive.name) {
    case "sum":
    case "max":
    case "min":
    case "prod":
      return !p!.axes!.includes(0);
    case "permute":
      return p!.axes![0] === 0;
    case "slice":
      return p!.specs!.length === 0 || p!.specs![0] === null || p!.specs![0] === undefined;
    default:
      return true;
  }
}

function attribute(name: string, v: AttributeValue): AttributeProto {
  if (typeof v === "number") return { name, type: ATTRIBUTE.INT, i: v };
  if (Array.isArray(v)) return { name, type: ATTRIBUTE.INTS, ints: [...(v as number[])] };
  return { name, type: ATTRIBUTE.FLOAT, f: (v as { float: number }).float };
}

/** A tensor's values as little-endian raw data, as ONNX stores them. */
function tensorProto(name: string, shape: readonly number[], dtype: DType | "int64", values: ArrayLike<number>): TensorProto {
  const n = values.length;
  const width = dtype === "float64" || dtype === "int64" ? 8 : dtype === "float32" || dtype === "int32" ? 4 : dtype === "float16" ? 2 : 1;
  const raw = new Uint8Array(n * width);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (dtype === "float32") view.setFloat32(i * 4, x, true);
    else if (dtype === "float64") view.setFloat64(i * 8, x, true);
    else if (dtype === "float16") view.setUint16(i * 2, halfBits(x), true);
    else if (dtype === "int32") view.setInt32(i * 4, x, true);
    else if (dtype === "int64") view.setBigInt64(i * 8, BigInt(x), true);
    else if (dtype === "bool") view.setUint8(i, x !== 0 ? 1 : 0);
    else view.setInt8(i, x);
  }
  return { name, dims: [...shape], dataType: dtype === "int64" ? 7 : ONNX_DTYPE[dtype], rawData: raw };
}
