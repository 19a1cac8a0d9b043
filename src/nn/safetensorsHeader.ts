/**
 * A safetensors header, read and checked whole before any tensor is decoded: the length prefix
 * against the bytes that follow it, the JSON (no duplicate keys), each entry's dtype, shape and
 * offsets, and the layout (the entries tile the data buffer exactly, as the spec requires). A file
 * that passes costs at most its own size to decode; one that fails costs no more than its header.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import type { DType } from "../tensor/dtype.js";
import { MAX_ELEMENTS, MAX_RANK } from "../tensor/shape.js";
import { firstDuplicateKey } from "./jsonKeys.js";

/** The reference implementation's cap: a few corrupt bytes must not make us allocate gigabytes. */
export const MAX_HEADER = 100_000_000;

/** The file dtypes we read: adjoint's dtype and the bytes per element. A Map: "constructor" is no dtype. */
export const FILE_DTYPES: ReadonlyMap<string, { readonly dtype: DType; readonly bytes: number }> = new Map([
  ["F32", { dtype: "float32", bytes: 4 }],
  ["F64", { dtype: "float64", bytes: 8 }],
  ["F16", { dtype: "float16", bytes: 2 }],
  ["I32", { dtype: "int32", bytes: 4 }],
  ["BOOL", { dtype: "bool", bytes: 1 }],
  ["U8", { dtype: "uint8", bytes: 1 }],
  ["I8", { dtype: "int8", bytes: 1 }],
]);

export interface HeaderEntry {
  readonly name: string;
  readonly fileDtype: string;
  readonly shape: number[];
  /** Offsets into the data buffer (after the header). */
  readonly begin: number;
  readonly end: number;
}

export interface Header {
  /** In the header's order. */
  readonly entries: HeaderEntry[];
  readonly metadata: Record<string, string>;
}

export function corrupt(op: string, message: string, details: Record<string, unknown> = {}): AdError {
  return invalidArgument(op, `not a valid safetensors file: ${message}`, details);
}

/** N, the header length, from the first 8 bytes of a `fileSize`-byte file. */
export function headerLength(op: string, first8: Uint8Array, fileSize: number): number {
  if (fileSize < 8) throw corrupt(op, `${fileSize} bytes is shorter than the 8-byte header length`, { length: fileSize });
  const n = new DataView(first8.buffer, first8.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8))
    throw corrupt(op, `the header claims ${n} bytes, the file has ${fileSize - 8} after the length`, { headerLength: String(n), available: fileSize - 8 });
  if (n > BigInt(MAX_HEADER)) throw corrupt(op, `the header claims ${n} bytes, more than the ${MAX_HEADER}-byte limit`, { headerLength: String(n), limit: MAX_HEADER });
  return Number(n);
}

/** The header's entries and metadata, every one checked against `dataLength` bytes of data. */
export function parseHeader(op: string, json: Uint8Array, dataLength: number): Header {
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(json);
    header = JSON.parse(text);
  } catch {
    throw corrupt(op, "the header is not UTF-8 JSON");
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) throw corrupt(op, "the header is not a JSON object");
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) throw corrupt(op, `the header has the key ${describe(duplicate)} twice in one object`, { key: duplicate });
  const entries: HeaderEntry[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") metadata = readMetadata(op, value);
    else entries.push(readEntry(op, name, value, dataLength));
  }
  checkLayout(op, entries, dataLength);
  return { entries, metadata };
}

function readMetadata(op: string, value: unknown): Record<string, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw corrupt(op, `__metadata__ must be an object of strings, got ${describe(value)}`);
  for (const [k, v] of Object.entries(value)) if (typeof v !== "string") throw corrupt(op, `__metadata__.${k} is ${describe(v)}, not a string`, { key: k });
  // Spread copies own keys as data properties: a "__proto__" key stays a key.
  return { ...(value as Record<string, string>) };
}

function readEntry(op: string, name: string, value: unknown, dataLength: number): HeaderEntry {
  if (value === null || typeof value !== "object" || Array.isArray(value)) throw corrupt(op, `${name} is ${describe(value)}, not an object`, { name });
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  const file = typeof dtype === "string" ? FILE_DTYPES.get(dtype) : undefined;
  if (file === undefined) throw corrupt(op, `${name} has dtype ${describe(dtype)}; supported: ${[...FILE_DTYPES.keys()].join(", ")}`, { name, dtype: describe(dtype) });
  const dims = readShape(op, name, shape);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw corrupt(op, `${name} has data_offsets ${describe(offsets)}, expected [begin, end] of non-negative integers`, { name });
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) throw corrupt(op, `${name}'s data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes`, { name, begin, end, dataLength });
  const elements = dims.reduce((n, d) => n * d, 1);
  const bytes = elements * file.bytes;
  if (end - begin !== bytes)
    throw corrupt(op, `${name} is ${dtype as string} [${dims.join(", ")}], ${bytes} bytes, but its offsets span ${end - begin}`, { name, expected: bytes, got: end - begin });
  return { name, fileDtype: dtype as string, shape: dims, begin, end };
}

/** Non-negative safe integers, at most MAX_RANK of them, whose product is a tensor's size. */
function readShape(op: string, name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || shape.length > MAX_RANK || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw corrupt(op, `${name} has shape ${describe(shape)}, expected at most ${MAX_RANK} non-negative integers`, { name });
  }
  // Stop at the first product past the limit, before it can lose precision (a zero anywhere makes it 0).
  if (!shape.includes(0)) {
    let n = 1;
    for (const d of shape as number[]) {
      n *= d;
      if (n > MAX_ELEMENTS) throw corrupt(op, `${name} has shape [${shape.join(", ")}], more than ${MAX_ELEMENTS} elements`, { name });
    }
  }
  return shape as number[];
}

/** The spec: the entries cover the data buffer exactly, no gaps, no overlaps (empty tensors aside). */
function checkLayout(op: string, entries: readonly HeaderEntry[], dataLength: number): void {
  const spans = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  for (const { name, begin, end } of spans) {
    if (begin !== expected) throw corrupt(op, `${name}'s data starts at ${begin}, expected ${expected} (tensors must be contiguous, without overlap)`, { name, begin });
    expected = end;
  }
  if (expected !== dataLength) throw corrupt(op, `the tensors cover ${expected} bytes of data, the file has ${dataLength}`, { covered: expected, dataLength });
}
