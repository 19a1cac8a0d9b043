/**
 * ONNX's protobuf messages as plain objects, encoded and decoded with protobufjs from the schema in
 * schema.ts. Decoding turns int64 fields into numbers (the checks in readModel.ts bound them) and
 * any protobuf-level damage (a truncated file, a wrong wire type) into an `InvalidArgument`.
 */
import protobuf from "protobufjs/light.js";
import { invalidArgument } from "../errors.js";
import { ONNX_SCHEMA } from "./schema.js";

export interface TensorProto {
  name?: string;
  dims?: number[];
  dataType?: number;
  rawData?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: number[];
  doubleData?: number[];
  dataLocation?: number;
}

export interface AttributeProto {
  name: string;
  type: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats?: number[];
  ints?: number[];
}

export interface NodeProto {
  input: string[];
  output: string[];
  name?: string;
  opType: string;
  domain?: string;
  attribute?: AttributeProto[];
}

export interface Dimension {
  dimValue?: number;
  dimParam?: string;
}

export interface ValueInfoProto {
  name: string;
  type?: { tensorType?: { elemType?: number; shape?: { dim?: Dimension[] } } };
}

export interface GraphProto {
  name?: string;
  node: NodeProto[];
  initializer: TensorProto[];
  input: ValueInfoProto[];
  output: ValueInfoProto[];
}

export interface ModelProto {
  irVersion: number;
  opsetImport: { domain?: string; version: number }[];
  producerName?: string;
  producerVersion?: string;
  graph: GraphProto;
}

/** AttributeProto.AttributeType values adjoint writes and reads. */
export const ATTRIBUTE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7 } as const;

const Model = protobuf.Root.fromJSON(ONNX_SCHEMA as unknown as protobuf.INamespace).lookupType("onnx.ModelProto");

export function encodeModel(model: ModelProto): Uint8Array {
  return Model.encode(Model.fromObject(model)).finish();
}

/** The model's messages, or `InvalidArgument` (under `op`) when the bytes are not protobuf of this schema. */
export function decodeModel(op: string, bytes: Uint8Array): unknown {
  let message: protobuf.Message;
  try {
    message = Model.decode(bytes);
  } catch (e) {
    throw invalidArgument(op, `the bytes are not an ONNX model: ${(e as Error).message}`, { bytes: bytes.length });
  }
  return Model.toObject(message, { longs: Number, arrays: true, bytes: Uint8Array as unknown as StringConstructor });
}
