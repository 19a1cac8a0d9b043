/**
 * The module each `dataParallel` worker runs (`adjoint/parallel/worker`): it holds the step's traced
 * programs (program.ts), the parameters' shared storage and the exchange buffer, runs a program on
 * its shard of the batch, writes the outputs into its region, waits for the other shards at the
 * barrier and reduces its range of the result (allReduce.ts). The kernel pool is set to one thread
 * here: the workers are the parallelism, and a kernel pool in each would only oversubscribe the cores.
 *
 * A run's outputs are copied into the exchange buffer and then only held until the next run, which
 * is given them to donate (jit's `donate`): its outputs take their storage, so in steady state a
 * run allocates nothing, as a jitted step with its results donated back does on one thread.
 *
 * A run that carries `park` is followed, once its reply is posted, by the steady state of
 * channel.ts: the worker sleeps on the channel and runs the steps ordered there, without messages,
 * until the calling thread releases it.
 */
import "../tensor/methods.js";
import { allocationCounter, jit } from "../jit/index.js";
import { setThreads, zeros, type Tensor } from "../tensor/index.js";
import { fromStorage } from "../tensor/tensor.js";
import { arrive, cancel, reduceRange, slotView, type Layout } from "./allReduce.js";
import { openChannel, serveChannel } from "./channel.js";
import { shardOf, type Park, type Posted, type WorkerMessage } from "./messages.js";
import { readProgram } from "./program.js";
import { hostElements, sharedView } from "./shared.js";
import { failRequest, isGroupWorker, serveThread } from "./threads.js";

/** A shard size's jitted program (its inputs, then the previous outputs to donate), and those outputs. */
interface Step {
  readonly run: (...xs: Tensor[]) => unknown;
  last: Tensor[];
}

const steps = new Map<number, Step>();
let params: Tensor[] = [];
let exchange: { buffer: SharedArrayBuffer; layout: Layout } | undefined;
/** Tests (`DataParallelStep.inject`): the next run exits this thread, or never answers. */
let fault: "exit" | "hang" | undefined;

const view = (t: Posted): Tensor => fromStorage(sharedView(t.dtype, t.buffer, t.byteOffset, t.length), t.dtype, [...t.shape]);

/** Ends this thread as a crash would: Node's process.exit() in a worker ends the thread; a browser worker closes. */
function exit(): never {
  const p = (globalThis as { process?: { exit(): never } }).process;
  if (p !== undefined) p.exit();
  (globalThis as unknown as { close(): void }).close();
  throw new Error("closed");
}

/**
 * Serves `dataParallel`'s requests on this thread. It starts by itself when this module is loaded
 * as a worker of a thread group (threads.ts); imported anywhere else it does nothing until called.
 */
export function serveDataParallel(): Promise<void> {
  setThreads(1);
  return serveThread(answer);
}

async function answer(message: unknown): Promise<unknown> {
  const m = message as WorkerMessage;
  switch (m.kind) {
    case "program": {
      const program = readProgram(m.program);
      const inputs = program.inputs.length;
      const run = jit((...xs: Tensor[]) => program.evaluate(...xs.slice(0, inputs)), { donate: program.outputs.map((_, j) => inputs + j) });
      steps.set(m.key, { run, last: program.outputs.map((v) => zeros([...v.shape], { dtype: v.dtype })) });
      return null;
    }
    case "fault":
      fault = m.fault;
      return null;
    case "allocations":
      return allocationCounter().bytes;
    case "run": {
      if (fault === "exit") exit();
      if (fault === "hang") await new Promise(() => undefined);
      if (m.params !== undefined) params = m.params.map(view);
      if (m.exchange !== undefined) exchange = m.exchange;
      const { ctrl, shards, weights, from, to } = m.reduce;
      if (!runShard(m.key, m.region, m.batch, new Int32Array(ctrl), shards, weights, from, to)) return "cancelled";
      const park = m.park;
      // After the reply is posted (a macrotask: the reply goes out in a microtask after this returns).
      if (park !== undefined) (globalThis.setImmediate ?? setTimeout)(() => parkOn(park));
      return "reduced";
    }
  }
}

/**
 * Runs the program for `key` rows on this shard, writes its outputs into region `region`, meets
 * the other shards at the barrier in `ctrl` and reduces the result's elements [from, to); false
 * when the step was cancelled at the barrier.
 */
function runShard(key: number, region: number, batch: readonly Posted[], ctrl: Int32Array, shards: number, weights: readonly number[], from: number, to: number): boolean {
  const step = steps.get(key);
  const ex = exchange;
  try {
    if (step === undefined || ex === undefined) throw new Error(`run before its program (${key}) or exchange arrived`);
    const outputs = step.run(...params, ...batch.map(view), ...step.last) as Tensor[];
    step.last = outputs;
    outputs.forEach((t, j) => slotView(ex.buffer, ex.layout, region, j).set(hostElements(t)));
  } catch (e) {
    cancel(ctrl);
    throw e;
  }
  if (!arrive(ctrl, region, shards)) return false;
  reduceRange(ex.buffer, ex.layout, weights, from, to);
  return true;
}

/** The steady state (channel.ts): steps ordered through the channel, until the calling thread releases this worker. */
function parkOn(p: Park): void {
  const ch = openChannel(p.workers, p.channel);
  serveChannel(
    ch,
    p.worker,
    p.epoch,
    p.step,
    (o) =>
      runShard(
        o.rows,
        o.region,
        p.batch.map((t) => shardOf(t, o.row0, o.row0 + o.rows)),
        ch.ctrl,
        o.shards,
        Array.from(ch.weights.subarray(0, o.shards)),
        o.from,
        o.to,
      ),
    failRequest,
  );
}

if (await isGroupWorker()) await serveDataParallel();
