/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written without
 * dependencies, so files move to and from Python (`safetensors.numpy.load_file`) and PyTorch:
 *
 *   8 bytes   N, the header length, a little-endian u64
 *   N bytes   JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } },
 *             padded with spaces to a multiple of 8
 *   …         the tensors' bytes, little-endian, row-major, contiguous; offsets count from here
 *
 * dtypes: F32, F64, F16, I32, U8, I8 and BOOL (one byte each) map to adjoint's float32, float64,
 * float16, int32, uint8, int8 and bool. Every malformed input is an AdError, and
 * the whole header is checked (safetensorsHeader.ts) before any tensor is decoded.
 */
import { describe, invalidArgument } from "../errors.js";
import { halfBits } from "../backends/float16.js";
import { allocate, type DType } from "../tensor/dtype.js";
import { sizeOf } from "../tensor/shape.js";
import { fromStorage, Tensor } from "../tensor/tensor.js";
import { FILE_DTYPES, headerLength, parseHeader, type Header } from "./safetensorsHeader.js";

const FILE_DTYPE: Record<DType, string> = { float32: "F32", float64: "F64", int32: "I32", uint8: "U8", int8: "I8", bool: "BOOL", float16: "F16" };

/** The file's bytes: the tensors (any names but "__metadata__") and optional string metadata. */
export function saveSafetensors(tensors: Readonly<Record<string, Tensor>>, metadata?: Readonly<Record<string, string>>): Uint8Array {
  const op = "saveSafetensors";
  if (tensors === null || typeof tensors !== "object") throw invalidArgument(op, `tensors must be an object of tensors, got ${describe(tensors)}`);
  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== "object") throw invalidArgument(op, `metadata must be an object of strings, got ${describe(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) if (typeof v !== "string") throw invalidArgument(op, `metadata.${k} must be a string, got ${describe(v)}`, { key: k });
    header.__metadata__ = { ...metadata };
  }
  // Sorted names, as the reference implementation writes them, so the same tensors give the same bytes.
  const names = Object.keys(tensors).sort();
  const parts: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const t: unknown = tensors[name];
    if (name === "__metadata__") throw invalidArgument(op, `"__metadata__" is reserved and cannot name a tensor`);
    if (!(t instanceof Tensor)) throw invalidArgument(op, `tensors.${name} must be a Tensor, got ${describe(t)}`, { name });
    const bytes = encode(t);
    header[name] = { dtype: FILE_DTYPE[t.dtype], shape: [...t.shape], data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A tensor's elements as little-endian bytes. */
function encode(t: Tensor): Uint8Array {
  const data = t.data();
  if (t.dtype === "bool") return Uint8Array.from(data, (x) => (x !== 0 ? 1 : 0));
  // One byte each: an int8's two's complement is its byte.
  if (t.dtype === "uint8" || t.dtype === "int8") return new Uint8Array(Int8Array.from(data).buffer);
  const size = FILE_DTYPES.get(FILE_DTYPE[t.dtype])!.bytes;
  const out = new Uint8Array(data.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (t.dtype === "float32") view.setFloat32(i * 4, data[i], true);
    else if (t.dtype === "float64") view.setFloat64(i * 8, data[i], true);
    // data() widened the halves exactly: rounding back gives their bits.
    else if (t.dtype === "float16") view.setUint16(i * 2, halfBits(data[i]), true);
    else view.setInt32(i * 4, data[i], true);
  }
  return out;
}

export interface LoadedSafetensors {
  readonly tensors: Record<string, Tensor>;
  readonly metadata: Record<string, string>;
}

/** The tensors of a safetensors file (see `readSafetensors` for the metadata too). */
export function loadSafetensors(bytes: Uint8Array | ArrayBuffer): Record<string, Tensor> {
  return readBytes("loadSafetensors", bytes).tensors;
}

/** The tensors and the `__metadata__` of a safetensors file; any inconsistency is an AdError. */
export function readSafetensors(bytes: Uint8Array | ArrayBuffer): LoadedSafetensors {
  return readBytes("readSafetensors", bytes);
}

function readBytes(op: string, value: unknown): LoadedSafetensors {
  const bytes = bytesOf(op, value);
  const n = headerLength(op, bytes, bytes.length);
  const header = parseHeader(op, bytes.subarray(8, 8 + n), bytes.length - 8 - n);
  return decodeAll(op, header, bytes.subarray(8 + n));
}

// The intrinsic getters, captured: a Proxy of a Uint8Array, or an object made from its prototype,
// passes `instanceof` and then throws a TypeError on `.length`; these answer only for genuine ones.
const TYPED_ARRAY = Object.getPrototypeOf(Uint8Array.prototype) as object;
const getter = (proto: object, key: PropertyKey) => Object.getOwnPropertyDescriptor(proto, key)!.get!;
const tagOf = getter(TYPED_ARRAY, Symbol.toStringTag);
const bufferOf = getter(TYPED_ARRAY, "buffer");
const byteOffsetOf = getter(TYPED_ARRAY, "byteOffset");
const byteLengthOf = getter(TYPED_ARRAY, "byteLength");
const arrayBufferLengthOf = getter(ArrayBuffer.prototype, "byteLength");

/** A plain Uint8Array over the bytes of a genuine Uint8Array or ArrayBuffer. */
function bytesOf(op: string, value: unknown): Uint8Array {
  let buffer: ArrayBufferLike | undefined;
  let offset = 0;
  let length: number | undefined;
  if (tagOf.call(value) === "Uint8Array") {
    buffer = bufferOf.call(value) as ArrayBufferLike;
    offset = byteOffsetOf.call(value) as number;
    length = byteLengthOf.call(value) as number;
  } else {
    try {
      length = arrayBufferLengthOf.call(value) as number;
      buffer = value as ArrayBuffer;
    } catch {
      // Not an ArrayBuffer either.
    }
  }
  if (buffer === undefined) {
    const got = describe(value);
    const posing = got === "a Uint8Array" || got === "a ArrayBuffer" ? " that is not a genuine one (a Proxy, or made with Object.create?)" : "";
    throw invalidArgument(op, `bytes must be a Uint8Array or an ArrayBuffer, got ${got}${posing}`, { argument: "bytes", got });
  }
  try {
    return new Uint8Array(buffer, offset, length);
  } catch {
    throw invalidArgument(op, "bytes' buffer is detached (transferred to a worker?) or smaller than the view", { argument: "bytes" });
  }
}

/** Every entry of a checked header, decoded from `data` (the bytes after the header). */
export function decodeAll(op: string, header: Header, data: Uint8Array): LoadedSafetensors {
  // Entries, not assignments: a tensor named "__proto__" must stay a tensor.
  const tensors = header.entries.map(({ name, fileDtype, shape, begin, end }) => [name, decode(op, data.subarray(begin, end), fileDtype, shape)] as const);
  return { tensors: Object.fromEntries(tensors), metadata: header.metadata };
}

function decode(op: string, bytes: Uint8Array, fileDtype: string, shape: number[]): Tensor {
  const { dtype } = FILE_DTYPES.get(fileDtype)!;
  const n = sizeOf(shape);
  const out = allocate(dtype, n, op);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    if (fileDtype === "F32") out[i] = view.getFloat32(i * 4, true);
    else if (fileDtype === "F64") out[i] = view.getFloat64(i * 8, true);
    // A float16 storage holds the halves' bits, as the file does.
    else if (fileDtype === "F16") out[i] = view.getUint16(i * 2, true);
    else if (fileDtype === "I32") out[i] = view.getInt32(i * 4, true);
    else if (fileDtype === "BOOL") out[i] = bytes[i] === 0 ? 0 : 1;
    else if (fileDtype === "I8") out[i] = view.getInt8(i);
    else out[i] = bytes[i];
  }
  return fromStorage(out, dtype, shape);
}
