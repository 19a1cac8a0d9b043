/**
 * The public worker threads: `startWorkers(url, n)` and `serveRequests(handler)`, the thread group of
 * threads.ts (death detection, timeouts, never a hang) with the rules of what may cross a thread on
 * top: every request and reply is checked `Postable` (postable.ts) and a `Tensor & Shared` travels
 * as its shared storage, arriving as a shared tensor over the same memory.
 */
import { expectInteger, expectOptions } from "../errors.js";
import { decodePostable, encodePostable, expectPostable, type Postable } from "./postable.js";
import { expectTimeout, moduleUrl, serveThread, ThreadGroup } from "./threads.js";

export interface WorkerGroupOptions {
  /** How long a request (and a worker's start) may take before the worker is given up on; default 600,000 ms. */
  readonly timeoutMs?: number;
}

export interface WorkerGroup {
  /** How many workers were started. */
  readonly size: number;
  /** Whether worker i is neither known dead nor given up on. */
  alive(i: number): boolean;
  /** Posts `message` to worker i and resolves with its reply (see threads.ts for how it fails). */
  request(i: number, message: Postable): Promise<Postable>;
  /** Ends worker i now (its pending requests fail as a death, for `reason`). */
  terminate(i: number, reason?: string): void;
  /** Ends every worker. */
  close(): void;
}

const MAX_WORKERS = 256;

/**
 * Starts `count` workers running the module at `url` (one that calls `serveRequests`) and resolves
 * once every one is ready; an `UnsupportedOp` naming the module if one dies or times out first.
 */
export async function startWorkers(url: URL | string, count: number, options?: WorkerGroupOptions): Promise<WorkerGroup> {
  const op = "startWorkers";
  const where = moduleUrl(op, url);
  const n = expectInteger(op, "count", count, 1, MAX_WORKERS);
  const timeoutMs = expectTimeout(op, expectOptions<WorkerGroupOptions>(op, options, ["timeoutMs"]).timeoutMs);
  const threads = new ThreadGroup(where, timeoutMs);
  await threads.start(n);
  return {
    get size() {
      return threads.size;
    },
    alive: (i) => threads.alive(i),
    request: async (i, message) => {
      const op = "WorkerGroup.request";
      const w = expectInteger(op, "i", i, 0, Math.max(0, threads.size - 1));
      return decodePostable(await threads.request(w, encodePostable(expectPostable(op, "message", message))));
    },
    terminate: (i, reason) => threads.terminate(i, reason),
    close: () => threads.close(),
  };
}

/**
 * Worker side: answers every request with `handler(message)` (awaited; its error goes back as the
 * request's error), one at a time in arrival order, and tells the group it is ready.
 */
export function serveRequests(handler: (message: Postable) => Postable | Promise<Postable>): Promise<void> {
  return serveThread(async (body) => encodePostable(expectPostable("serveRequests", "reply", await handler(decodePostable(body)))));
}
