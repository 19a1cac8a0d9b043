/** What `dataParallel` posts to its workers (worker.ts): plain data and shared buffers only. */
import type { DType } from "../backends/dtype.js";
import type { Layout } from "./allReduce.js";
import type { PostedProgram } from "./program.js";

/** A contiguous tensor in shared memory: the buffer (shared, not copied) and where its elements are. */
export interface Posted {
  readonly buffer: SharedArrayBuffer;
  readonly byteOffset: number;
  readonly length: number;
  readonly dtype: DType;
  readonly shape: readonly number[];
}

export type WorkerMessage =
  /** The step traced for shards of `key` rows. */
  | { readonly kind: "program"; readonly key: number; readonly program: PostedProgram }
  /**
   * Run the program for `key` rows on this shard, write the outputs into region `region`, wait at
   * the barrier in `reduce.ctrl` for all `shards`, then reduce the result's elements [from, to)
   * (allReduce.ts); the reply is "reduced", or "cancelled" when another shard failed. `params` and
   * `exchange` are sent only when they change (the parameters' storage stays shared).
   */
  | {
      readonly kind: "run";
      readonly key: number;
      readonly region: number;
      readonly batch: readonly Posted[];
      readonly params?: readonly Posted[];
      readonly exchange?: { readonly buffer: SharedArrayBuffer; readonly layout: Layout };
      readonly reduce: { readonly ctrl: SharedArrayBuffer; readonly shards: number; readonly weights: readonly number[]; readonly from: number; readonly to: number };
    }
  /** Tests: the next run exits the thread, or never answers. */
  | { readonly kind: "fault"; readonly fault: "exit" | "hang" }
  /** Tests: the bytes of storage this worker has allocated (allocationCounter). */
  | { readonly kind: "allocations" };
