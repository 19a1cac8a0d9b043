/**
 * The scalar workers: starting them (worker_threads in Node, module Workers in browsers), handing
 * them tasks, and never waiting on a dead one. Unlike the wasm kernel pool (backends/wasm/pool.ts),
 * nothing here blocks: the calling thread awaits messages, so a worker's death arrives as an event
 * (Node: `error`/`exit`; browsers: `error`/`messageerror`, and a message the worker sends when its
 * code calls `close()`, which browsers do not report) and fails the call with an `AdError` at once.
 * A worker that never finishes is caught by the call's `timeout`.
 *
 * Workers are started at the first call that needs them and kept (asleep, no CPU) for the next
 * calls; in Node they do not keep the process alive between calls. A failed call stops them all:
 * workers still busy with its tasks are not waited for, and the next call starts fresh ones.
 * Calls run one at a time, in the order they were made.
 */
import { AdError, describe, invalidArgument } from "../errors.js";
import type { Closed, Reply, Task } from "./scalarMessages.js";

/** Where a scalar worker's script is: a URL, or (Node) a file path. */
export type WorkerScript = string | URL;

interface Listener {
  reply(reply: Reply): void;
  death(why: string): void;
}

/** One started worker. */
interface Handle {
  send(task: Task): void;
  terminate(): void;
  /** Node: whether the worker keeps the process alive (only while a call waits on it). */
  hold(busy: boolean): void;
  listener: Listener | undefined;
  /** Why it died, once it has. */
  dead: string | undefined;
}

interface NodeProcess {
  readonly versions?: { readonly node?: string };
}

const isNode = typeof (globalThis as { process?: NodeProcess }).process?.versions?.node === "string";

/** The machine's hardware threads: the default worker count. */
export async function hardwareThreads(): Promise<number> {
  if (isNode) {
    const os = await import("node:os");
    return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
}

async function start(op: string, script: WorkerScript): Promise<Handle> {
  const h: Handle = { send: () => undefined, terminate: () => undefined, hold: () => undefined, listener: undefined, dead: undefined };
  const die = (why: string) => {
    if (h.dead !== undefined) return;
    h.dead = why;
    h.listener?.death(why);
  };
  try {
    if (isNode) {
      const { Worker } = await import("node:worker_threads");
      const w = new Worker(script, { execArgv: [] });
      w.on("message", (reply: Reply) => h.listener?.reply(reply));
      w.on("error", (e: Error) => die(`threw ${e.name}: ${e.message}`));
      w.on("messageerror", () => die("sent a message that could not be read"));
      w.on("exit", (code: number) => die(`exited with code ${code}`));
      w.unref();
      h.send = (task) => w.postMessage(task, [task.data.buffer as ArrayBuffer, task.offsets.buffer as ArrayBuffer]);
      h.terminate = () => void w.terminate();
      h.hold = (busy) => (busy ? w.ref() : w.unref());
    } else {
      const g = globalThis as { Worker?: new (url: WorkerScript, options: object) => BrowserWorker };
      if (g.Worker === undefined) throw new Error("this platform has no Worker");
      const w = new g.Worker(script, { type: "module" });
      w.onmessage = (e) => ((e.data as Partial<Closed>).closed === true ? die("closed itself") : h.listener?.reply(e.data as Reply));
      w.onerror = (e) =>
        die(e.message ? `threw ${e.message}` : `failed: its script ${String(script)} did not load or threw (where a bundler moved the script, pass its URL as options.worker)`);
      w.onmessageerror = () => die("sent a message that could not be read");
      h.send = (task) => w.postMessage(task, [task.data.buffer as ArrayBuffer, task.offsets.buffer as ArrayBuffer]);
      h.terminate = () => w.terminate();
    }
  } catch (e) {
    throw invalidArgument(op, `cannot start a worker from ${describe(String(script))}: ${e instanceof Error ? e.message : describe(e)}`, {
      argument: "worker",
      worker: String(script),
    });
  }
  return h;
}

interface BrowserWorker {
  onmessage: ((e: { data: unknown }) => void) | null;
  onerror: ((e: { message?: string }) => void) | null;
  onmessageerror: (() => void) | null;
  postMessage(message: unknown, transfer: ArrayBuffer[]): void;
  terminate(): void;
}

/** Tasks each worker holds at once. */
const IN_FLIGHT = 2;

let pool: { readonly script: string; handles: Handle[] } | undefined;
let queue: Promise<unknown> = Promise.resolve();
/** Fails the call in flight (`stopScalarWorkers` while it waits). */
let abort: (() => void) | undefined;

/**
 * Runs `tasks` on `count` workers (each takes the next task when it finishes one) and returns the
 * replies in task order, or the first failed reply. A worker's death or the `timeout` (ms) is an
 * `AdError` naming `op`.
 */
export function runTasks(op: string, script: WorkerScript, count: number, tasks: readonly Task[], timeout: number): Promise<Reply[] | Reply> {
  const run = queue.then(() => runNow(op, script, count, tasks, timeout));
  queue = run.catch(() => undefined);
  return run;
}

async function runNow(op: string, script: WorkerScript, count: number, tasks: readonly Task[], timeout: number): Promise<Reply[] | Reply> {
  if (pool !== undefined && pool.script !== String(script)) terminate();
  const p = (pool ??= { script: String(script), handles: [] });
  p.handles = p.handles.filter((h) => h.dead === undefined);
  while (p.handles.length < count) p.handles.push(await start(op, script));
  const handles = p.handles.slice(0, count);
  return new Promise<Reply[] | Reply>((resolve, reject) => {
    const replies = new Array<Reply>(tasks.length);
    const given = new Map<number, number>();
    let next = 0;
    let done = 0;
    let settled = false;
    const finish = (failed: boolean) => {
      settled = true;
      abort = undefined;
      clearTimeout(timer);
      for (const h of handles) {
        h.listener = undefined;
        h.hold(false);
      }
      if (failed) terminate();
    };
    const fail = (error: AdError) => {
      if (settled) return;
      finish(true);
      reject(error);
    };
    const give = (h: Handle) => {
      if (next >= tasks.length) return;
      given.set(tasks[next].id, next);
      h.send(tasks[next++]);
    };
    const timer = Number.isFinite(timeout)
      ? setTimeout(() => fail(new AdError("UnsupportedOp", `the workers did not finish within the timeout of ${timeout} ms`, { op, timeout, workers: count })), timeout)
      : undefined;
    handles.forEach((h, w) => {
      h.hold(true);
      h.listener = {
        reply(reply) {
          if (settled) return;
          if (!reply.ok) {
            finish(true);
            resolve(reply);
            return;
          }
          replies[given.get(reply.id)!] = reply;
          if (++done === tasks.length) {
            finish(false);
            resolve(replies);
          } else give(h);
        },
        death: (why) => fail(deadWorker(op, w, why)),
      };
    });
    abort = () => fail(new AdError("UnsupportedOp", "stopScalarWorkers() was called while the workers ran this call", { op, workers: count }));
    for (const h of handles) if (h.dead !== undefined) return fail(deadWorker(op, handles.indexOf(h), h.dead));
    // Two tasks in flight per worker: a worker starts its next task without waiting for this thread
    // to wake up and send one (on a loaded machine that wait is long).
    for (let i = 0; i < IN_FLIGHT; i++) for (const h of handles) give(h);
  });
}

function deadWorker(op: string, worker: number, why: string): AdError {
  return new AdError("UnsupportedOp", `worker ${worker} died (it ${why}); the call is abandoned and the workers restarted at the next call`, { op, worker, reason: why });
}

/**
 * Terminates the scalar workers (`parallelGradient` starts new ones when next called); a call still
 * running fails with an `AdError`.
 */
export function stopScalarWorkers(): void {
  abort?.();
  terminate();
}

function terminate(): void {
  for (const h of pool?.handles ?? []) {
    h.listener = undefined;
    h.terminate();
  }
  pool = undefined;
}
