/**
 * `dataParallel(step, { workers })`: a pure gradient step `(params, batch) → outputs` (say
 * `valueAndGrad(loss)`) run on N worker threads, each on its shard of the batch (rows split along
 * axis 0) with its own thread-local gradients, then one deterministic all-reduce (allReduce.ts) of
 * every output over shared memory: by default the shards' mean weighted by their rows, which is the
 * full batch's value when the step's loss is a mean over examples.
 *
 * Workers cannot receive the step's closure, so it is traced (the jit's tracer) once per shard size
 * into a `Program` and posted as data (program.ts); each worker jits it and runs it with the normal
 * interpreters, then meets the others at a barrier in shared memory and reduces its range of the
 * result. Once a worker holds everything a step needs, steps reach it without messages: it sleeps
 * on a shared word and all workers are woken by one notify (channel.ts). The parameters are
 * `share()`d tensors: their storage is posted once and read in place
 * every step (an optimiser's `assign` between steps updates them for every worker); the batch goes
 * through a shared staging buffer (one copy) unless it is shared too.
 *
 * A dead worker (its thread exits, is terminated, or does not answer within `timeoutMs`) fails the
 * step with an `UnsupportedOp` naming it; with `onWorkerDeath: "continue"` the calling thread runs
 * the dead worker's shard (or reduction range) itself, the step completes with the same shards, and
 * later steps split the batch among the survivors.
 */
import { AdError, describe, expectFunction, expectInteger, expectOptions, invalidArgument } from "../errors.js";
import { host } from "../backends/device.js";
import { CONSTRUCTORS, type FloatDType } from "../backends/dtype.js";
import { jit } from "../jit/index.js";
import { contiguous, narrow, Tensor, trace, type Program } from "../tensor/index.js";
import { flatten } from "../tensor/autograd/pytree.js";
import { fromStorage } from "../tensor/tensor.js";
import { arrived, cancel, controlBlock, layoutOf, reduceRange, reducerRange, slotView, type Layout } from "./allReduce.js";
import { canPark, epochOf, finished, go, openChannel, order, release, REDUCED, stepOf, type Channel } from "./channel.js";
import { sameBatch, shardOf, type Posted, type WorkerMessage } from "./messages.js";
import { postProgram } from "./program.js";
import { asBuffer, expectSharedMemory, hostElements, isShared, sharedStorage, type Shared } from "./shared.js";
import { after, expectTimeout, moduleUrl, ThreadGroup } from "./threads.js";
import type { WorkerGroup } from "./workers.js";

export interface DataParallelOptions {
  /** How many worker threads run the shards (required; at most 256). */
  readonly workers: number;
  /** How the shards' outputs combine: their mean weighted by rows (default), or their sum. */
  readonly reduce?: "mean" | "sum";
  /** A worker's death fails the step (default), or its work moves to the calling thread and the step completes. */
  readonly onWorkerDeath?: "fail" | "continue";
  /** A worker that has not answered a request within this many milliseconds is terminated and dead (default 600,000). */
  readonly timeoutMs?: number;
  /** The worker module (`adjoint/parallel/worker`); the default is the one next to this module. Give it where a bundler moves files. */
  readonly workerUrl?: string | URL;
}

/** `P` with every tensor leaf branded `Shared`: the parameters must live in shared memory. */
export type SharedTree<P> = P extends Tensor ? P & Shared : P extends readonly unknown[] | Record<string, unknown> ? { [K in keyof P]: SharedTree<P[K]> } : P;

export interface DataParallelStep<P, B, R> {
  /** Runs the step on the workers' shards of `batch` and resolves with the reduced outputs. */
  (params: SharedTree<P>, batch: B): Promise<R>;
  /** How many workers are alive (0 before the first call starts them). */
  readonly workers: number;
  /** Ends the workers (a later call starts new ones). */
  close(): void;
  /** @internal Tests: the worker group (undefined before the first call). */
  readonly group: (Pick<WorkerGroup, "size" | "alive" | "terminate" | "close"> & { readonly posted: number }) | undefined;
  /** @internal Tests: worker i's next run exits its thread, or never answers. */
  inject(i: number, fault: "exit" | "hang"): Promise<void>;
  /** @internal Tests: the bytes of storage worker i has allocated so far. */
  allocations(i: number): Promise<number>;
}

const MAX_WORKERS = 256;
const OP = "dataParallel";

/** A traced shard program, and its local jitted copy for a dead worker's shard. */
interface Traced {
  readonly program: Program;
  readonly local: (...xs: Tensor[]) => unknown;
}

/** Per worker: which programs, which parameter storage, exchange buffer and staged batch it already holds, and the channel epoch it waits on. */
interface Holds {
  readonly programs: Set<number>;
  params: readonly object[] | undefined;
  exchange: SharedArrayBuffer | undefined;
  batch: readonly Posted[] | undefined;
  parked: number | undefined;
}

export function dataParallel<P, B, R>(step: (params: P, batch: B) => R, options: DataParallelOptions): DataParallelStep<P, B, R> {
  const f = expectFunction(OP, "step", step) as (params: unknown, batch: unknown) => unknown;
  const o = expectOptions<DataParallelOptions>(OP, options, ["workers", "reduce", "onWorkerDeath", "timeoutMs", "workerUrl"], true);
  const count = expectInteger(OP, "workers", o.workers, 1, MAX_WORKERS);
  const reduce = oneOf("reduce", o.reduce, ["mean", "sum"] as const, "mean");
  const onDeath = oneOf("onWorkerDeath", o.onWorkerDeath, ["fail", "continue"] as const, "fail");
  const timeoutMs = expectTimeout(OP, o.timeoutMs);
  if (o.workerUrl !== undefined && typeof o.workerUrl !== "string" && !(o.workerUrl instanceof URL)) {
    throw invalidArgument(OP, `workerUrl must be a URL or a string, got ${describe(o.workerUrl)}`, { argument: "workerUrl", key: "workerUrl", got: describe(o.workerUrl) });
  }
  expectSharedMemory(OP);
  const url = o.workerUrl ?? new URL("./worker.js", import.meta.url);

  let group: ThreadGroup | undefined;
  let holds: Holds[] = [];
  const traced = new Map<number, Traced>();
  let layout: Layout | undefined;
  /** The parameters' and the batch rows' dtypes and shapes the step was traced for (the first call's). */
  let signature: string | undefined;
  let exchange: SharedArrayBuffer | undefined;
  /** Where warm workers wait for steps (channel.ts); undefined where the calling thread cannot await a shared word. */
  let channel: Channel | undefined;
  const staging = new Map<number, SharedArrayBuffer>();
  /** One step at a time: the exchange buffer and the workers' state belong to the running one. */
  let running: Promise<unknown> = Promise.resolve();

  const traceFor = (rows: number, paramTree: unknown, batch: readonly Tensor[], batchRebuild: (l: readonly Tensor[]) => unknown): Traced => {
    let t = traced.get(rows);
    if (t !== undefined) return t;
    const shard = batch.map((x) => ({ shape: [rows, ...x.shape.slice(1)], dtype: x.dtype }));
    const program = trace((p: unknown, b: unknown) => f(p, b))(paramTree, batchRebuild(shard as unknown as Tensor[]));
    const outs = program.outputs.map((v, j) => {
      // Named, not isFloat: the reduction reads float32 and float64 storage (a new float dtype needs its own path there).
      if (v.dtype !== "float32" && v.dtype !== "float64")
        throw invalidArgument(OP, `output ${j} of the step is ${v.dtype}: the outputs are averaged or summed over shards, so they must be float32 or float64 tensors`, {
          output: j,
          dtype: v.dtype,
        });
      return { dtype: v.dtype as FloatDType, size: v.shape.reduce((a, d) => a * d, 1), shape: v.shape };
    });
    const first = [...traced.values()][0]?.program;
    if (first !== undefined && (first.outputs.length !== outs.length || first.outputs.some((v, j) => v.dtype !== outs[j].dtype || v.shape.join() !== outs[j].shape.join()))) {
      throw invalidArgument(OP, "the step's outputs change shape with the number of rows in a shard: they are reduced over shards, so they must not depend on the batch size", {
        rows,
      });
    }
    layout ??= layoutOf(outs);
    t = { program, local: jit((...xs: Tensor[]) => program.evaluate(...xs)) };
    traced.set(rows, t);
    return t;
  };

  const run = async (paramTree: unknown, batchTree: unknown): Promise<unknown> => {
    const p = flatten(OP, paramTree);
    const b = flatten(OP, batchTree);
    p.leaves.forEach((t, i) => {
      if (!isShared(t) || !t.isContiguous() || t.offset !== 0)
        throw invalidArgument(OP, `parameter ${i} is not a share()d tensor: parameters live in shared memory, read in place by every worker — share() them once`, {
          argument: "params",
          index: i,
          rule: "params must be share()d host tensors",
        });
    });
    const rows = expectBatch(b.leaves);
    // The programs are traced per shard size for these shapes: other shapes would need new ones.
    const types = [...p.leaves.map((t) => `${t.dtype}[${t.shape.join()}]`), "|", ...b.leaves.map((t) => `${t.dtype}[,${t.shape.slice(1).join()}]`)].join(" ");
    signature ??= types;
    if (types !== signature) {
      throw invalidArgument(OP, `this step was traced for parameters and batch rows of types ${signature}, not ${types}: make a new dataParallel step for other shapes`, {
        argument: "params",
        traced: signature,
        got: types,
      });
    }
    group ??= await startGroup();
    const g = group;
    const live = holds.map((_, w) => w).filter((w) => g.alive(w));
    const gone = holds.findIndex((_, w) => !g.alive(w));
    if (gone >= 0 && onDeath === "fail") recover(g, gone, "before this step");
    if (live.length === 0) throw new AdError("UnsupportedOp", "every worker has died", { op: OP, workers: count });
    const shards = Math.min(live.length, rows);
    const bounds = Array.from({ length: shards + 1 }, (_, s) => Math.floor((rows * s) / shards));
    const programs = bounds.slice(1).map((end, s) => traceFor(end - bounds[s], paramTree, b.leaves, b.rebuild));
    const lay = layout as Layout;
    const needed = (shards + 1) * lay.bytes;
    if (exchange === undefined || exchange.byteLength < needed) exchange = new SharedArrayBuffer(Math.max(8, needed));
    const ex = exchange;
    const posted = p.leaves.map(postTensor);
    const batch = b.leaves.map((t, i) => stage(t, i));
    const weights = bounds.slice(1).map((end, s) => (reduce === "sum" ? 1 : (end - bounds[s]) / rows));
    const rowsOf = (s: number) => bounds[s + 1] - bounds[s];
    // The signature fixes the shapes: the same storage is the same parameters.
    const sameParams = (h: Holds) => h.params !== undefined && h.params.length === p.leaves.length && h.params.every((x, i) => x === p.leaves[i].storage);
    const ch = (channel ??= canPark() ? openChannel(count) : undefined);
    const warm =
      ch !== undefined &&
      live.slice(0, shards).every((w, s) => {
        const h = holds[w];
        return h.parked === epochOf(ch) && h.programs.has(rowsOf(s)) && sameParams(h) && h.exchange === ex && sameBatch(h.batch, batch);
      });
    // A message reaches a worker only in its event loop: the parked ones are released first.
    if (!warm) releaseAll();

    // One request per shard: its worker computes the shard, meets the others at the barrier in
    // `ctrl` and reduces its range of the result (worker.ts). A failed request cancels the barrier,
    // so no survivor waits on a worker that will never arrive. Warm workers get theirs through the
    // channel, all woken at once after every order is written.
    const ctrl = warm ? ch.ctrl : controlBlock(shards);
    const step = warm ? stepOf(ch) + 1 : 0;
    if (warm) ctrl.fill(0);
    // A step past timeoutMs: the workers whose shard is not written are given up on (the others
    // wait for them at the barrier, so a timeout per request would take the healthy ones too).
    const watchdog = after(timeoutMs, () => {
      programs.forEach((_, s) => {
        if (!arrived(ctrl, s)) g.terminate(live[s], `did not finish its shard within ${timeoutMs} ms (timeoutMs)`);
      });
      cancel(ctrl);
    });
    const ranges = programs.map((_, s) => reducerRange(lay.elements, s, shards));
    const viaChannel = (c: Channel, s: number): Promise<boolean> =>
      g
        .signal(live[s], (id) => {
          order(c, live[s], { rows: rowsOf(s), region: s, row0: bounds[s], shards, from: ranges[s][0], to: ranges[s][1], id }, weights[s]);
          return finished(c, live[s], step);
        })
        .then((status) => status === REDUCED);
    const viaMessage = async (s: number): Promise<boolean> => {
      const w = live[s];
      const h = holds[w];
      if (!h.programs.has(rowsOf(s))) {
        await g.request(w, { kind: "program", key: rowsOf(s), program: postProgram(OP, (traced.get(rowsOf(s)) as Traced).program) } satisfies WorkerMessage);
        h.programs.add(rowsOf(s));
      }
      const message: WorkerMessage = {
        kind: "run",
        key: rowsOf(s),
        region: s,
        batch: batch.map((x) => shardOf(x, bounds[s], bounds[s + 1])),
        params: sameParams(h) ? undefined : posted,
        exchange: h.exchange === ex ? undefined : { buffer: ex, layout: lay },
        reduce: { ctrl: ctrl.buffer as SharedArrayBuffer, shards, weights, from: ranges[s][0], to: ranges[s][1] },
        park: ch === undefined ? undefined : { channel: ch.buffer, workers: count, worker: w, epoch: epochOf(ch), step: stepOf(ch), batch },
      };
      const reply = await g.request(w, message);
      h.params = p.leaves.map((t) => t.storage);
      h.exchange = ex;
      h.batch = batch;
      return reply === "reduced";
    };
    if (warm) for (let w = 0; w < count; w++) order(ch, w, undefined, 0);
    const shardRuns = programs.map(async (_, s) => {
      try {
        return await (warm ? viaChannel(ch, s) : viaMessage(s));
      } catch (e) {
        cancel(ctrl);
        throw e;
      }
    });
    if (warm) go(ch, step);
    const settled = await Promise.allSettled(shardRuns);
    if (watchdog !== undefined) clearTimeout(watchdog);
    // Workers that reduced their range after a message wait on the channel now (worker.ts).
    if (ch !== undefined && settled.every((r) => r.status === "fulfilled" && r.value)) for (const w of live.slice(0, shards)) holds[w].parked = epochOf(ch);
    // Recovery, on the calling thread: a dead worker's shard is run here, then every range not
    // reduced (a dead worker's, or all of them after a cancelled barrier) is reduced here.
    let lost = false;
    for (const [s, r] of settled.entries()) {
      if (r.status === "fulfilled") continue;
      recover(g, live[s], r.reason);
      lost = true;
      const outs = programs[s].local(...p.leaves, ...b.leaves.map((t) => contiguous(narrow(t, 0, bounds[s], bounds[s + 1] - bounds[s])))) as unknown as Tensor[];
      flatten(OP, outs).leaves.forEach((t, j) => slotView(ex, lay, s, j).set(t.data() as Float32Array & Float64Array));
    }
    settled.forEach((r, s) => {
      if (r.status !== "fulfilled" || !r.value) reduceRange(ex, lay, weights, ranges[s][0], ranges[s][1]);
    });
    const first = programs[0].program;
    const results = first.outputs.map((v, j) => {
      const storage = new CONSTRUCTORS[v.dtype as FloatDType](lay.leaves[j].size);
      storage.set(slotView(ex, lay, shards, j));
      return fromStorage(storage, v.dtype, [...v.shape]);
    });
    // A worker given up on might still write once before its thread stops: the next step gets a new buffer and channel.
    if (lost) {
      exchange = undefined;
      releaseAll();
      channel = undefined;
    }
    return first.rebuild(results);
  };

  /** Sends every parked worker back to its event loop (channel.ts), where messages reach it. */
  const releaseAll = (): void => {
    if (channel !== undefined) release(channel);
    for (const h of holds) h.parked = undefined;
  };

  /** A failed request: a step's own error is thrown; a death is one too unless the step goes on without the worker. */
  const recover = (g: ThreadGroup, w: number, reason: unknown): void => {
    if (g.alive(w)) throw reason;
    if (onDeath === "fail") {
      const why = reason instanceof AdError ? String(reason.details.reason ?? reason.message) : describe(reason);
      throw new AdError("UnsupportedOp", `worker ${w} died (it ${why}); pass onWorkerDeath: "continue" to finish on the survivors`, {
        op: OP,
        worker: w,
        reason: why,
      });
    }
  };

  const startGroup = async (): Promise<ThreadGroup> => {
    try {
      // The group's own limit is a backstop behind the step's watchdog (a worker stuck after the barrier).
      const g = new ThreadGroup(moduleUrl(OP, url), 2 * timeoutMs);
      await g.start(count);
      holds = Array.from({ length: count }, () => ({ programs: new Set<number>(), params: undefined, exchange: undefined, batch: undefined, parked: undefined }));
      channel = undefined;
      return g;
    } catch (e) {
      const why = e instanceof AdError ? String(e.details.reason ?? e.message) : describe(e);
      throw new AdError("UnsupportedOp", `the workers could not start from ${String(url)} (${why}); pass workerUrl where the worker module (adjoint/parallel/worker) is served`, {
        op: OP,
        workerUrl: String(url),
        reason: why,
      });
    }
  };

  /** A batch leaf in shared memory: itself if shared and contiguous, else a copy in a staging buffer reused from step to step. */
  const stage = (t: Tensor, i: number): Posted => {
    if (isShared(t) && t.isContiguous()) return postTensor(t);
    const data = hostElements(t);
    const bytes = data.byteLength;
    let buffer = staging.get(i);
    if (buffer === undefined || buffer.byteLength !== bytes) staging.set(i, (buffer = sharedStorage(OP, t.dtype, data.length).buffer as SharedArrayBuffer));
    new CONSTRUCTORS[t.dtype](asBuffer(buffer)).set(data as never);
    return { buffer, byteOffset: 0, length: data.length, dtype: t.dtype, shape: [...t.shape] };
  };

  const call = (params: unknown, batch: unknown): Promise<unknown> => {
    const next = running.then(
      () => run(params, batch),
      () => run(params, batch),
    );
    running = next.catch(() => undefined);
    return next;
  };
  Object.defineProperty(call, "workers", { get: () => (group === undefined ? 0 : holds.filter((_, w) => group?.alive(w)).length), enumerable: true });
  Object.defineProperty(call, "group", { get: () => group });
  Object.defineProperty(call, "close", {
    value: () => {
      group?.close();
      group = undefined;
      holds = [];
      channel = undefined;
    },
  });
  Object.defineProperty(call, "inject", {
    value: async (i: number, fault: "exit" | "hang") => {
      group ??= await startGroup();
      releaseAll();
      await group.request(i, { kind: "fault", fault } satisfies WorkerMessage);
    },
  });
  Object.defineProperty(call, "allocations", {
    value: async (i: number) => {
      group ??= await startGroup();
      releaseAll();
      return (await group.request(i, { kind: "allocations" } satisfies WorkerMessage)) as number;
    },
  });
  return call as unknown as DataParallelStep<P, B, R>;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T))
    throw invalidArgument(OP, `${name} must be one of ${allowed.map((a) => JSON.stringify(a)).join(", ")}, got ${describe(value)}`, {
      argument: name,
      key: name,
      got: describe(value),
    });
  return value as T;
}

/** The batch's rows: every leaf a host tensor with the same leading dimension, at least 1. */
function expectBatch(leaves: readonly Tensor[]): number {
  if (leaves.length === 0) throw invalidArgument(OP, "the batch holds no tensors", { argument: "batch" });
  leaves.forEach((t, i) => {
    if (t.device !== host)
      throw invalidArgument(OP, `batch tensor ${i} is on ${t.device.name}: a device buffer cannot cross a thread`, { argument: "batch", index: i, device: t.device.name });
  });
  const rows = leaves[0].shape[0];
  const bad = leaves.findIndex((t) => t.rank === 0 || t.shape[0] !== rows);
  if (rows === undefined || rows < 1 || bad >= 0) {
    throw new AdError("ShapeMismatch", "every batch tensor must have the same leading dimension (the examples), at least 1: the shards split it", {
      op: OP,
      shapes: leaves.map((t) => [...t.shape]),
    });
  }
  return rows;
}

function postTensor(t: Tensor): Posted {
  const s = t.storage as Float32Array;
  return { buffer: s.buffer as SharedArrayBuffer, byteOffset: s.byteOffset + t.offset * s.BYTES_PER_ELEMENT, length: t.size, dtype: t.dtype, shape: [...t.shape] };
}
