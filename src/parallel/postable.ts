/**
 * What may cross a thread (the `Send` of adjoint; docs/parallel.md § What may cross a thread has the
 * table). TypeScript has no `Send` trait, so the rule is said twice: by the `Postable` type, which
 * turns posting anything else into a compile error where the type is known, and by
 * `expectPostable`, which checks a value at run time where it is not (plain JS, `any`, `unknown`).
 *
 * Postable: plain data (numbers, strings, booleans, null, undefined, bigints), typed arrays and
 * array buffers (copied by the structured clone), SharedArrayBuffers (shared), `Tensor & Shared`
 * (its storage is shared, nothing is copied), and arrays and plain objects of those.
 * Not postable: a tensor whose storage is not shared (`share` it), a tensor on a GPU (its buffer is
 * bound to the thread that drives the device), tape variables, tapes, graph nodes, modules and every
 * other class instance (their identity and methods do not survive a copy), and functions — jitted,
 * `differentiate`d or plain: code cannot be posted, only data.
 */
import { describe, invalidArgument } from "../errors.js";
import { host } from "../backends/device.js";
import type { Storage } from "../backends/dtype.js";
import { Tensor } from "../tensor/index.js";
import { isShared, sharedView, type Shared } from "./shared.js";

/** A value that may be posted to another thread (see the file's comment). */
export type Postable =
  | number
  | string
  | boolean
  | bigint
  | null
  | undefined
  | ArrayBufferView
  | ArrayBuffer
  | SharedArrayBuffer
  | (Tensor & Shared)
  | readonly Postable[]
  | { readonly [key: string]: Postable };

/** Nesting beyond this is refused (and a cycle is found by it). */
const MAX_DEPTH = 64;

/** Why `value` may not cross a thread, or undefined if it may. */
function refusal(value: unknown): string | undefined {
  if (value instanceof Tensor) {
    if (value.device !== host) return `a Tensor on ${value.device.name}: a device buffer is bound to the thread that drives the device (toAsync("cpu"), then share())`;
    if (!isShared(value)) return "a Tensor whose storage is not shared memory: share() it (one copy, then posted without copying)";
    return undefined;
  }
  if (typeof value === "function")
    return `a function (${describe(value)}): code cannot cross a thread — jitted and differentiate()d functions neither; post data and build the function in the worker`;
  if (typeof value === "symbol") return "a symbol: symbols are bound to their thread";
  return undefined;
}

/**
 * `InvalidArgument` naming `op`, where in `value` (`what`, a path) the first thing that may not cross
 * a thread is, what it is, and the rule; otherwise returns `value` as `Postable`.
 */
export function expectPostable(op: string, what: string, value: unknown): Postable {
  const walk = (v: unknown, path: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw invalidArgument(op, `${path} nests more than ${MAX_DEPTH} levels (or holds a cycle)`, { argument: what });
    const why = refusal(v);
    if (why !== undefined) throw notPostable(op, what, path, why);
    if (v === null || typeof v !== "object" || v instanceof Tensor) return;
    if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || (typeof SharedArrayBuffer === "function" && v instanceof SharedArrayBuffer)) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${path}[${i}]`, depth + 1));
      return;
    }
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      const name = (v as { constructor?: { name?: unknown } }).constructor?.name;
      throw notPostable(
        op,
        what,
        path,
        `an instance of ${typeof name === "string" && name !== "" ? name : "a class"}: class instances (tape variables, tapes, graph nodes, modules, compiled objects) are bound to the thread that made them; post their data`,
      );
    }
    for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`, depth + 1);
  };
  walk(value, what, 0);
  return value as Postable;
}

function notPostable(op: string, what: string, path: string, why: string) {
  return invalidArgument(op, `${path} cannot cross a thread: it is ${why}`, {
    argument: what,
    path,
    rule: "only plain data, typed arrays and share()d host tensors may be posted to a worker",
  });
}

/** A shared tensor as it travels: its shared buffer (shared, not copied) and how to view it. */
interface PostedTensor {
  readonly $sharedTensor: {
    readonly buffer: SharedArrayBuffer;
    readonly byteOffset: number;
    readonly length: number;
    readonly dtype: Tensor["dtype"];
    readonly shape: readonly number[];
    readonly strides: readonly number[];
    readonly offset: number;
  };
}

/** `value` (checked postable) with each shared tensor replaced by its posted form: what `postMessage` is given. */
export function encodePostable(value: Postable): unknown {
  if (value instanceof Tensor) {
    const s = value.storage as Storage;
    const posted: PostedTensor = {
      $sharedTensor: {
        buffer: s.buffer as SharedArrayBuffer,
        byteOffset: s.byteOffset,
        length: s.length,
        dtype: value.dtype,
        shape: [...value.shape],
        strides: [...value.strides],
        offset: value.offset,
      },
    };
    return posted;
  }
  if (Array.isArray(value)) return value.map((x: Postable) => encodePostable(x));
  if (value !== null && typeof value === "object" && !ArrayBuffer.isView(value) && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, encodePostable(x as Postable)]));
  }
  return value;
}

/** The posted form back: each shared tensor a `Tensor & Shared` over the same memory. */
export function decodePostable(value: unknown): Postable {
  if (Array.isArray(value)) return value.map(decodePostable);
  if (value === null || typeof value !== "object" || ArrayBuffer.isView(value) || Object.getPrototypeOf(value) !== Object.prototype) return value as Postable;
  if ("$sharedTensor" in value) {
    const t = (value as PostedTensor).$sharedTensor;
    const storage = sharedView(t.dtype, t.buffer, t.byteOffset, t.length);
    return new Tensor(storage, t.dtype, [...t.shape], t.strides, t.offset) as unknown as Tensor & Shared;
  }
  return Object.fromEntries(Object.entries(value).map(([k, x]) => [k, decodePostable(x)]));
}
