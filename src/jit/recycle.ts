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
 * but the returned values that no donated storage holds.
 */
import { dtypeOfArray, withArena, type DType, type Storage } from "../backends/dtype.js";
import type { Tensor } from "../tensor/index.js";

const keyOf = (dtype: DType, n: number) => `${dtype}:${n}`;

export class Recycler {
  readonly #free = new Map<string, Storage[]>();

  /** Runs `evaluate`, then recycles what it made that `outputs` and `kept` do not hold, and the `donated` inputs' storage. */
  run<T>(evaluate: () => T, outputs: (result: T) => readonly Tensor[], donated: readonly Tensor[], kept: readonly Tensor[]): T {
    const used: Storage[] = [];
    const result = withArena(
      {
        take: (dtype, n) => {
          const storage = this.#free.get(keyOf(dtype, n))?.pop();
          if (storage !== undefined) used.push(storage.fill(0));
          return storage;
        },
        made: (storage) => used.push(storage),
      },
      evaluate,
    );
    // Compared by ArrayBuffer: a view of a recycled storage (a returned reshape) holds it too.
    const held = new Set<ArrayBufferLike>();
    for (const t of [...outputs(result), ...kept]) held.add((t.storage as Storage).buffer);
    const give = (storage: Storage) => {
      if (held.has(storage.buffer)) return;
      // Once only: two donated views of one storage must not hand it out twice.
      held.add(storage.buffer);
      const dtype = dtypeOfArray(storage) as DType;
      const key = keyOf(dtype, storage.length);
      let list = this.#free.get(key);
      if (list === undefined) this.#free.set(key, (list = []));
      list.push(storage);
    };
    for (const storage of used) give(storage);
    for (const t of donated) {
      if (t.disposed) continue;
      const storage = t.storage as Storage;
      if (held.has(storage.buffer)) continue;
      t.dispose();
      give(storage);
    }
    return result;
  }
}
