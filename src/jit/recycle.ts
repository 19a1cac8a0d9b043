/**
 * Storage recycling between runs of one compiled program: the memory plan for everything the fused
 * loops' own buffers (passes/plan.ts) do not cover — matmul and reduction outputs, kernel scratch,
 * and, with `donate`, the returned values themselves.
 *
 * During a run `allocate` draws on this program's free list (zeroed again, as fresh storage is), and
 * every storage the run made or took is remembered. After the run, each one no returned tensor or
 * other input holds goes back on the list; so does each donated input's storage (the input tensor
 * is disposed: using it again is a StaleVariable, as a donated buffer is deleted in JAX). The
 * program's runs are the same sequence of allocations each time, so from the second run on every
 * allocation finds a storage of its dtype and size on the list: the steady state allocates nothing
 * but the returned values that no donated storage holds. On the wasm backend a storage going on the
 * list is replaced by one of the same size inside the wasm memory (Backend.allocateResident), so from
 * then on the kernels read and write it in place. Where that memory was replaced since (trimMemory, or
 * a worker that died inside a kernel), a storage of the old one is moved again, into the new one, the
 * next time it goes on the list, rather than copied in by every kernel call from then on.
 */
import type { Backend } from "../backends/backend.js";
import { dtypeOfArray, withArena, type DType, type Storage } from "../backends/dtype.js";
import type { Tensor } from "../tensor/index.js";

const keyOf = (dtype: DType, n: number) => `${dtype}:${n}`;

/** Where a backend keeps storage its kernels read and write in place (`Backend.allocateResident`). */
export interface Resident {
  readonly allocate: (dtype: DType, n: number) => Storage | undefined;
  /** Whether a storage is in the backend's current memory (one made before that memory was replaced is not). */
  readonly holds: (storage: Storage) => boolean;
}

/** `backend`'s resident storage, where it keeps some. */
export function residentOf(backend: Backend): Resident | undefined {
  const { allocateResident, isResident } = backend;
  return allocateResident === undefined || isResident === undefined ? undefined : { allocate: allocateResident, holds: isResident };
}

export class Recycler {
  readonly #free = new Map<string, Storage[]>();
  readonly #resident: Resident | undefined;

  /**
   * `resident`: where a storage going on the free list is moved to (the wasm memory, so the next
   * runs' kernels read and write it in place); its contents need not move, a taken storage is
   * zeroed (unless its taker overwrites it whole).
   */
  constructor(resident?: Resident) {
    this.#resident = resident;
  }

  /** Runs `evaluate`, then recycles what it made that `outputs` and `kept` do not hold, and the `donated` inputs' storage. */
  run<T>(evaluate: () => T, outputs: (result: T) => readonly Tensor[], donated: readonly Tensor[], kept: readonly Tensor[]): T {
    const used: Storage[] = [];
    const result = withArena(
      {
        take: (dtype, n, overwritten) => {
          const storage = this.#free.get(keyOf(dtype, n))?.pop();
          if (storage !== undefined) used.push(overwritten ? storage : storage.fill(0));
          return storage;
        },
        made: (storage) => used.push(storage),
      },
      evaluate,
    );
    // Compared by ArrayBuffer: a view of a recycled storage (a returned reshape) holds it too. Resident
    // storages share the wasm memory's buffer, so they are compared by the bytes they cover.
    const held = new Set<ArrayBufferLike>();
    const heldBytes: [number, number][] = [];
    const hold = (storage: Storage) => {
      if (storage.buffer instanceof ArrayBuffer) held.add(storage.buffer);
      else heldBytes.push([storage.byteOffset, storage.byteOffset + storage.byteLength]);
    };
    const isHeld = (storage: Storage) =>
      storage.buffer instanceof ArrayBuffer ? held.has(storage.buffer) : heldBytes.some(([from, to]) => from < storage.byteOffset + storage.byteLength && storage.byteOffset < to);
    for (const t of [...outputs(result), ...kept]) hold(t.storage as Storage);
    const give = (storage: Storage) => {
      if (isHeld(storage)) return;
      // Once only: two donated views of one storage must not hand it out twice.
      hold(storage);
      const dtype = dtypeOfArray(storage) as DType;
      const key = keyOf(dtype, storage.length);
      let list = this.#free.get(key);
      if (list === undefined) this.#free.set(key, (list = []));
      list.push(this.#moved(storage, dtype));
    };
    for (const storage of used) give(storage);
    // A donated tensor is disposed even where a result holds its storage (written over in place,
    // passes/inPlace.ts, or returned unchanged): the result is the one to use.
    for (const t of donated) {
      if (t.disposed) continue;
      const storage = t.storage as Storage;
      t.dispose();
      give(storage);
    }
    return result;
  }

  /**
   * Whether a kernel may write over `storage` in place: anywhere without resident storage; with it,
   * only storage in the backend's current memory, so a donated step's state moves there (on its way
   * through the free list) before it is updated in place, and then stays there.
   */
  overwritable(storage: Storage): boolean {
    return this.#resident === undefined || this.#resident.holds(storage);
  }

  /** `storage`, or a resident one of its dtype and size where the backend keeps such storage. */
  #moved(storage: Storage, dtype: DType): Storage {
    if (this.#resident === undefined || this.#resident.holds(storage)) return storage;
    return this.#resident.allocate(dtype, storage.length) ?? storage;
  }
}
