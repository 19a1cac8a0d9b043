/**
 * The safetensors format (https://github.com/huggingface/safetensors), read and written without
 * dependencies, so files move to and from Python (`safetensors.numpy.load_file`) and PyTorch:
 *
 *   8 bytes   N, the header length, a little-endian u64
 *   N bytes   JSON: { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { str: str } },
 *             padded with spaces to a multiple of 8
 *   …         the tensors' bytes, little-endian, row-major, contiguous; offsets count from here
 *
 * dtypes: F32, F64, I32 and BOOL (one byte each) map to adjoint's float32, float64, int32, bool; a
 * file's U8 tensors load as int32 (adjoint has no uint8). Every malformed input is an AdError.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { allocate, type DType } from "../tensor/dtype.js";
import { sizeOf } from "../tensor/shape.js";
import { fromStorage, Tensor } from "../tensor/tensor.js";

const FILE_DTYPE: Record<DType, string> = { float32: "F32", float64: "F64", int32: "I32", bool: "BOOL" };
const BYTES: Record<string, number> = { F32: 4, F64: 8, I32: 4, BOOL: 1, U8: 1 };
/** Guards against a header length that would make us allocate gigabytes from a few corrupt bytes. */
const MAX_HEADER = 100_000_000;

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
  const size = BYTES[FILE_DTYPE[t.dtype]];
  const out = new Uint8Array(data.length * size);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (t.dtype === "float32") view.setFloat32(i * 4, data[i], true);
    else if (t.dtype === "float64") view.setFloat64(i * 8, data[i], true);
    else view.setInt32(i * 4, data[i], true);
  }
  return out;
}

export interface LoadedSafetensors {
  readonly tensors: Record<string, Tensor>;
  readonly metadata: Record<string, string>;
}

function corrupt(message: string, details: Record<string, unknown> = {}): AdError {
  return invalidArgument("loadSafetensors", `not a valid safetensors file: ${message}`, details);
}

/** The tensors of a safetensors file (see `readSafetensors` for the metadata too). */
export function loadSafetensors(bytes: Uint8Array): Record<string, Tensor> {
  return readSafetensors(bytes).tensors;
}

/** The tensors and the `__metadata__` of a safetensors file; any inconsistency is an AdError. */
export function readSafetensors(bytes: Uint8Array): LoadedSafetensors {
  if (!(bytes instanceof Uint8Array)) throw invalidArgument("loadSafetensors", `bytes must be a Uint8Array, got ${describe(bytes)}`);
  if (bytes.length < 8) throw corrupt(`${bytes.length} bytes is shorter than the 8-byte header length`, { length: bytes.length });
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(Math.min(MAX_HEADER, bytes.length - 8))) throw corrupt(`the header claims ${n} bytes, the file has ${bytes.length - 8} after the length`, { headerLength: String(n) });
  const headerLength = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    throw corrupt("the header is not UTF-8 JSON");
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw corrupt("the header is not a JSON object");
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  // Entries, not assignments: a tensor named "__proto__" must stay a tensor.
  const tensors: [string, Tensor][] = [];
  let metadata: Record<string, string> = {};
  const spans: [number, number, string][] = [];
  for (const [name, entry] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      metadata = readMetadata(entry);
      continue;
    }
    const { dtype, shape, begin, end } = readEntry(name, entry, dataLength);
    spans.push([begin, end, name]);
    tensors.push([name, decode(bytes.subarray(dataStart + begin, dataStart + end), dtype, shape)]);
  }
  // The spec requires the data to be covered exactly: no gaps, no overlaps.
  spans.sort((a, b) => a[0] - b[0]);
  let expected = 0;
  for (const [begin, end, name] of spans) {
    if (begin !== expected) throw corrupt(`${name}'s data starts at ${begin}, expected ${expected} (tensors must be contiguous, without overlap)`, { name, begin });
    expected = end;
  }
  if (expected !== dataLength) throw corrupt(`the tensors cover ${expected} bytes of data, the file has ${dataLength}`, { covered: expected, dataLength });
  return { tensors: Object.fromEntries(tensors), metadata };
}

function readMetadata(entry: unknown): Record<string, string> {
  if (entry === null || typeof entry !== "object" || Array.isArray(entry)) throw corrupt("__metadata__ must be an object of strings");
  for (const [k, v] of Object.entries(entry)) if (typeof v !== "string") throw corrupt(`__metadata__.${k} is not a string`, { key: k });
  return { ...(entry as Record<string, string>) };
}

function readEntry(name: string, entry: unknown, dataLength: number): { dtype: string; shape: number[]; begin: number; end: number } {
  if (entry === null || typeof entry !== "object") throw corrupt(`${name} is not an object`, { name });
  const { dtype, shape, data_offsets: offsets } = entry as Record<string, unknown>;
  if (typeof dtype !== "string" || !(dtype in BYTES)) throw corrupt(`${name} has dtype ${describe(dtype)}; supported: F32, F64, I32, BOOL, U8`, { name, dtype: describe(dtype) });
  if (!Array.isArray(shape) || shape.some((d) => typeof d !== "number" || !Number.isSafeInteger(d) || d < 0)) throw corrupt(`${name} has shape ${describe(shape)}`, { name });
  if (!Array.isArray(offsets) || offsets.length !== 2 || offsets.some((o) => typeof o !== "number" || !Number.isSafeInteger(o) || o < 0)) {
    throw corrupt(`${name} has data_offsets ${describe(offsets)}, expected [begin, end]`, { name });
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) throw corrupt(`${name}'s data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes`, { name, begin, end, dataLength });
  const dims = shape as number[];
  const expected = sizeOf(dims) * BYTES[dtype];
  if (end - begin !== expected) throw corrupt(`${name} is ${dtype} [${dims.join(", ")}], ${expected} bytes, but its offsets span ${end - begin}`, { name, expected, got: end - begin });
  return { dtype, shape: dims, begin, end };
}

function decode(bytes: Uint8Array, fileDtype: string, shape: number[]): Tensor {
  const dtype: DType = fileDtype === "F32" ? "float32" : fileDtype === "F64" ? "float64" : fileDtype === "BOOL" ? "bool" : "int32";
  const n = sizeOf(shape);
  const out = allocate(dtype, n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < n; i++) {
    if (fileDtype === "F32") out[i] = view.getFloat32(i * 4, true);
    else if (fileDtype === "F64") out[i] = view.getFloat64(i * 8, true);
    else if (fileDtype === "I32") out[i] = view.getInt32(i * 4, true);
    else if (fileDtype === "BOOL") out[i] = bytes[i] === 0 ? 0 : 1;
    else out[i] = bytes[i];
  }
  return fromStorage(out, dtype, shape);
}
