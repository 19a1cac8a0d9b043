/** What `dataParallel` posts to its workers (worker.ts): plain data and shared buffers only. */
import { CONSTRUCTORS, type DType } from "../backends/dtype.js";
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
   * `exchange` are sent only when they change (the parameters' storage stays shared). With `park`,
   * the worker then waits on that channel for the next steps (channel.ts), over `park.batch`, the
   * whole staged batch whose rows the steps' shards name.
   */
  | {
      readonly kind: "run";
      readonly key: number;
      readonly region: number;
      readonly batch: readonly Posted[];
      readonly params?: readonly Posted[];
      readonly exchange?: { readonly buffer: SharedArrayBuffer; readonly layout: Layout };
      readonly reduce: { readonly ctrl: SharedArrayBuffer; readonly shards: number; readonly weights: readonly number[]; readonly from: number; readonly to: number };
      readonly park?: Park;
    }
  /** Tests: the next run exits the thread, or never answers. */
  | { readonly kind: "fault"; readonly fault: "exit" | "hang" }
  /** Tests: the bytes of storage this worker has allocated (allocationCounter). */
  | { readonly kind: "allocations" };

/** Where a worker waits for steps after its reply: the channel, its slot, the epoch and step it starts from, and the staged batch. */
export interface Park {
  readonly channel: SharedArrayBuffer;
  readonly workers: number;
  readonly worker: number;
  readonly epoch: number;
  readonly step: number;
  readonly batch: readonly Posted[];
}

/** Rows [from, to) of a contiguous posted tensor (a view of the same buffer). */
export function shardOf(t: Posted, from: number, to: number): Posted {
  const rowElements = t.shape.slice(1).reduce((a, d) => a * d, 1);
  const bytes = CONSTRUCTORS[t.dtype].BYTES_PER_ELEMENT;
  return { ...t, byteOffset: t.byteOffset + from * rowElements * bytes, length: (to - from) * rowElements, shape: [to - from, ...t.shape.slice(1)] };
}

/** Whether a worker holding `held` holds `batch`: the same elements of the same buffers. */
export function sameBatch(held: readonly Posted[] | undefined, batch: readonly Posted[]): boolean {
  return (
    held !== undefined &&
    held.length === batch.length &&
    held.every((x, i) => x.buffer === batch[i].buffer && x.byteOffset === batch[i].byteOffset && x.length === batch[i].length && x.shape.join() === batch[i].shape.join())
  );
}
