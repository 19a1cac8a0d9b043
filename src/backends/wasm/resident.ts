/**
 * Resident storage: typed arrays that live inside the wasm runtime's memory, so the kernels read
 * and write them in place instead of copying them into the scratch area and back. The jit places a
 * compiled program's buffers here (its planned buffers and the storage it recycles from run to
 * run), so a compiled step copies only what the caller passes in from JS memory.
 *
 * Layout of the memory: resident regions from address 0 up to the arena's top, then the scratch
 * area the drivers use during one kernel call (`scratchBase`, moved up as the arena grows; a region
 * is only made between kernel calls). A region is padded to whole cache lines plus a vector, so a
 * kernel may store whole vectors past the last element. A region comes back (for the next one of
 * its size) when its typed array is collected. Only with a shared memory: growing an unshared one
 * detaches its buffer, and every array on it.
 *
 * The runtime also counts the bytes the drivers copy from JS memory into its memory
 * (`copiedIntoWasm`), so a test can hold a compiled step to what it must copy.
 */
import type { DType, Storage } from "../dtype.js";
import type { WasmRuntime } from "./runtime.js";

/** Bytes of a region for `bytes` of data: whole cache lines, with room for a vector past the end. */
const regionOf = (bytes: number) => Math.ceil((bytes + 16) / 64) * 64;

export class Arena {
  #top = 0;
  readonly #free = new Map<number, number[]>();
  /** The memory's buffer objects resident arrays were made on (a grown shared memory hands out a new object). */
  readonly #buffers = new WeakSet<ArrayBufferLike>();
  readonly #collected = new FinalizationRegistry<{ readonly at: number; readonly bytes: number }>(({ at, bytes }) => this.#give(at, bytes));
  /**
   * Bytes copied into the memory, in a float slot rather than a field: a field holding a small
   * integer changes representation once the count passes 2³⁰ (about a gigabyte copied), and V8 then
   * deoptimises every driver that adds to it (packInWasm, the fused and elementwise drivers).
   */
  readonly #copied = new Float64Array(1);

  get copied(): number {
    return this.#copied[0]!;
  }

  set copied(bytes: number) {
    this.#copied[0] = bytes;
  }

  /** Where this call's scratch area starts (byte address, cache-line aligned). */
  get scratchBase(): number {
    return this.#top;
  }

  #give(at: number, bytes: number): void {
    let list = this.#free.get(bytes);
    if (list === undefined) this.#free.set(bytes, (list = []));
    list.push(at);
  }

  /** A zeroed float array of n elements in `rt`'s memory, or undefined (another dtype, an unshared memory, no room). */
  make(rt: WasmRuntime, dtype: DType, n: number, shared: boolean): Storage | undefined {
    if (!shared || (dtype !== "float32" && dtype !== "float64") || n === 0) return undefined;
    const size = dtype === "float32" ? 4 : 8;
    const bytes = regionOf(n * size);
    let at = this.#free.get(bytes)?.pop();
    if (at === undefined) {
      if (!rt.reserve(this.#top + bytes)) return undefined;
      at = this.#top;
      this.#top += bytes;
    }
    const buffer = rt.memory.buffer;
    this.#buffers.add(buffer);
    const storage = dtype === "float32" ? new Float32Array(buffer, at, n) : new Float64Array(buffer, at, n);
    storage.fill(0);
    this.#collected.register(storage, { at, bytes });
    return storage;
  }

  /** The byte address of `storage` in the memory, if it is resident there. */
  addressOf(storage: unknown): number | undefined {
    const s = storage as { buffer?: ArrayBufferLike; byteOffset?: number };
    return s.buffer !== undefined && this.#buffers.has(s.buffer) ? s.byteOffset : undefined;
  }
}
