/**
 * The worker pool: threads that run the wasm kernels on the shared memory, each over its own part
 * of the output (a range of C's row or column panels), so a product is split without any two
 * threads writing the same element and every element is summed in the same order as on one thread
 * — the results are bit-identical to a single-threaded run.
 *
 * Workers are `worker_threads` in Node and the platform `Worker` in browsers, started lazily at the
 * first call big enough to split, and never keep a process alive (unref'd). A call hands each worker
 * its part through a shared control block (a sequence number, the kernel and its nine i32
 * arguments), runs the first part itself, then waits for the others: `Atomics.wait` where the
 * thread may block, a spin on `Atomics.load` on a browser's main thread, which may not.
 *
 * `setThreads(n)` sets how many threads a call uses (1: the calling thread alone); the default is
 * the machine's core count, or the `ADJOINT_THREADS` environment variable. Workers, once started,
 * sleep between calls (blocked in `Atomics.wait`, no CPU); `stopThreads()` terminates them.
 */
import { AdError, describe } from "../../errors.js";
import type { WasmMemory } from "./api.js";

/** Int32 slots per worker in the control block. */
const SLOT = 16;
const SEQ = 0;
const DONE = 1;
const FN = 2;
const ARGS = 3;
const READY = 12;
const FAILED = 13;
const RESULT = 14;
/** The sequence number that tells a worker to return. */
const STOP = -1;
/** How long the first call waits for new workers to come up before it runs without them (Node only). */
const START_TIMEOUT_MS = 5000;

interface NodeProcess {
  readonly versions?: { readonly node?: string };
  readonly env?: Record<string, string | undefined>;
}
interface WorkerHandle {
  postMessage(message: unknown): void;
  terminate(): unknown;
}
type WorkerFactory = (source: string) => WorkerHandle | undefined;

const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const isNode = typeof nodeProcess?.versions?.node === "string";

/**
 * The code each worker runs, as a self-contained function (its source is the worker's script). It
 * instantiates the module on the shared memory, reports ready, then serves calls until STOP.
 */
function serve(port: { once(listener: (message: WorkerInit) => void): void }): void {
  port.once(({ module, memory, ctrl, slot, names }) => {
    const base = slot * 16;
    const api = (globalThis as unknown as { WebAssembly: { Instance: new (m: object, i: object) => { exports: Record<string, unknown> } } }).WebAssembly;
    const instance = new api.Instance(module, { env: { memory } });
    const fns = names.map((n) => instance.exports[n] as (...args: number[]) => unknown);
    Atomics.store(ctrl, base + 12, 1);
    Atomics.notify(ctrl, base + 12);
    let seen = 0;
    for (;;) {
      // Spin a little (tens of µs) before sleeping: a product's next call (the packing, then the
      // kernel) comes within microseconds, and waking a sleeping thread costs more than that. Not
      // longer: a spinning worker takes the core V8's own GC helper threads would use.
      for (let spin = 0; spin < 20000 && Atomics.load(ctrl, base) === seen; spin++);
      Atomics.wait(ctrl, base, seen);
      const seq = Atomics.load(ctrl, base);
      if (seq === -1) return;
      seen = seq;
      const a = base + 3;
      try {
        const result = fns[ctrl[base + 2]](ctrl[a], ctrl[a + 1], ctrl[a + 2], ctrl[a + 3], ctrl[a + 4], ctrl[a + 5], ctrl[a + 6], ctrl[a + 7], ctrl[a + 8]);
        Atomics.store(ctrl, base + 14, typeof result === "number" ? result | 0 : 0);
      } catch {
        Atomics.store(ctrl, base + 13, 1);
      }
      Atomics.store(ctrl, base + 1, seq);
      Atomics.notify(ctrl, base + 1);
    }
  });
}

interface WorkerInit {
  /** A compiled WebAssembly.Module and the shared WebAssembly.Memory it imports. */
  readonly module: object;
  readonly memory: WasmMemory;
  readonly ctrl: Int32Array;
  readonly slot: number;
  readonly names: readonly string[];
}


/** Starts one worker from `source`: worker_threads in Node, a Blob-URL Worker in browsers; undefined if neither works. */
const startWorker: WorkerFactory = await (async (): Promise<WorkerFactory> => {
  if (isNode) {
    try {
      const { Worker } = await import("node:worker_threads");
      return (source) => {
        // execArgv [] so a parent run with --input-type=module does not make the script a module (no require).
        const worker = new Worker(`const { parentPort } = require("node:worker_threads"); (${source})({ once: (f) => parentPort.once("message", f) });`, { eval: true, execArgv: [] });
        // A worker that fails to start never reports ready, so calls run without it; the error must not crash the process.
        worker.on("error", () => undefined);
        worker.unref();
        return worker;
      };
    } catch {
      return () => undefined;
    }
  }
  const g = globalThis as { Worker?: new (url: string) => WorkerHandle & { onmessage: unknown }; Blob?: new (parts: string[], o: object) => object; URL?: { createObjectURL(b: object): string } };
  return (source) => {
    if (g.Worker === undefined || g.Blob === undefined || g.URL === undefined) return undefined;
    try {
      const script = `(${source})({ once: (f) => { self.onmessage = (e) => { self.onmessage = null; f(e.data); }; } });`;
      return new g.Worker(g.URL.createObjectURL(new g.Blob([script], { type: "text/javascript" })));
    } catch {
      return undefined; // a Content-Security-Policy that forbids blob: workers: run on one thread
    }
  };
})();

const defaultThreads: number = await (async () => {
  const env = Number(nodeProcess?.env?.ADJOINT_THREADS);
  if (Number.isInteger(env) && env >= 1) return env;
  if (isNode) {
    try {
      const os = await import("node:os");
      return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
    } catch {
      return 1;
    }
  }
  return (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
})();

/** The most threads `setThreads` accepts: more than this is a mistake, not a machine. */
export const MAX_THREADS = 256;

let threads = Math.min(MAX_THREADS, Math.max(1, defaultThreads));

/** What a pool runs: the compiled module, its shared memory, and the names of the functions it may call. */
export interface PoolTarget {
  readonly module: object;
  readonly memory: WasmMemory;
  readonly names: readonly string[];
}

class Pool {
  readonly ctrl: Int32Array;
  private readonly workers: WorkerHandle[] = [];
  private seq = 0;

  constructor(readonly target: PoolTarget) {
    this.ctrl = new Int32Array(new SharedArrayBuffer(SLOT * 4 * MAX_THREADS));
  }

  /** Starts workers until there are `count` (or a platform refuses one). */
  grow(count: number): void {
    const first = this.workers.length;
    for (let slot = first; slot < count; slot++) {
      const worker = startWorker(serve.toString());
      if (worker === undefined) break;
      worker.postMessage({ module: this.target.module, memory: this.target.memory, ctrl: this.ctrl, slot, names: this.target.names } satisfies WorkerInit);
      this.workers.push(worker);
    }
    // In Node the first call may block until the new workers are up; elsewhere they join when ready.
    if (isNode) {
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (let slot = first; slot < this.workers.length; slot++) {
        const left = deadline - Date.now();
        if (left > 0 && Atomics.load(this.ctrl, slot * SLOT + READY) === 0) Atomics.wait(this.ctrl, slot * SLOT + READY, 0, left);
      }
    }
  }

  /** Workers that have come up (slots 0…n−1 are started in order, so count the ready prefix). */
  ready(): number {
    let n = 0;
    while (n < this.workers.length && Atomics.load(this.ctrl, n * SLOT + READY) === 1) n++;
    return n;
  }

  /**
   * Runs `fn` (an index into the target's names) once per argument list: the first on this thread
   * through `local`, the others on workers 0…; returns when all are done, with the bitwise OR of the
   * kernels' i32 results (a kernel's flags, e.g. "some elements need the reference").
   */
  run(fn: number, parts: readonly (readonly number[])[], local: (args: readonly number[]) => number): number {
    const seq = ++this.seq;
    const c = this.ctrl;
    for (let w = 0; w < parts.length - 1; w++) {
      const base = w * SLOT;
      c[base + FN] = fn;
      c.set(parts[w + 1], base + ARGS);
      Atomics.store(c, base + SEQ, seq);
      Atomics.notify(c, base + SEQ);
    }
    let result = local(parts[0]) | 0;
    let failed = false;
    for (let w = 0; w < parts.length - 1; w++) {
      const base = w * SLOT;
      waitUntil(c, base + DONE, seq);
      if (Atomics.exchange(c, base + FAILED, 0) !== 0) failed = true;
      result |= Atomics.load(c, base + RESULT);
    }
    if (failed) throw new AdError("UnsupportedOp", "a worker thread failed inside a wasm kernel", { op: this.target.names[fn] });
    return result;
  }

  stop(): void {
    for (let w = 0; w < this.workers.length; w++) {
      Atomics.store(this.ctrl, w * SLOT + SEQ, STOP);
      Atomics.notify(this.ctrl, w * SLOT + SEQ);
      this.workers[w].terminate();
    }
    this.workers.length = 0;
  }

  get started(): number {
    return this.workers.length;
  }
}

/** Spins briefly, then blocks (or keeps spinning, where this thread may not block) until `c[i]` equals `value`. */
function waitUntil(c: Int32Array, i: number, value: number): void {
  for (let spin = 0; spin < 200000; spin++) if (Atomics.load(c, i) === value) return;
  for (;;) {
    const now = Atomics.load(c, i);
    if (now === value) return;
    try {
      Atomics.wait(c, i, now, 100);
    } catch {
      // A browser's main thread may not block: spin.
    }
  }
}

let pool: Pool | undefined;

/**
 * The pool for `target`, with at least `threads − 1` workers started (on first use); undefined for
 * one thread. Workers beyond the current count stay asleep (blocked, using no CPU) until needed again.
 */
export function poolFor(target: PoolTarget): { readonly workers: number; run: Pool["run"] } | undefined {
  if (threads <= 1) return undefined;
  if (pool !== undefined && pool.target !== target) stopThreads();
  const p = (pool ??= new Pool(target));
  if (p.started < threads - 1) p.grow(threads - 1);
  const workers = Math.min(p.ready(), threads - 1);
  return workers === 0 ? undefined : { workers, run: (fn, parts, local) => p.run(fn, parts, local) };
}

/**
 * Sets how many threads the wasm kernels use (1: only the calling thread). Lowering it leaves the
 * extra workers asleep; raising it starts more at the next call big enough to split.
 */
export function setThreads(n: number): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new AdError("InvalidArgument", `setThreads: n must be an integer in [1, ${MAX_THREADS}], got ${describe(n)}`, { op: "setThreads", got: describe(n) });
  }
  threads = n;
}

/** The number of threads the wasm kernels use. */
export function getThreads(): number {
  return threads;
}

/** Terminates every worker (they are started again by the next call that splits). */
export function stopThreads(): void {
  pool?.stop();
  pool = undefined;
}

/** How many worker threads are running now (0 before the first split call or after `stopThreads`). */
export function runningWorkers(): number {
  return pool?.started ?? 0;
}

/**
 * How many of them have come up and take calls. In a browser a worker starts while the page's own
 * code yields, so the first calls after `setThreads` may run without it.
 */
export function readyWorkers(): number {
  return pool?.ready() ?? 0;
}
