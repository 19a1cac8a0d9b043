/**
 * One worker thread of the pool (pool.ts): the code it runs, how it is started, and the control block
 * it shares with the calling thread. Each worker has a slot of `SLOT` i32 words in the block; the
 * calling thread publishes a call there (the kernel, its arguments, the call's number) and the worker
 * claims it, runs the kernel on the shared wasm memory and reports done. A kernel is one of the main
 * module's, or the one function of a module attached later (a jit program's fused kernel): its bytes
 * lie in the pool's shared library, and each worker compiles it on first use and keeps it. The claim
 * word is how a part
 * can change hands: whoever turns it from "open" (−seq) to theirs (the worker: seq; the calling
 * thread: 0) runs the part, and nobody else does.
 */

/** The words of one worker's slot in the control block. */
export const LAYOUT = {
  /** The call's number (1, 2, …), or STOP. The worker sleeps on this word. */
  SEQ: 0,
  /** The number of the last call the worker finished. The caller sleeps on this word. */
  DONE: 1,
  /** The kernel, as an index into the target's names (or −1: an attached module's), and its ARGC i32 arguments. */
  FN: 2,
  ARGS: 3,
  /** 1 once the worker has instantiated the module and takes calls. */
  READY: 19,
  /** 1 when the kernel threw (the caller runs the part again itself). */
  FAILED: 20,
  /** The kernel's i32 result (flags). */
  RESULT: 21,
  /** −seq: open; seq: claimed by the worker; 0: taken by the calling thread. */
  CLAIM: 22,
  /** A fault to inject into the next claimed call (tests only): see FAULTS. */
  FAULT: 23,
  /** A word nobody writes: a worker told to hang waits on it until it is terminated. */
  PARK: 24,
  /** Where FN is −1: the attached module's bytes in the library, [AT, AT + LENGTH). */
  MODULE_AT: 25,
  MODULE_LENGTH: 26,
} as const;

/** The most i32 arguments a kernel call passes. */
export const ARGC = 16;
/** i32 words per worker. */
export const SLOT = 27;
/** The kernel index that says "the attached module at MODULE_AT". */
export const ATTACHED = -1;
/** The call number that tells a worker to return. */
export const STOP = -1;

/** Faults a test can inject into a worker's next claimed call: throw inside the kernel, exit the thread, or hang. */
export const FAULTS = { throw: 1, exit: 2, hang: 3 } as const;
export type Fault = keyof typeof FAULTS;

export interface WorkerInit {
  /** A compiled WebAssembly.Module and the shared WebAssembly.Memory it imports. */
  readonly module: object;
  readonly memory: object;
  readonly ctrl: Int32Array;
  /** The index of the worker's slot's first word in `ctrl`. */
  readonly base: number;
  readonly names: readonly string[];
  /** The attached modules' bytes (pool.ts `attach`), appended while the worker runs. */
  readonly library: Uint8Array;
  readonly layout: typeof LAYOUT;
  readonly argc: number;
  readonly faults: typeof FAULTS;
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
  port.once(({ module, memory, ctrl, base, names, library, layout: L, argc, faults }) => {
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
    Atomics.store(ctrl, base + L.READY, 1);
    Atomics.notify(ctrl, base + L.READY);
    let seen = 0;
    for (;;) {
      // Spin a little (tens of µs) before sleeping: a product's next call (the packing, then the
      // kernel) comes within microseconds, and waking a sleeping thread costs more than that. Not
      // longer: a spinning worker takes the core V8's own GC helper threads would use.
      for (let spin = 0; spin < 20000 && Atomics.load(ctrl, base + L.SEQ) === seen; spin++);
      Atomics.wait(ctrl, base + L.SEQ, seen);
      const seq = Atomics.load(ctrl, base + L.SEQ);
      if (seq === -1) return;
      seen = seq;
      // The calling thread may have taken the part already (it takes over parts nobody started).
      if (Atomics.compareExchange(ctrl, base + L.CLAIM, -seq, seq) !== -seq) continue;
      const fault = Atomics.exchange(ctrl, base + L.FAULT, 0);
      if (fault === faults.exit) return port.exit();
      if (fault === faults.hang) Atomics.wait(ctrl, base + L.PARK, 0);
      const a = base + L.ARGS;
      try {
        if (fault === faults.throw) throw new Error("injected fault");
        const index = ctrl[base + L.FN];
        const fn = index === -1 ? attachedAt(ctrl[base + L.MODULE_AT], ctrl[base + L.MODULE_LENGTH]) : fns[index];
        const result = fn(...ctrl.subarray(a, a + argc));
        Atomics.store(ctrl, base + L.RESULT, typeof result === "number" ? result | 0 : 0);
      } catch {
        Atomics.store(ctrl, base + L.FAILED, 1);
      }
      Atomics.store(ctrl, base + L.DONE, seq);
      Atomics.notify(ctrl, base + L.DONE);
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
