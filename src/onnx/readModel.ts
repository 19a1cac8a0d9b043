/**
 * A decoded ONNX model checked before anything is built from it: every field importOnnx reads has
 * the right type, every dimension is a bounded non-negative integer, every tensor's data matches
 * its shape (so a huge dimension with no data behind it is refused before any allocation), and
 * every node reads only values defined before it. Anything else is an `InvalidArgument` naming
 * importOnnx; a well-formed model using what adjoint lacks (a dtype, external data) is an `UnsupportedOp`.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { halfValue } from "../backends/float16.js";
import { allocate, coerce, type DType } from "../tensor/dtype.js";
import { fromStorage, type Tensor } from "../tensor/tensor.js";
import { decodeModel, type AttributeProto, type NodeProto, type TensorProto } from "./proto.js";

export const OP = "importOnnx";
const MAX_ELEMENTS = 2 ** 31 - 1;

/** An int64 tensor: its values are kept as numbers (shapes, axes, indices), made a tensor (int32) only when used as data. */
export interface Int64Value {
  readonly int64: readonly number[];
  readonly shape: readonly number[];
}

export type Initializer = Tensor | Int64Value;

export interface GraphInput {
  readonly name: string;
  readonly dtype: DType;
  /** null: a symbolic dimension (any size). */
  readonly shape: readonly (number | null)[];
}

export interface CheckedModel {
  readonly inputs: readonly GraphInput[];
  readonly outputs: readonly string[];
  readonly initializers: ReadonlyMap<string, Initializer>;
  readonly nodes: readonly NodeProto[];
}

const DTYPES = new Map<number, DType | "int64">([
  [1, "float32"],
  [2, "uint8"],
  [3, "int8"],
  [6, "int32"],
  [7, "int64"],
  [9, "bool"],
  [10, "float16"],
  [11, "float64"],
]);
const WIDTH: Record<DType | "int64", number> = { float32: 4, float64: 8, float16: 2, int32: 4, int64: 8, uint8: 1, int8: 1, bool: 1 };

export function readModel(bytes: unknown): CheckedModel {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument(OP, `bytes must be a Uint8Array, got ${describe(bytes)}`, { argument: "bytes" });
  if (bytes.length === 0) throw invalidArgument(OP, "the file is empty", { bytes: 0 });
  const model = record(decodeModel(OP, bytes), "the model");
  // Every node binds to the default domain's operator set, so a model must say which version it uses.
  const opsets = list(model.opsetImport, "model.opsetImport").map((o) => record(o, "an opset import"));
  const onnxOpset = opsets.find((o) => o.domain === undefined || o.domain === "" || o.domain === "ai.onnx");
  if (onnxOpset === undefined || typeof onnxOpset.version !== "number" || !Number.isInteger(onnxOpset.version) || onnxOpset.version < 1) {
    throw invalidArgument(OP, "the model imports no version of the ONNX operator set", { opsetImport: opsets.length });
  }
  const graph = record(model.graph, "model.graph");
  const initializers = new Map<string, Initializer>();
  for (const t of list(graph.initializer, "graph.initializer")) {
    const tp = record(t, "an initializer") as TensorProto;
    const name = text(tp.name, "an initializer's name");
    if (initializers.has(name)) throw invalidArgument(OP, `initializer ${name} is defined twice`, { name });
    initializers.set(name, readTensor(tp, `initializer ${name}`));
  }
  const inputs: GraphInput[] = [];
  for (const v of list(graph.input, "graph.input")) {
    const info = record(v, "a graph input");
    const name = text(info.name, "a graph input's name");
    // Older exporters list initializers among the inputs too; those are initializers.
    if (initializers.has(name)) continue;
    const tensorType = record(record(info.type, `input ${name}'s type`).tensorType, `input ${name}'s tensor type`);
    const dtype = dtypeOf(tensorType.elemType, `input ${name}`);
    if (dtype === "int64") throw new AdError("UnsupportedOp", `input ${name} is int64, which adjoint has no dtype for`, { op: OP, input: name, dtype });
    const dims = list(record(tensorType.shape ?? { dim: [] }, `input ${name}'s shape`).dim ?? [], `input ${name}'s dims`);
    inputs.push({ name, dtype, shape: dims.map((d) => dimOf(d, `input ${name}`)) });
  }
  const defined = new Set<string>([...initializers.keys(), ...inputs.map((i) => i.name)]);
  const nodes: NodeProto[] = [];
  for (const n of list(graph.node, "graph.node")) {
    const node = record(n, "a node");
    const opType = text(node.opType, "a node's op type");
    const input = list(node.input, `${opType}'s inputs`).map((s) => (typeof s === "string" ? s : text(undefined, `${opType}'s input names`)));
    for (const name of input)
      if (name !== "" && !defined.has(name))
        throw invalidArgument(OP, `${opType} reads ${name}, which no earlier node, input or initializer defines`, { node: opType, value: name });
    // An empty name is an optional output left unused (Dropout's mask).
    const output = list(node.output, `${opType}'s outputs`).map((s) => (s === "" ? s : text(s, `${opType}'s output names`)));
    for (const name of output) defined.add(name);
    const attribute = list(node.attribute ?? [], `${opType}'s attributes`).map((a) => readAttribute(a, opType));
    nodes.push({ opType, domain: typeof node.domain === "string" ? node.domain : "", input, output, attribute });
  }
  const outputs = list(graph.output, "graph.output").map((o) => text(record(o, "a graph output").name, "a graph output's name"));
  if (outputs.length === 0) throw invalidArgument(OP, "the graph has no outputs", {});
  for (const name of outputs) if (!defined.has(name)) throw invalidArgument(OP, `output ${name} is not computed by the graph`, { output: name });
  return { inputs, outputs, initializers, nodes };
}

function readAttribute(a: unknown, opType: string): AttributeProto {
  const at = record(a, `an attribute of ${opType}`) as unknown as AttributeProto;
  text(at.name, `an attribute name of ${opType}`);
  if (at.t !== undefined && at.t !== null) readTensor(at.t, `${opType}.${at.name}`);
  for (const key of ["ints", "floats"] as const) if (at[key] !== undefined) list(at[key], `${opType}.${at.name}`).forEach((x) => finite(x, `${opType}.${at.name}`));
  return at;
}

/** A TensorProto as an adjoint tensor (int64 kept as numbers), its data checked against its dims. */
export function readTensor(tp: TensorProto, what: string): Initializer {
  const dims = list(tp.dims ?? [], `${what}'s dims`).map((d) => {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0 || d > MAX_ELEMENTS)
      throw invalidArgument(OP, `${what} has dimension ${describe(d)}`, { tensor: what, dim: describe(d) });
    return d;
  });
  const size = dims.reduce((a, b) => a * b, 1);
  if (size > MAX_ELEMENTS) throw invalidArgument(OP, `${what} has shape [${dims.join(", ")}]: too many elements`, { tensor: what, shape: dims });
  const dtype = dtypeOf(tp.dataType, what);
  if (tp.dataLocation === 1) throw new AdError("UnsupportedOp", `${what} keeps its data in an external file; save the model with its data inside`, { op: OP, tensor: what });
  const values = tensorValues(tp, dtype, size, what);
  if (dtype === "int64") return { int64: Array.from(values), shape: dims };
  const storage = allocate(dtype, size, OP);
  for (let i = 0; i < size; i++) storage[i] = coerce(dtype, values[i]);
  return fromStorage(storage, dtype, dims);
}

function tensorValues(tp: TensorProto, dtype: DType | "int64", size: number, what: string): ArrayLike<number> {
  const raw = tp.rawData;
  if (raw !== undefined && raw !== null && raw.length > 0) {
    if (!(raw instanceof Uint8Array)) throw invalidArgument(OP, `${what}'s raw data must be bytes`, { tensor: what });
    if (raw.length !== size * WIDTH[dtype])
      throw invalidArgument(OP, `${what} has ${raw.length} bytes of data for ${size} ${dtype} values`, { tensor: what, bytes: raw.length, expected: size * WIDTH[dtype] });
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const out = new Float64Array(size);
    for (let i = 0; i < size; i++) {
      if (dtype === "float32") out[i] = view.getFloat32(i * 4, true);
      else if (dtype === "float64") out[i] = view.getFloat64(i * 8, true);
      else if (dtype === "float16") out[i] = halfValue(view.getUint16(i * 2, true));
      else if (dtype === "int32") out[i] = view.getInt32(i * 4, true);
      else if (dtype === "int64") out[i] = int64Number(view.getBigInt64(i * 8, true));
      else if (dtype === "int8") out[i] = view.getInt8(i);
      else out[i] = view.getUint8(i);
    }
    return out;
  }
  const field = dtype === "float32" ? tp.floatData : dtype === "float64" ? tp.doubleData : dtype === "int64" ? tp.int64Data : tp.int32Data;
  const values = list(field ?? [], `${what}'s data`);
  if (values.length !== size)
    throw invalidArgument(OP, `${what} has ${values.length} values for shape [${(tp.dims ?? []).join(", ")}]`, { tensor: what, values: values.length, expected: size });
  // ONNX keeps float16 in int32_data as the halves' bits.
  return values.map((x) => (dtype === "float16" ? halfValue(finiteOrFloat(x, "int32", what)) : finiteOrFloat(x, dtype, what)));
}

function int64Number(v: bigint): number {
  if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
    // INT64_MAX/MIN are ONNX's "to the end" for Slice; the clamping there makes ±2⁵³ mean the same.
    return v > 0n ? Number.MAX_SAFE_INTEGER : -Number.MAX_SAFE_INTEGER;
  }
  return Number(v);
}

function finiteOrFloat(x: unknown, dtype: DType | "int64", what: string): number {
  if (typeof x !== "number") throw invalidArgument(OP, `${what} has a value ${describe(x)}`, { tensor: what });
  if (dtype !== "float32" && dtype !== "float64" && !Number.isInteger(x)) throw invalidArgument(OP, `${what} is ${dtype} but holds ${x}`, { tensor: what });
  return x;
}

function finite(x: unknown, what: string): number {
  if (typeof x !== "number" || Number.isNaN(x)) throw invalidArgument(OP, `${what} has a value ${describe(x)}`, { attribute: what });
  return x;
}

function dtypeOf(code: unknown, what: string): DType | "int64" {
  const d = DTYPES.get(code as number);
  if (d === undefined) {
    if (typeof code === "number" && Number.isInteger(code) && code > 0 && code <= 23) {
      throw new AdError("UnsupportedOp", `${what} has ONNX data type ${code}, which adjoint has no dtype for`, { op: OP, tensor: what, dataType: code });
    }
    throw invalidArgument(OP, `${what} has data type ${describe(code)}`, { tensor: what, dataType: describe(code) });
  }
  return d;
}

function dimOf(d: unknown, what: string): number | null {
  const dim = record(d, `${what}'s dimension`);
  if (dim.dimValue === undefined || dim.dimValue === null) return null;
  const v = dim.dimValue;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_ELEMENTS)
    throw invalidArgument(OP, `${what} has dimension ${describe(v)}`, { input: what, dim: describe(v) });
  return v;
}

function record(x: unknown, what: string): Record<string, unknown> {
  if (x === null || typeof x !== "object" || Array.isArray(x)) throw invalidArgument(OP, `${what} is missing or not a message`, { field: what });
  return x as Record<string, unknown>;
}

function list(x: unknown, what: string): unknown[] {
  if (!Array.isArray(x)) throw invalidArgument(OP, `${what} must be a list`, { field: what });
  return x;
}

function text(x: unknown, what: string): string {
  if (typeof x !== "string" || x === "") throw invalidArgument(OP, `${what} must be a non-empty string, got ${describe(x)}`, { field: what });
  return x;
}
