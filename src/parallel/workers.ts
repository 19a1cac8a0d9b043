/**
 * Worker threads with death detection: start N workers from a module, post each a request, await
 * its reply — and never hang on one that died. The general layer under `dataParallel` (and anything
 * else that farms work out to threads); the kernel pool (backends/wasm/pool.ts) is a different
 * thing: it splits one kernel over shared wasm memory, synchronously.
 *
 * A worker is a module that calls `serveRequests(handler)`. Node runs it on `worker_threads`, a
 * browser as a module Worker. A request's promise settles exactly once:
 * - with the handler's reply;
 * - with the handler's error, an `AdError` again on this side (same code, message and details);
 * - with an `UnsupportedOp` naming the worker when its thread ends first: Node reports every exit
 *   (`process.exit()` inside it, `terminate()`, a crash); a browser reports an uncaught error but
 *   not a worker that closes itself, which only the timeout finds;
 * - with the same `UnsupportedOp` after `timeoutMs`: a worker that has not answered by then is
 *   terminated and counted dead (the default, 10 minutes, only rules out waiting forever).
 * A dead worker stays dead; the group's user decides whether to go on with the survivors.
 */
import { AD_ERROR_CODES, AdError, describe, expectInteger, expectOptions, invalidArgument, type AdErrorCode } from "../errors.js";
import { decodePostable, encodePostable, expectPostable, type Postable } from "./postable.js";

export interface WorkerGroupOptions {
  /** How long a request (and a worker's start) may take before the worker is given up on; default 600,000 ms. */
  readonly timeoutMs?: number;
}

export interface WorkerGroup {
  /** How many workers were started. */
  readonly size: number;
  /** Whether worker i is neither known dead nor given up on. */
  alive(i: number): boolean;
  /** Posts `message` to worker i and resolves with its reply (see the file's comment for how it fails). */
  request(i: number, message: Postable): Promise<Postable>;
  /** Ends worker i now (its pending requests fail as a death, for `reason`). */
  terminate(i: number, reason?: string): void;
  /** Ends every worker. */
  close(): void;
}

const DEFAULT_TIMEOUT_MS = 600_000;
const MAX_WORKERS = 256;

/** What a worker answers: ready once, then one reply per request. */
type Reply =
  { readonly ready: true } | { readonly id: number; readonly ok: true; readonly body: unknown } | { readonly id: number; readonly ok: false; readonly error: PostedError };

interface PostedError {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** The platform's worker, reduced to what a group needs. */
interface Thread {
  post(message: unknown): void;
  terminate(): void;
  /** Node only: whether an idle worker keeps the process alive. */
  hold(held: boolean): void;
}

interface Listeners {
  message(reply: Reply): void;
  died(reason: string): void;
}

/** How a worker of a group knows it is one: Node's workerData, a browser worker's name. */
const MARK = "adjoint-worker";

const nodeProcess = (globalThis as { process?: { versions?: { node?: string }; cwd?(): string } }).process;
const isNode = typeof nodeProcess?.versions?.node === "string";

async function spawn(url: URL, on: Listeners): Promise<Thread> {
  if (isNode) {
    const { Worker } = await import("node:worker_threads");
    // execArgv []: the worker is a plain module, whatever loader flags the parent runs under.
    const w = new Worker(url, { execArgv: [], workerData: { [MARK]: true } });
    let error: string | undefined;
    w.on("message", (m: Reply) => on.message(m));
    w.on("error", (e: unknown) => (error = e instanceof Error ? e.message : describe(e)));
    w.on("messageerror", () => (error = "a message could not be deserialized"));
    w.on("exit", (code: number) => on.died(error ?? `its thread exited (code ${code})`));
    return { post: (m) => w.postMessage(m), terminate: () => void w.terminate(), hold: (held) => (held ? w.ref() : w.unref()) };
  }
  const W = (globalThis as { Worker?: new (url: URL, o: object) => BrowserWorker }).Worker;
  if (W === undefined) throw new AdError("UnsupportedOp", "this platform has no Worker", { op: "startWorkers" });
  const w = new W(url, { type: "module", name: MARK });
  w.addEventListener("message", (e) => on.message((e as Event & { data: Reply }).data));
  const die = (reason: string) => {
    w.terminate();
    on.died(reason);
  };
  w.addEventListener("error", (e) => die(`an uncaught error: ${(e as Event & { message?: string }).message ?? "(no message: the module may have failed to load)"}`));
  w.addEventListener("messageerror", () => die("a message could not be deserialized"));
  return { post: (m) => w.postMessage(m), terminate: () => die("terminated"), hold: () => undefined };
}

interface BrowserWorker {
  postMessage(m: unknown): void;
  terminate(): void;
  addEventListener(type: string, listener: (e: Event) => void): void;
}

/** The worker module's URL: a relative string is read against the page (a browser) or the working directory (Node). */
function moduleUrl(op: string, url: unknown): URL {
  if (url instanceof URL) return url;
  if (typeof url !== "string") throw invalidArgument(op, `the worker module must be a URL or a string, got ${describe(url)}`, { argument: "url", got: describe(url) });
  const page = (globalThis as { location?: { href?: string } }).location?.href;
  const base = page ?? `file://${nodeProcess?.cwd?.() ?? ""}/`;
  try {
    return new URL(url, base);
  } catch {
    throw invalidArgument(op, `the worker module ${JSON.stringify(url)} is not a URL`, { argument: "url", got: url });
  }
}

/**
 * Starts `count` workers running the module at `url` (one that calls `serveRequests`) and resolves
 * once every one is ready; an `UnsupportedOp` naming the module if one dies or times out first.
 */
export async function startWorkers(url: URL | string, count: number, options?: WorkerGroupOptions): Promise<WorkerGroup> {
  const op = "startWorkers";
  const where = moduleUrl(op, url);
  const n = expectInteger(op, "count", count, 1, MAX_WORKERS);
  const timeoutMs = expectTimeout(op, expectOptions<WorkerGroupOptions>(op, options, ["timeoutMs"]).timeoutMs);
  const group = new Group(where, timeoutMs);
  await group.start(n);
  return group;
}

/** The longest delay a timer takes (a longer one fires at once): longer limits are no limit. */
const MAX_DELAY_MS = 2 ** 31 - 1;

/** Runs `f` after `ms` milliseconds, unless `ms` is beyond any timer (then never). */
export function after(ms: number, f: () => void): ReturnType<typeof setTimeout> | undefined {
  return ms <= MAX_DELAY_MS ? setTimeout(f, ms) : undefined;
}

/** The `timeoutMs` option: a positive number of milliseconds (Infinity allowed), default 10 minutes. */
export function expectTimeout(op: string, value: unknown): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  if (typeof value !== "number" || !(value > 0))
    throw invalidArgument(op, `timeoutMs must be a positive number of milliseconds, got ${describe(value)}`, { argument: "timeoutMs", key: "timeoutMs", got: describe(value) });
  return value;
}

interface Pending {
  resolve(body: Postable): void;
  reject(error: AdError): void;
}

interface Member {
  thread: Thread | undefined;
  dead: string | undefined;
  ready: Pending | undefined;
  readonly pending: Map<number, Pending>;
}

class Group implements WorkerGroup {
  private readonly members: Member[] = [];
  private nextId = 1;

  constructor(
    private readonly url: URL,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.members.length;
  }

  async start(n: number): Promise<void> {
    const starts: Promise<Postable>[] = [];
    for (let i = 0; i < n; i++) {
      const m: Member = { thread: undefined, dead: undefined, ready: undefined, pending: new Map() };
      this.members.push(m);
      starts.push(
        this.settle(
          i,
          (p) => (m.ready = p),
          () => (m.ready = undefined),
        ),
      );
      try {
        m.thread = await spawn(this.url, { message: (r) => this.received(m, r), died: (why) => this.died(i, why) });
        m.thread.hold(true);
      } catch (e) {
        this.died(i, e instanceof Error ? e.message : describe(e));
      }
    }
    try {
      await Promise.all(starts);
    } catch (e) {
      this.close();
      throw e;
    } finally {
      for (const m of this.members) m.thread?.hold(false);
    }
  }

  alive(i: number): boolean {
    return this.members[i] !== undefined && this.members[i].dead === undefined;
  }

  /** Async throughout: a refused message or a dead worker is a rejection, like a failure on the worker. */
  async request(i: number, message: Postable): Promise<Postable> {
    const op = "WorkerGroup.request";
    const m = this.members[expectInteger(op, "i", i, 0, Math.max(0, this.members.length - 1))];
    const body = encodePostable(expectPostable(op, "message", message));
    if (m.dead !== undefined) throw deathError(i, this.url, m.dead);
    const id = this.nextId++;
    const settled = this.settle(
      i,
      (p) => m.pending.set(id, p),
      () => m.pending.delete(id),
    );
    m.thread?.hold(true);
    m.thread?.post({ id, body });
    try {
      return await settled;
    } finally {
      if (m.pending.size === 0) m.thread?.hold(false);
    }
  }

  terminate(i: number, reason = "terminated"): void {
    const m = this.members[i];
    if (m?.thread === undefined || m.dead !== undefined) return;
    // Dead first: the browser's terminate reports itself as "terminated" (spawn's die).
    this.died(i, reason);
    m.thread.terminate();
  }

  close(): void {
    this.members.forEach((m, i) => {
      if (m.dead === undefined) {
        m.thread?.terminate();
        this.died(i, "the group was closed");
      }
    });
  }

  /** A promise registered by `register`, rejected (and the worker given up on) after the timeout. */
  private settle(i: number, register: (p: Pending) => void, unregister: () => void): Promise<Postable> {
    return new Promise<Postable>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        unregister();
      };
      register({
        resolve: (b) => {
          done();
          resolve(b);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      });
      timer = after(this.timeoutMs, () => this.terminate(i, `it did not answer within ${this.timeoutMs} ms (timeoutMs)`));
    });
  }

  private received(m: Member, reply: Reply): void {
    if ("ready" in reply) {
      m.ready?.resolve(null);
      return;
    }
    const p = m.pending.get(reply.id);
    if (p === undefined) return;
    if (reply.ok) p.resolve(decodePostable(reply.body));
    else p.reject(rebuildError(reply.error));
  }

  private died(i: number, why: string): void {
    const m = this.members[i];
    if (m.dead !== undefined) return;
    m.dead = why;
    const error = deathError(i, this.url, why);
    m.ready?.reject(error);
    for (const p of [...m.pending.values()]) p.reject(error);
  }
}

function deathError(i: number, url: URL, why: string): AdError {
  return new AdError("UnsupportedOp", `worker ${i} (${url.href}) died: ${why}`, { op: "WorkerGroup.request", worker: i, module: url.href, reason: why });
}

function rebuildError(e: PostedError): AdError {
  const code = (AD_ERROR_CODES as readonly string[]).includes(e.code) ? (e.code as AdErrorCode) : "UnsupportedOp";
  const op = typeof e.details.op === "string" ? e.details.op : "worker";
  const prefix = `${op}: `;
  return new AdError(code, e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message, { ...e.details, op });
}

/** An error as it crosses back: an AdError's code, message and (cloneable) details; anything else an UnsupportedOp. */
function postError(e: unknown): PostedError {
  if (e instanceof AdError) {
    let details: Record<string, unknown>;
    try {
      details = JSON.parse(JSON.stringify(e.details)) as Record<string, unknown>;
    } catch {
      details = { op: e.details.op };
    }
    return { code: e.code, message: e.message, details };
  }
  return { code: "UnsupportedOp", message: `the worker failed: ${e instanceof Error ? e.message : describe(e)}`, details: { op: "worker" } };
}

/** Whether this thread is a worker started by `startWorkers` (a worker module serves only there). */
export async function isGroupWorker(): Promise<boolean> {
  if (isNode) {
    const { isMainThread, workerData } = await import("node:worker_threads");
    return !isMainThread && (workerData as Record<string, unknown> | null)?.[MARK] === true;
  }
  const g = globalThis as { WorkerGlobalScope?: unknown; name?: unknown };
  return g.WorkerGlobalScope !== undefined && g.name === MARK;
}

/**
 * Worker side: answers every request with `handler(message)` (awaited; its error goes back as the
 * request's error), one at a time in arrival order, and tells the group it is ready.
 */
export async function serveRequests(handler: (message: Postable) => Postable | Promise<Postable>): Promise<void> {
  let post: (m: Reply) => void;
  let listen: (f: (m: { id: number; body: unknown }) => void) => void;
  if (isNode) {
    const { parentPort } = await import("node:worker_threads");
    if (parentPort === null) throw new AdError("UnsupportedOp", "serveRequests runs in a worker thread", { op: "serveRequests" });
    post = (m) => parentPort.postMessage(m);
    listen = (f) => parentPort.on("message", f);
  } else {
    const self = globalThis as unknown as { postMessage(m: unknown): void; addEventListener(t: string, f: (e: { data: unknown }) => void): void };
    post = (m) => self.postMessage(m);
    listen = (f) => self.addEventListener("message", (e) => f(e.data as { id: number; body: unknown }));
  }
  let queue = Promise.resolve();
  listen(({ id, body }) => {
    queue = queue.then(async () => {
      try {
        post({ id, ok: true, body: encodePostable(expectPostable("serveRequests", "reply", await handler(decodePostable(body)))) });
      } catch (e) {
        post({ id, ok: false, error: postError(e) });
      }
    });
  });
  post({ ready: true });
}
