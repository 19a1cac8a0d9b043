/**
 * Worker threads with death detection: start N workers from a module, post each a request, await
 * its reply — and never hang on one that died. The one worker implementation under `dataParallel`,
 * `parallelGradient` and the public `startWorkers` (workers.ts, which adds the `Postable` rules on
 * top); messages here are whatever the structured clone carries, with optional transfer lists, and
 * nothing here imports tensors, so a scalar worker stays small. The kernel pool
 * (backends/wasm/pool.ts) is a different thing: it splits one kernel over shared wasm memory,
 * synchronously.
 *
 * A worker is a module that calls `serveThread(handler)`. Node runs it on `worker_threads`, a
 * browser as a module Worker. A request's promise settles exactly once:
 * - with the handler's reply;
 * - with the handler's error, an `AdError` again on this side (same code, message and details);
 * - with an `UnsupportedOp` naming the worker when its thread ends first: Node reports every exit
 *   (`process.exit()` inside it, `terminate()`, a crash); a browser reports an uncaught error, and
 *   a worker whose code calls `close()` says so itself before it closes (the browser reports nothing);
 * - with the same `UnsupportedOp` after `timeoutMs`: a worker that has not answered by then is
 *   terminated and counted dead (the default, 10 minutes, only rules out waiting forever).
 * A dead worker stays dead; the group's user decides whether to go on with the survivors.
 * `details.reason` says how it died, as a phrase that follows "it" ("exited with code 7").
 */
import { AD_ERROR_CODES, AdError, describe, invalidArgument, type AdErrorCode } from "../errors.js";

const DEFAULT_TIMEOUT_MS = 600_000;

/** What a worker answers: ready once, then one reply per request; `closed` when its code closes it (browsers). */
type Reply =
  | { readonly ready: true }
  | { readonly closed: true }
  | { readonly id: number; readonly ok: true; readonly body: unknown }
  | { readonly id: number; readonly ok: false; readonly error: PostedError };

interface PostedError {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** The platform's worker, reduced to what a group needs. */
interface Thread {
  post(message: unknown, transfer: readonly ArrayBuffer[]): void;
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
    w.on("error", (e: unknown) => (error = e instanceof Error ? `threw ${e.name}: ${e.message}` : `threw ${describe(e)}`));
    w.on("messageerror", () => (error = "sent a message that could not be read"));
    w.on("exit", (code: number) => on.died(error ?? `exited with code ${code}`));
    return { post: (m, transfer) => w.postMessage(m, transfer as never), terminate: () => void w.terminate(), hold: (held) => (held ? w.ref() : w.unref()) };
  }
  const W = (globalThis as { Worker?: new (url: URL, o: object) => BrowserWorker }).Worker;
  if (W === undefined) throw new AdError("UnsupportedOp", "this platform has no Worker", { op: "startWorkers" });
  const w = new W(url, { type: "module", name: MARK });
  w.addEventListener("message", (e) => on.message((e as Event & { data: Reply }).data));
  const die = (reason: string) => {
    w.terminate();
    on.died(reason);
  };
  w.addEventListener("error", (e) => {
    const message = (e as Event & { message?: string }).message;
    die(message ? `threw ${message}` : `failed: its module ${url.href} did not load or threw`);
  });
  w.addEventListener("messageerror", () => die("sent a message that could not be read"));
  return { post: (m, transfer) => w.postMessage(m, transfer), terminate: () => die("was terminated"), hold: () => undefined };
}

interface BrowserWorker {
  postMessage(m: unknown, transfer: readonly ArrayBuffer[]): void;
  terminate(): void;
  addEventListener(type: string, listener: (e: Event) => void): void;
}

/** The worker module's URL: a relative string is read against the page (a browser) or the working directory (Node). */
export function moduleUrl(op: string, url: unknown): URL {
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
  resolve(body: unknown): void;
  reject(error: AdError): void;
}

interface Member {
  thread: Thread | undefined;
  dead: string | undefined;
  ready: Pending | undefined;
  readonly pending: Map<number, Pending>;
}

/**
 * Workers running the module at `url`. `start(n)` adds n workers (and may be called again to add
 * more); `request` posts to one; `close` ends them all, and workers added after it are dead at once.
 */
export class ThreadGroup {
  private readonly members: Member[] = [];
  private nextId = 1;
  /** @internal Tests: how many requests went as messages (a `signal` posts none). */
  posted = 0;
  private closed = false;

  constructor(
    readonly url: URL,
    private readonly timeoutMs: number,
  ) {}

  get size(): number {
    return this.members.length;
  }

  /** Adds `n` workers and resolves once every one is ready; if one dies or times out first, closes the group and rejects. */
  async start(n: number): Promise<void> {
    const starts: Promise<unknown>[] = [];
    const first = this.members.length;
    for (let k = 0; k < n; k++) {
      const i = this.members.length;
      const m: Member = { thread: undefined, dead: undefined, ready: undefined, pending: new Map() };
      this.members.push(m);
      starts.push(
        this.settle(
          i,
          (p) => (m.ready = p),
          () => (m.ready = undefined),
        ),
      );
      if (this.closed) {
        this.died(i, "was stopped: its group was closed");
        continue;
      }
      try {
        m.thread = await spawn(this.url, { message: (r) => this.received(i, r), died: (why) => this.died(i, why) });
        m.thread.hold(true);
        // Closed (or given up on) while its thread was being made: end the thread too.
        if (m.dead !== undefined) m.thread.terminate();
      } catch (e) {
        this.died(i, `could not start: ${e instanceof Error ? e.message : describe(e)}`);
      }
    }
    try {
      await Promise.all(starts);
    } catch (e) {
      this.close();
      throw e;
    } finally {
      for (const m of this.members.slice(first)) m.thread?.hold(false);
    }
  }

  alive(i: number): boolean {
    return this.members[i] !== undefined && this.members[i].dead === undefined;
  }

  /** Posts `message` to worker i (moving `transfer`) and resolves with its reply; async throughout, so a dead worker is a rejection. */
  request(i: number, message: unknown, transfer: readonly ArrayBuffer[] = []): Promise<unknown> {
    return this.exchange(i, (m, id) => {
      m.thread?.post({ id, body: message }, transfer);
      this.posted++;
    });
  }

  /**
   * A request worker i receives through shared memory instead of a message (dataParallel's
   * channel.ts): `start(id)` hands it over and returns a promise of its reply. It settles as a
   * posted request does: with that reply, with the worker's error answer to `id` (`failRequest`),
   * or with an `UnsupportedOp` when the worker dies or after the timeout.
   */
  signal(i: number, start: (id: number) => Promise<unknown>): Promise<unknown> {
    return this.exchange(i, (m, id) => {
      start(id).then(
        (body) => m.pending.get(id)?.resolve(body),
        (e: unknown) => m.pending.get(id)?.reject(e instanceof AdError ? e : new AdError("UnsupportedOp", describe(e), { op: "worker" })),
      );
    });
  }

  /**
   * One request to worker i, however it is sent (`send`): registered under a fresh id before it goes,
   * settled by the reply, the worker's death or the timeout, the worker held while any is pending.
   */
  private async exchange(i: number, send: (m: Member, id: number) => void): Promise<unknown> {
    const m = this.members[i];
    if (m.dead !== undefined) throw deathError(i, this.url, m.dead);
    const id = this.nextId++;
    const settled = this.settle(
      i,
      (p) => m.pending.set(id, p),
      () => m.pending.delete(id),
    );
    m.thread?.hold(true);
    send(m, id);
    try {
      return await settled;
    } finally {
      if (m.pending.size === 0) m.thread?.hold(false);
    }
  }

  /** Ends worker i now (its pending requests fail as a death, for `reason`). */
  terminate(i: number, reason = "was terminated"): void {
    const m = this.members[i];
    if (m?.thread === undefined || m.dead !== undefined) return;
    // Dead first: the browser's terminate reports itself as "was terminated" (spawn's die).
    this.died(i, reason);
    m.thread.terminate();
  }

  close(): void {
    this.closed = true;
    this.members.forEach((m, i) => {
      if (m.dead === undefined) {
        m.thread?.terminate();
        this.died(i, "was stopped: its group was closed");
      }
    });
  }

  /** A promise registered by `register`, rejected (and the worker given up on) after the timeout. */
  private settle(i: number, register: (p: Pending) => void, unregister: () => void): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
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
      timer = after(this.timeoutMs, () => this.terminate(i, `did not answer within ${this.timeoutMs} ms (timeoutMs)`));
    });
  }

  private received(i: number, reply: Reply): void {
    const m = this.members[i];
    if ("ready" in reply) {
      m.ready?.resolve(null);
      return;
    }
    if ("closed" in reply) {
      this.terminate(i, "closed itself");
      return;
    }
    const p = m.pending.get(reply.id);
    if (p === undefined) return;
    if (reply.ok) p.resolve(reply.body);
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
  return new AdError("UnsupportedOp", `worker ${i} (${url.href}) died (it ${why})`, { op: "WorkerGroup.request", worker: i, module: url.href, reason: why });
}

/** A worker's death as `deathError` made it: its index and how it died; undefined for any other error. */
export function deathOf(e: unknown): { readonly worker: number; readonly reason: string } | undefined {
  if (!(e instanceof AdError) || e.details.op !== "WorkerGroup.request") return undefined;
  const { worker, reason } = e.details;
  return typeof worker === "number" && typeof reason === "string" ? { worker, reason } : undefined;
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

/** Whether this thread is a worker started by a `ThreadGroup` (a worker module serves only there). */
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
 * request's error), one at a time in arrival order, moving `transferOf(reply)` with each reply, and
 * tells the group it is ready.
 */
export async function serveThread(handler: (message: unknown) => unknown, transferOf: (reply: unknown) => ArrayBuffer[] = () => []): Promise<void> {
  let listen: (f: (m: { id: number; body: unknown }) => void) => void;
  if (isNode) {
    const { parentPort } = await import("node:worker_threads");
    if (parentPort === null) throw new AdError("UnsupportedOp", "serveRequests runs in a worker thread", { op: "serveRequests" });
    post = (m, transfer) => parentPort.postMessage(m, transfer as never);
    listen = (f) => parentPort.on("message", f);
  } else {
    const self = globalThis as unknown as {
      postMessage(m: unknown, transfer?: ArrayBuffer[]): void;
      addEventListener(t: string, f: (e: { data: unknown }) => void): void;
      close(): void;
    };
    post = (m, transfer) => self.postMessage(m, transfer);
    listen = (f) => self.addEventListener("message", (e) => f(e.data as { id: number; body: unknown }));
    // A worker that closes itself ends with no event on the calling side: it says so first.
    const close = self.close.bind(self);
    self.close = () => {
      self.postMessage({ closed: true } satisfies Reply);
      close();
    };
  }
  let queue = Promise.resolve();
  listen(({ id, body }) => {
    queue = queue.then(async () => {
      try {
        const reply = await handler(body);
        post({ id, ok: true, body: reply }, transferOf(reply));
      } catch (e) {
        failRequest(id, e);
      }
    });
  });
  post({ ready: true });
}

/** How this worker posts to its group (set by `serveThread`). */
let post: (m: Reply, transfer?: ArrayBuffer[]) => void = () => undefined;

/** Worker side: answers request `id` (posted, or handed over by `ThreadGroup.signal`) with the error `e`. */
export function failRequest(id: number, e: unknown): void {
  post({ id, ok: false, error: postError(e) });
}
