/**
 * The scalar workers of `parallelGradient`: one thread group (threads.ts, which detects deaths and
 * never waits on a dead worker) kept from call to call, and the call's tasks handed out to it. Each
 * worker holds two tasks at once and takes the next when it answers one, so a worker given less of
 * the machine (or slower members) takes fewer tasks.
 *
 * Workers are started at the first call that needs them and kept (asleep, no CPU) for the next
 * calls; in Node they do not keep the process alive between calls. A call fails with an `AdError`
 * naming its op at a worker's death, at its `timeout` (ms; workers looping forever are found only
 * so), or when `stopScalarWorkers` is called while it runs. A failed call stops the workers: those
 * still busy with its tasks are not waited for, and the next call starts fresh ones. Calls run one
 * at a time, in the order they were made.
 */
import { AdError } from "../errors.js";
import type { Reply, Task } from "./scalarMessages.js";
import { after, deathOf, moduleUrl, ThreadGroup } from "./threads.js";

/** Where a scalar worker's script is: a URL, or (Node) a file path. */
export type WorkerScript = string | URL;

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

/** Tasks each worker holds at once: it starts its next task without waiting for this thread to wake up and send one. */
const IN_FLIGHT = 2;

let pool: ThreadGroup | undefined;
let queue: Promise<unknown> = Promise.resolve();
/** Fails the call in flight (`stopScalarWorkers` while it waits). */
let abort: (() => void) | undefined;

/**
 * Runs `tasks` on `count` workers and returns the replies in task order, or the first failed reply.
 * A worker's death or the `timeout` (ms) is an `AdError` naming `op`.
 */
export function runTasks(op: string, script: WorkerScript, count: number, tasks: readonly Task[], timeout: number): Promise<Reply[] | Reply> {
  const run = queue.then(() => runNow(op, script, count, tasks, timeout));
  queue = run.catch(() => undefined);
  return run;
}

async function runNow(op: string, script: WorkerScript, count: number, tasks: readonly Task[], timeout: number): Promise<Reply[] | Reply> {
  /** The call's end, the first to come: a failed reply, or an error. */
  let outcome: { readonly reply: Reply } | { readonly error: AdError } | undefined;
  const end = (o: NonNullable<typeof outcome>) => {
    if (outcome !== undefined) return;
    outcome = o;
    stop();
  };
  const failed = (e: unknown) => {
    const death = deathOf(e);
    end({ error: death === undefined ? (e as AdError) : deadWorker(op, death.worker, death.reason) });
  };
  abort = () => end({ error: new AdError("UnsupportedOp", "stopScalarWorkers() was called while the workers ran this call", { op, workers: count }) });
  const timer = after(timeout, () =>
    end({ error: new AdError("UnsupportedOp", `the workers did not finish within the timeout of ${timeout} ms`, { op, timeout, workers: count }) }),
  );
  try {
    const group = poolFor(op, script, count);
    if (group.size < count) await group.start(count - group.size).catch(failed);
    const replies = new Array<Reply>(tasks.length);
    let next = 0;
    const lane = async (w: number) => {
      while (next < tasks.length && outcome === undefined) {
        const t = next++;
        const reply = (await group.request(w, tasks[t], [tasks[t].data.buffer as ArrayBuffer, tasks[t].offsets.buffer as ArrayBuffer])) as Reply;
        if (!reply.ok) return end({ reply });
        replies[t] = reply;
      }
    };
    const lanes: Promise<void>[] = [];
    for (let i = 0; i < IN_FLIGHT; i++) for (let w = 0; w < count; w++) lanes.push(lane(w).catch(failed));
    await Promise.all(lanes);
    if (outcome === undefined) return replies;
    if ("error" in outcome) throw outcome.error;
    return outcome.reply;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    abort = undefined;
  }
}

/** The workers for `script`, the first `count` of them alive (a new group where they are not). */
function poolFor(op: string, script: WorkerScript, count: number): ThreadGroup {
  const url = moduleUrl(op, script);
  const usable = pool !== undefined && pool.url.href === url.href && Array.from({ length: Math.min(count, pool.size) }, (_, w) => pool?.alive(w)).every(Boolean);
  if (!usable) {
    stop();
    // No limit per request: the call's own timeout is the limit.
    pool = new ThreadGroup(url, Infinity);
  }
  return pool as ThreadGroup;
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
  stop();
}

function stop(): void {
  pool?.close();
  pool = undefined;
}
