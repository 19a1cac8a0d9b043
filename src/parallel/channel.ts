/**
 * The steady-state path of a data-parallel step: no messages. A worker that already holds the
 * step's program, the parameters, the exchange buffer and the staged batch waits, after its reply,
 * in `Atomics.wait` on one shared word (`GO`; asleep, no CPU). The calling thread writes each
 * worker's shard into its slot here and wakes them all with one `Atomics.notify`; each worker runs
 * its shard, meets the others at the barrier (this channel's control block, allReduce.ts), reduces
 * its range and stores the step's number in its `DONE` word, which the calling thread awaits with
 * `Atomics.waitAsync` (its event loop stays free, so a worker's death is still seen).
 *
 * Why: a message per worker per step cost more than the step's own work on the MLP. Each
 * `postMessage` is a wake-up of a thread that then competes with the poster for the two cores,
 * so the second worker's message left ~1.5 ms after the first's and the first waited that long at
 * the barrier; one notify wakes every worker at once.
 *
 * Anything else a worker must receive (a program for a new shard size, new parameter storage, a new
 * exchange or staging buffer, a test's fault) goes as a message: the calling thread first releases
 * the parked workers (`release`: a new epoch), and the workers go back to their event loops.
 */
import { controlBlockWords } from "./allReduce.js";

/** Header words: the step counter the workers sleep on, and the epoch a release advances. */
const GO = 0;
const EPOCH = 1;
const HEADER = 2;

/** One worker's slot: its shard's rows (0: not in this step), region, row start, the shard count, its reduction range, the request id its error answers; then the step it last finished (DONE) and how (STATUS). */
const KEY = 0;
const REGION = 1;
const ROW0 = 2;
const SHARDS = 3;
const FROM = 4;
const TO = 5;
const ID = 6;
const DONE = 7;
const STATUS = 8;
const SLOT = 9;

/** What a worker's `STATUS` says after its shard: its range is reduced, or the step was cancelled at the barrier. */
export const REDUCED = 1;
export const CANCELLED = 2;

/** A channel for `workers` workers over one shared buffer (the same views on every thread). */
export interface Channel {
  readonly buffer: SharedArrayBuffer;
  readonly workers: number;
  readonly words: Int32Array;
  /** The barrier's control block for the steps run through this channel (allReduce.ts). */
  readonly ctrl: Int32Array;
  /** Each shard's weight in the reduction. */
  readonly weights: Float64Array;
}

/** One shard of a step, as a worker reads it from its slot. */
export interface ShardOrder {
  readonly rows: number;
  readonly region: number;
  readonly row0: number;
  readonly shards: number;
  readonly from: number;
  readonly to: number;
  readonly id: number;
}

function layout(workers: number): { ctrlAt: number; slotsAt: number; weightsAt: number; bytes: number } {
  const ctrlAt = HEADER;
  const slotsAt = ctrlAt + controlBlockWords(workers);
  const words = slotsAt + SLOT * workers;
  const weightsAt = Math.ceil((4 * words) / 8) * 8;
  return { ctrlAt, slotsAt, weightsAt, bytes: weightsAt + 8 * workers };
}

/** A new channel (calling thread), or the views of a posted one (worker). */
export function openChannel(workers: number, buffer?: SharedArrayBuffer): Channel {
  const { ctrlAt, slotsAt, weightsAt, bytes } = layout(workers);
  const b = buffer ?? new SharedArrayBuffer(bytes);
  const words = new Int32Array(b, 0, slotsAt + SLOT * workers);
  return { buffer: b, workers, words, ctrl: words.subarray(ctrlAt, slotsAt), weights: new Float64Array(b, weightsAt, workers) };
}

const slot = (ch: Channel, worker: number): number => HEADER + controlBlockWords(ch.workers) + SLOT * worker;

export function epochOf(ch: Channel): number {
  return Atomics.load(ch.words, EPOCH);
}

export function stepOf(ch: Channel): number {
  return Atomics.load(ch.words, GO);
}

/** Calling thread: wakes every parked worker and sends it back to its event loop (its messages wait there). */
export function release(ch: Channel): void {
  Atomics.add(ch.words, EPOCH, 1);
  // GO moves too, so a worker between its epoch check and its wait does not sleep through this.
  Atomics.add(ch.words, GO, 1);
  Atomics.notify(ch.words, GO);
}

/**
 * Calling thread: worker w's part in the next step (`undefined`: it sits the step out) and its
 * shard's weight. Written for every worker before `go`; the barrier (`ctrl`) is reset by the caller.
 */
export function order(ch: Channel, w: number, o: ShardOrder | undefined, weight: number): void {
  const at = slot(ch, w);
  if (o === undefined) {
    ch.words[at + KEY] = 0;
    return;
  }
  ch.words.set([o.rows, o.region, o.row0, o.shards, o.from, o.to, o.id], at);
  ch.weights[o.region] = weight;
}

/** Calling thread: starts step number `step` (stepOf + 1): every worker wakes and reads its order. */
export function go(ch: Channel, step: number): void {
  Atomics.store(ch.words, GO, step);
  Atomics.notify(ch.words, GO);
}

/** Calling thread: resolves with worker w's STATUS once it has finished step `step`. */
export async function finished(ch: Channel, w: number, step: number): Promise<number> {
  const at = slot(ch, w) + DONE;
  for (;;) {
    const seen = Atomics.load(ch.words, at);
    if (seen === step) return Atomics.load(ch.words, slot(ch, w) + STATUS);
    const wait = (Atomics as unknown as WaitAsync).waitAsync(ch.words, at, seen);
    if (wait.async) await wait.value;
  }
}

/** `Atomics.waitAsync` (ES2024; the library types here are older). */
interface WaitAsync {
  waitAsync(a: Int32Array, index: number, value: number): { async: boolean; value: unknown };
}

/** Whether this platform lets the calling thread await a shared word (`Atomics.waitAsync`) — else every step goes by message. */
export function canPark(): boolean {
  return typeof (Atomics as { waitAsync?: unknown }).waitAsync === "function";
}

/**
 * Worker: serves steps until the channel's epoch leaves `epoch`. `run` computes a shard and says
 * whether its range was reduced; when it throws, `fail` answers the step's request with the error
 * (the calling thread's promise for this worker settles by that message, not by DONE).
 */
export function serveChannel(ch: Channel, worker: number, epoch: number, seen: number, run: (o: ShardOrder) => boolean, fail: (id: number, e: unknown) => void): void {
  const at = slot(ch, worker);
  const w = ch.words;
  for (;;) {
    if (Atomics.load(w, EPOCH) !== epoch) return;
    const step = Atomics.load(w, GO);
    if (step === seen) {
      Atomics.wait(w, GO, seen);
      continue;
    }
    seen = step;
    const rows = w[at + KEY];
    if (rows === 0) continue;
    const o: ShardOrder = { rows, region: w[at + REGION], row0: w[at + ROW0], shards: w[at + SHARDS], from: w[at + FROM], to: w[at + TO], id: w[at + ID] };
    let reduced: boolean;
    try {
      reduced = run(o);
    } catch (e) {
      fail(o.id, e);
      continue;
    }
    w[at + STATUS] = reduced ? REDUCED : CANCELLED;
    Atomics.store(w, at + DONE, step);
    Atomics.notify(w, at + DONE);
  }
}
