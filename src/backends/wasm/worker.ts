/**
 * One worker thread of the pool (pool.ts): the code it runs, how it is started, and the blocks of
 * shared words it uses with the calling thread. A call is published in the **queue**: the kernel,
 * then its parts (each an argument list) with a state word per part. Every thread — the caller and
 * each worker it wakes — claims open parts one at a time and runs them, until none is left, so a
 * worker that wakes late (waking a sleeping thread costs ~150 µs on a 2-core VM) or runs slowly
 * just does fewer parts instead of holding up the call. A part's state word is how it changes
 * hands: whoever turns it from "open" (−seq, the call's number) to theirs (a worker's id, or CALLER)
 * runs it, and nobody else does. Each worker also has a slot of `SLOT` words (its wake-up word, …).
 * A kernel is one of the main module's, or the one function of a module attached later (a jit
 * program's fused kernel): its bytes lie in the pool's shared library, and each worker compiles it
 * on first use and keeps it.
 */

/** The words of one worker's slot in the control block. */
export const LAYOUT = {
  /** The call's number (1, 2, …), or STOP. The worker sleeps on this word. */
  SEQ: 0,
  /** 1 once the worker has instantiated the module and takes calls. */
  READY: 1,
  /** A fault to inject into the next part the worker claims (tests only): see FAULTS. */
  FAULT: 2,
  /** A word nobody writes: a worker told to hang waits on it until it is terminated. */
  PARK: 3,
} as const;

/** i32 words per worker (a cache line: a spinning worker reads its own line only). */
export const SLOT = 16;

/** The queue's header words, then its parts from word HEAD, PART words each (a cache line pair). */
export const QUEUE = {
  /** The kernel, as an index into the target's names (or ATTACHED: the module at MODULE_AT). */
  FN: 0,
  /** Where FN is ATTACHED: the attached module's bytes in the library, [AT, AT + LENGTH). */
  MODULE_AT: 1,
  MODULE_LENGTH: 2,
  /** How many parts the call has. */
  COUNT: 3,
  HEAD: 16,
  PART: 32,
  /** A part's words: its state, the kernel's i32 result, then its ARGC arguments. */
  STATE: 0,
  RESULT: 1,
  ARGS: 2,
} as const;

/** The most parts one queued call holds (pool.ts runs longer lists in several calls). */
export const MAX_PARTS = 64;

/** A part's states besides "open" (−seq) and "claimed by worker id" (1 + its slot index). */
export const STATES = {
  CALLER: (1 << 30) - 1,
  DONE: 1 << 30,
  /** The kernel threw on the worker (the caller runs the part again itself). */
  FAILED: (1 << 30) + 1,
} as const;

/** The most i32 arguments a kernel call passes. */
export const ARGC = 16;
/** The kernel index that says "the attached module at MODULE_AT". */
export const ATTACHED = -1;
/** The call number that tells a worker to return. */
export const STOP = -1;

/** Faults a test can inject into a worker's next claimed part: throw inside the kernel, exit the thread, or hang. */
export const FAULTS = { throw: 1, exit: 2, hang: 3 } as const;
export type Fault = keyof typeof FAULTS;

export interface WorkerInit {
  /** A compiled WebAssembly.Module and the shared WebAssembly.Memory it imports. */
  readonly module: object;
  readonly memory: object;
  readonly ctrl: Int32Array;
  readonly queue: Int32Array;
  /** The index of the worker's slot's first word in `ctrl`; the worker's id is base / SLOT + 1. */
  readonly base: number;
  readonly names: readonly string[];
  /** The attached modules' bytes (pool.ts `attach`), appended while the worker runs. */
  readonly library: Uint8Array;
  readonly layout: typeof LAYOUT;
  readonly slot: number;
  readonly q: typeof QUEUE;
  readonly states: typeof STATES;
  readonly argc: number;
  readonly faults: typeof FAULTS;
  /** How long a worker spins for the next call before it sleeps (ms). */
  readonly spinMs: number;
}

/** What the platform gives the worker's code: its first message, and a way to end its own thread. */
interface Port {
  once(listener: (message: WorkerInit) => void): void;
  exit(): void;
}

/**
 * The code each worker runs, as a self-contained function (its source is the worker's script). It
 * instantiates the module on the shared memory, reports ready, then serves calls until STOP.
 */
function serve(port: Port): void {
  port.once(({ module, memory, ctrl, queue, base, names, library, layout: L, slot, q: Q, states, argc, faults, spinMs }) => {
    type Fn = (...args: number[]) => unknown;
    const api = (globalThis as unknown as { WebAssembly: { Module: new (b: Uint8Array) => object; Instance: new (m: object, i: object) => { exports: Record<string, unknown> } } })
      .WebAssembly;
    const instance = new api.Instance(module, { env: { memory } });
    const fns = names.map((n) => instance.exports[n] as Fn);
    // Attached modules by their place in the library (a place is never reused within a pool).
    const attached = new Map<number, Fn>();
    const attachedAt = (at: number, length: number): Fn => {
      let fn = attached.get(at);
      if (fn === undefined) {
        const exports = new api.Instance(new api.Module(library.slice(at, at + length)), { env: { memory } }).exports;
        fn = Object.values(exports).find((e) => typeof e === "function") as Fn;
        attached.set(at, fn);
      }
      return fn;
    };
    const id = base / slot + 1;
    Atomics.store(ctrl, base + L.READY, 1);
    Atomics.notify(ctrl, base + L.READY);
    let seen = 0;
    for (;;) {
      // Spin `spinMs` before sleeping (after a call, or after a bare notify: pool.ts `wake`): waking
      // a sleeping thread costs far more than a kernel part, and a step's next split call is near.
      const until = performance.now() + spinMs;
      for (let spin = 1; Atomics.load(ctrl, base + L.SEQ) === seen; spin++) if ((spin & 1023) === 0 && performance.now() >= until) break;
      Atomics.wait(ctrl, base + L.SEQ, seen);
      const seq = Atomics.load(ctrl, base + L.SEQ);
      if (seq === -1) return;
      if (seq === seen) continue; // a bare notify: spin again
      seen = seq;
      // From the last part down (the caller claims from the first up); a part whose state is not
      // −seq was taken by someone else, or belongs to another call (the caller may have moved on).
      for (let p = Atomics.load(queue, Q.COUNT) - 1; p >= 0; p--) {
        const at = Q.HEAD + p * Q.PART;
        if (Atomics.load(queue, at + Q.STATE) !== -seq || Atomics.compareExchange(queue, at + Q.STATE, -seq, id) !== -seq) continue;
        const fault = Atomics.exchange(ctrl, base + L.FAULT, 0);
        if (fault === faults.exit) return port.exit();
        if (fault === faults.hang) Atomics.wait(ctrl, base + L.PARK, 0);
        try {
          if (fault === faults.throw) throw new Error("injected fault");
          const index = queue[Q.FN];
          const fn = index === -1 ? attachedAt(queue[Q.MODULE_AT], queue[Q.MODULE_LENGTH]) : fns[index];
          const result = fn(...queue.subarray(at + Q.ARGS, at + Q.ARGS + argc));
          queue[at + Q.RESULT] = typeof result === "number" ? result | 0 : 0;
          Atomics.store(queue, at + Q.STATE, states.DONE);
        } catch {
          Atomics.store(queue, at + Q.STATE, states.FAILED);
        }
        Atomics.notify(queue, at + Q.STATE);
      }
    }
  });
}

/** A started worker: the platform's handle, and whether the thread is known to have ended. */
export interface WorkerHandle {
  postMessage(message: WorkerInit): void;
  terminate(): unknown;
  /** Set when the platform reports the thread gone (Node's `exit` event; it arrives when the caller yields). */
  exited: boolean;
}

type WorkerFactory = () => WorkerHandle | undefined;

/** Starts one worker: worker_threads in Node, a Blob-URL Worker in browsers; undefined if neither works. */
export async function workerFactory(isNode: boolean): Promise<WorkerFactory> {
  const source = serve.toString();
  if (isNode) {
    try {
      const { Worker } = await import("node:worker_threads");
      // execArgv [] so a parent run with --input-type=module does not make the script a module (no require).
      // In a worker, process.exit() ends the thread, not the process.
      const script = `const { parentPort } = require("node:worker_threads"); (${source})({ once: (f) => parentPort.once("message", f), exit: () => process.exit() });`;
      return () => {
        const worker = new Worker(script, { eval: true, execArgv: [] });
        const handle: WorkerHandle = { postMessage: (m) => worker.postMessage(m), terminate: () => worker.terminate(), exited: false };
        // A worker that fails to start never reports ready, so calls run without it; the error must not crash the process.
        worker.on("error", () => undefined);
        worker.on("exit", () => (handle.exited = true));
        worker.unref();
        return handle;
      };
    } catch {
      return () => undefined;
    }
  }
  const g = globalThis as {
    Worker?: new (url: string) => { postMessage(m: unknown): void; terminate(): void };
    Blob?: new (parts: string[], o: object) => object;
    URL?: { createObjectURL(b: object): string };
  };
  return () => {
    if (g.Worker === undefined || g.Blob === undefined || g.URL === undefined) return undefined;
    try {
      const script = `(${source})({ once: (f) => { self.onmessage = (e) => { self.onmessage = null; f(e.data); }; }, exit: () => self.close() });`;
      const worker = new g.Worker(g.URL.createObjectURL(new g.Blob([script], { type: "text/javascript" })));
      // A browser reports no exit: a worker that dies there is found by the pool's bounded wait.
      return { postMessage: (m) => worker.postMessage(m), terminate: () => worker.terminate(), exited: false };
    } catch {
      return undefined; // a Content-Security-Policy that forbids blob: workers: run on one thread
    }
  };
}
