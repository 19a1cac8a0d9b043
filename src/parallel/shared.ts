/**
 * Shared tensors: a host tensor whose storage is a `SharedArrayBuffer`, so every thread that is handed
 * it sees the same elements (posting it shares the memory, it copies nothing). The `Shared` brand says
 * so in the type: only `share` makes one, and only a `Tensor & Shared` is postable (postable.ts).
 * Writes are the engine's one mutation, `assign` (an optimiser's step), done between parallel steps.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import { CONSTRUCTORS, type DType, type Storage } from "../backends/dtype.js";
import { host } from "../backends/device.js";
import { Tensor } from "../tensor/index.js";
import { fromStorage } from "../tensor/tensor.js";

declare const sharedBrand: unique symbol;
/** The brand of a tensor whose storage is shared memory (made by `share`). */
export interface Shared {
  readonly [sharedBrand]: true;
}

/**
 * `UnsupportedOp` naming `op` where this platform has no shared memory: a page that is not
 * cross-origin isolated, or an engine without `SharedArrayBuffer`.
 */
export function expectSharedMemory(op: string): void {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean };
  if (g.crossOriginIsolated === false || typeof g.SharedArrayBuffer !== "function") {
    throw new AdError(
      "UnsupportedOp",
      "shared memory (SharedArrayBuffer) is not available: a page has it only when cross-origin isolated — serve it with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy: require-corp` (crossOriginIsolated is false here)",
      { op, crossOriginIsolated: g.crossOriginIsolated ?? null },
    );
  }
}

/**
 * The engine's storage types are typed arrays over an ArrayBuffer; one over shared memory reads and
 * writes the same for every kernel, so it is viewed as one.
 */
export function asBuffer(buffer: SharedArrayBuffer): ArrayBuffer {
  return buffer as unknown as ArrayBuffer;
}

/** A storage of `n` elements of `dtype` on a new SharedArrayBuffer. */
export function sharedStorage(op: string, dtype: DType, n: number): Storage {
  expectSharedMemory(op);
  const C = CONSTRUCTORS[dtype];
  try {
    return new C(asBuffer(new SharedArrayBuffer(n * C.BYTES_PER_ELEMENT)));
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw invalidArgument(op, `cannot allocate ${n * C.BYTES_PER_ELEMENT} bytes of shared memory: ${error.message}`, { bytes: n * C.BYTES_PER_ELEMENT, dtype });
  }
}

/** A view of `length` elements of `dtype` at `byteOffset` in a shared buffer (no copy). */
export function sharedView(dtype: DType, buffer: SharedArrayBuffer, byteOffset: number, length: number): Storage {
  return new CONSTRUCTORS[dtype](asBuffer(buffer), byteOffset, length);
}

/** A host tensor's elements in row-major order: a view of its storage where it is contiguous (no copy), else a copy. */
export function hostElements(t: Tensor): Storage {
  return t.isContiguous() ? (t.storage as Storage).subarray(t.offset, t.offset + t.size) : t.data();
}

/** Whether `t` is a host tensor whose storage is shared memory (a `share`d tensor or a view of one). */
export function isShared(t: unknown): t is Tensor & Shared {
  if (!(t instanceof Tensor) || t.device !== host || t.disposed) return false;
  const s = t.storage as { buffer?: unknown };
  return typeof SharedArrayBuffer === "function" && s.buffer instanceof SharedArrayBuffer;
}

/**
 * A copy of host tensor `t` in shared memory, branded `Shared` (same shape, dtype and
 * `requiresGrad`; contiguous). A tensor on another device is refused: its buffer belongs to that
 * device and the thread that drives it — move it with `toAsync("cpu")` first.
 */
export function share<T extends Tensor>(t: T): T & Shared {
  const op = "share";
  if (!(t instanceof Tensor)) throw invalidArgument(op, `t must be a Tensor, got ${describe(t)}`, { got: describe(t) });
  if (t.device !== host) {
    throw invalidArgument(
      op,
      `the tensor is on ${t.device.name}: only host tensors can live in shared memory (a device buffer is bound to the thread that drives the device); move it with toAsync("cpu") first`,
      {
        device: t.device.name,
        rule: "host tensors only",
      },
    );
  }
  const elements = t.data();
  const storage = sharedStorage(op, t.dtype, elements.length);
  storage.set(elements);
  const out = fromStorage(storage, t.dtype, [...t.shape]);
  out.requiresGrad = t.requiresGrad;
  return out as unknown as T & Shared;
}
