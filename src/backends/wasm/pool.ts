/**
 * The worker pool: threads that run the wasm kernels on the shared memory, each over its own part
 * of the output (a range of C's row or column panels), so a product is split without any two
 * threads writing the same element and every element is summed in the same order as on one thread
 * — the results are bit-identical to a single-threaded run, whichever thread ends up running a part.
 *
 * A part runs one of the main module's kernels, or the function of a module attached to the pool
 * (`PoolRun.attach`: a jit program's fused kernel, whose bytes the workers compile from the pool's
 * shared library on first use).
 *
 * Workers (worker.ts) are started lazily at the first call big enough to split, and never keep a
 * process alive (unref'd). A call publishes its parts in the shared queue and wakes the workers it
 * needs; then every thread, the caller included, claims open parts one by one until none is left
 * (the caller from the first, the workers from the last), so a worker that is slow to wake or to
 * run does fewer parts rather than delay the call. The caller then collects the parts the workers
 * claimed: `Atomics.wait` in slices where the thread may block, a spin on `Atomics.load` on a
 * browser's main thread, which may not.
 *
 * A worker can die (terminated, out of memory, a crash) or throw, and no call may hang on it. The
 * calling thread cannot see a worker's `exit` event while it waits (events arrive only when it
 * yields), so it never waits without a bound:
 * - a dead worker claims nothing: the caller runs every part it left open;
 * - a part whose kernel threw on the worker is run again by the caller (the worker is still alive,
 *   idle, and keeps its place);
 * - a part claimed but not done within max(STALL_MS, STALL_FACTOR × the caller's own parts' time)
 *   means its worker died or stalled inside the kernel. The caller terminates it and runs the part
 *   again from the start (a kernel part writes the same bits however many times it is run from its
 *   inputs). A thread that was only stalled, not dead, stops at its next loop check once terminated;
 *   in case it writes once more before that, the pool is marked abandoned: the rest of the op runs
 *   on the calling thread and the next op gets a fresh memory and pool (runtime.ts), so nothing it
 *   writes late can reach a later result.
 * Only when the caller itself cannot run a part does the call fail, with an `AdError`. A worker seen
 * dead (its `exit` event, or a stall) is replaced at the next call; after MAX_DEATHS deaths the
 * kernels run on the calling thread until `setThreads` is called again.
 *
 * `setThreads(n)` sets how many threads a call uses (1: the calling thread alone), at most the
 * machine's hardware threads; the default is that count, or the `ADJOINT_THREADS` environment
 * variable. Workers, once started, sleep between calls (blocked in `Atomics.wait`, no CPU);
 * `stopThreads()` terminates them.
 */
import { AdError, describe } from "../../errors.js";
import type { WasmMemory } from "./api.js";
import { ARGC, ATTACHED, FAULTS, LAYOUT as L, MAX_PARTS, QUEUE as Q, SLOT, STATES, STOP, workerFactory, type Fault, type WorkerHandle } from "./worker.js";

/** How long the first call waits for new workers to come up before it runs without them (Node only). */
const START_TIMEOUT_MS = 5000;
/** A claimed part not done after max(STALL_MS, STALL_FACTOR × the caller's part) means a dead or stalled worker. */
const STALL_MS = 2000;
const STALL_FACTOR = 20;
/** Worker deaths after which the kernels stay on the calling thread (until `setThreads`). */
const MAX_DEATHS = 8;
/** How long the caller sleeps at most between its checks on a worker's part. */
const SLICE_MS = 50;
/**
 * How long a worker spins for its next call after one (or after `wake`) before it sleeps: waking a
 * sleeping worker costs ~150 µs on the 2-core VM, so split calls that follow each other closely
 * should find it awake. Not longer: on a busy machine a spinning worker takes a core another
 * process (or V8's own GC helper threads) would use.
 */
const SPIN_MS = 0.25;
/** Room for attached modules (a fused kernel's module is a few KB); when it is full, they run on the calling thread. */
const LIBRARY_BYTES = 1 << 20;

interface NodeProcess {
  readonly versions?: { readonly node?: string };
  readonly env?: Record<string, string | undefined>;
}

const nodeProcess = (globalThis as { process?: NodeProcess }).process;
const isNode = typeof nodeProcess?.versions?.node === "string";
const startWorker = await workerFactory(isNode);

/** The machine's hardware threads: more threads than these only take turns on the same cores. */
const cores: number = await (async () => {
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

/** The thread count is capped at the machine's hardware threads (tests lift the cap: `setThreadCap`). */
let cap = Math.max(1, cores);
const fromEnv = Number(nodeProcess?.env?.ADJOINT_THREADS);
let threads = Math.min(cap, MAX_THREADS, Number.isInteger(fromEnv) && fromEnv >= 1 ? fromEnv : cap);
/** Workers seen dead since the last `setThreads`. */
let deaths = 0;

/** What a pool runs: the compiled module, its shared memory, and the names of the functions it may call. */
export interface PoolTarget {
  readonly module: object;
  readonly memory: WasmMemory;
  readonly names: readonly string[];
}

/** One worker and its slot in the control block (a slot is never reused: a replacement gets a new one). */
interface Member {
  readonly handle: WorkerHandle;
  readonly base: number;
  dead: boolean;
}

/** A module attached to the pool (`PoolRun.attach`): where its bytes lie in the library. */
export interface Attached {
  readonly at: number;
  readonly length: number;
}

/** Slots: every thread the count allows, plus one replacement per death. */
const CAPACITY = MAX_THREADS + MAX_DEATHS;

class Pool {
  readonly ctrl = new Int32Array(new SharedArrayBuffer(SLOT * 4 * CAPACITY));
  /** The call being run: its kernel and its parts (worker.ts QUEUE). */
  private readonly queue = new Int32Array(new SharedArrayBuffer((Q.HEAD + MAX_PARTS * Q.PART) * 4));
  /** Attached modules' bytes, appended; the workers compile each on first use. */
  private readonly library = new Uint8Array(new SharedArrayBuffer(LIBRARY_BYTES));
  private libraryEnd = 0;
  private readonly attachedModules = new WeakMap<Uint8Array, Attached>();
  private readonly members: Member[] = [];
  private seq = 0;
  /** A worker was given up on inside a kernel: this pool's memory is not used for another op. */
  abandoned = false;

  constructor(readonly target: PoolTarget) {}

  /** Marks the workers whose thread has ended (reported while the caller yielded) as dead. */
  prune(): void {
    for (const m of this.members) {
      if (m.dead || !m.handle.exited) continue;
      m.dead = true;
      deaths++;
    }
  }

  /** Starts workers until `count` are alive (or a platform refuses one). */
  grow(count: number): void {
    const first = this.members.length;
    let alive = this.alive().length;
    while (alive < count && this.members.length < CAPACITY) {
      const handle = startWorker();
      if (handle === undefined) break;
      const base = this.members.length * SLOT;
      const { module, memory, names } = this.target;
      handle.postMessage({
        module,
        memory,
        ctrl: this.ctrl,
        queue: this.queue,
        base,
        names,
        library: this.library,
        layout: L,
        slot: SLOT,
        q: Q,
        states: STATES,
        argc: ARGC,
        faults: FAULTS,
        spinMs: SPIN_MS,
      });
      this.members.push({ handle, base, dead: false });
      alive++;
    }
    // In Node the first call may block until the new workers are up; elsewhere they join when ready.
    if (isNode) {
      const deadline = Date.now() + START_TIMEOUT_MS;
      for (const { base } of this.members.slice(first)) {
        const left = deadline - Date.now();
        if (left > 0 && Atomics.load(this.ctrl, base + L.READY) === 0) Atomics.wait(this.ctrl, base + L.READY, 0, left);
      }
    }
  }

  /** The workers neither seen dead nor reported exited. */
  alive(): Member[] {
    return this.members.filter((m) => !m.dead && !m.handle.exited);
  }

  /** Up to `count` live workers that have come up and take calls. */
  ready(count = Infinity): Member[] {
    const out: Member[] = [];
    for (const m of this.members) {
      if (out.length >= count) break;
      if (!m.dead && !m.handle.exited && Atomics.load(this.ctrl, m.base + L.READY) === 1) out.push(m);
    }
    return out;
  }

  /** Puts a module's bytes in the library (once per bytes object); undefined when the library is full. */
  attach(bytes: Uint8Array): Attached | undefined {
    let placed = this.attachedModules.get(bytes);
    if (placed === undefined) {
      if (this.libraryEnd + bytes.length > LIBRARY_BYTES) return undefined;
      this.library.set(bytes, this.libraryEnd);
      placed = { at: this.libraryEnd, length: bytes.length };
      this.libraryEnd += bytes.length;
      this.attachedModules.set(bytes, placed);
    }
    return placed;
  }

  /**
   * Runs kernel `fn` (an index into the target's names, or an attached module's one function) once
   * per argument list, on this thread and on `members` (see the file's comment); returns when all
   * are done, with the bitwise OR of the kernels' i32 results (a kernel's flags, e.g. "some elements
   * need the reference"). `call` runs the kernel here; `afterPart(p)` runs on this thread once for
   * every part p: right after this thread ran it, or when a worker's part is collected.
   */
  run(
    members: readonly Member[],
    fn: number | Attached,
    parts: readonly (readonly number[])[],
    call: (args: readonly number[]) => number,
    afterPart?: (p: number) => void,
  ): number {
    // A part's arguments beyond ARGC words would overwrite the next part's words.
    if (parts.some((args) => args.length > ARGC)) throw kernelFailed(this.kernelName(fn), `more than ${ARGC} arguments`);
    let result = 0;
    for (let from = 0; from < parts.length; from += MAX_PARTS) {
      const batch = parts.slice(from, from + MAX_PARTS);
      result |= this.runQueued(members, fn, batch, call, afterPart && ((p) => afterPart(from + p)));
    }
    return result;
  }

  private runQueued(
    members: readonly Member[],
    fn: number | Attached,
    parts: readonly (readonly number[])[],
    call: (args: readonly number[]) => number,
    afterPart?: (p: number) => void,
  ): number {
    const seq = ++this.seq;
    const [c, q] = [this.ctrl, this.queue];
    if (typeof fn === "number") q[Q.FN] = fn;
    else [q[Q.FN], q[Q.MODULE_AT], q[Q.MODULE_LENGTH]] = [ATTACHED, fn.at, fn.length];
    q[Q.COUNT] = parts.length;
    parts.forEach((args, p) => {
      q.set(args, Q.HEAD + p * Q.PART + Q.ARGS);
      Atomics.store(q, Q.HEAD + p * Q.PART + Q.STATE, -seq);
    });
    for (const { base } of members.slice(0, parts.length - 1)) {
      Atomics.store(c, base + L.SEQ, seq);
      Atomics.notify(c, base + L.SEQ);
    }
    let result = 0;
    let failure: unknown;
    let own = 0;
    let ran = 0;
    // Claim from the first part up; after a failure, close the open parts without running them.
    parts.forEach((args, p) => {
      if (Atomics.compareExchange(q, Q.HEAD + p * Q.PART + Q.STATE, -seq, STATES.CALLER) !== -seq || failure !== undefined) return;
      const t0 = performance.now();
      try {
        result |= call(args) | 0;
        afterPart?.(p);
      } catch (e) {
        failure = e; // the workers' parts are still collected: none may run on after this call returns
      }
      own += performance.now() - t0;
      ran++;
    });
    const now = performance.now();
    const part = own / Math.max(1, ran);
    const [spinUntil, deadline] = [now + 2 * part, now + Math.max(STALL_MS, STALL_FACTOR * part)];
    parts.forEach((args, p) => {
      try {
        const state = this.collect(p, spinUntil, deadline);
        if (state === STATES.CALLER) return;
        // After a failure the call throws anyway: parts taken back from workers are not run.
        if (state === STATES.DONE) result |= q[Q.HEAD + p * Q.PART + Q.RESULT];
        else if (failure === undefined) result |= this.runHere(fn, args, call);
        if (failure === undefined) afterPart?.(p);
      } catch (e) {
        failure ??= e;
      }
    });
    if (failure === undefined) return result;
    if (failure instanceof AdError) throw failure;
    throw kernelFailed(this.kernelName(fn), failure);
  }

  /** Part p's final state (spinning until `spinUntil`, giving its worker up at `deadline`): CALLER, DONE, or FAILED (its kernel threw, or its worker was given up on: the caller runs it). */
  private collect(p: number, spinUntil: number, deadline: number): number {
    const q = this.queue;
    const at = Q.HEAD + p * Q.PART + Q.STATE;
    // Spin first, about as long as a part takes (a worker holds at most one when the caller is done),
    // then sleep: a caller spinning longer would take the core from a worker the system has preempted.
    for (let spin = 1; Atomics.load(q, at) < STATES.CALLER; spin++) if ((spin & 255) === 0 && performance.now() >= spinUntil) break;
    for (;;) {
      const state = Atomics.load(q, at);
      if (state >= STATES.CALLER) return state;
      const now = performance.now();
      if (now >= deadline) {
        this.bury(this.members[state - 1]);
        return STATES.FAILED;
      }
      try {
        Atomics.wait(q, at, state, Math.min(SLICE_MS, deadline - now));
      } catch {
        // A browser's main thread may not block: spin.
      }
    }
  }

  /** Runs a worker's part on this thread; an `AdError` if it fails here too. */
  private runHere(fn: number | Attached, args: readonly number[], call: (args: readonly number[]) => number): number {
    try {
      return call(args) | 0;
    } catch (e) {
      throw kernelFailed(this.kernelName(fn), e);
    }
  }

  private kernelName(fn: number | Attached): string {
    return typeof fn === "number" ? this.target.names[fn] : "fused";
  }

  /** Gives up on a worker stuck inside a kernel (see the file's comment). */
  private bury(m: Member): void {
    m.dead = true;
    deaths++;
    this.abandoned = true;
    m.handle.terminate();
  }

  stop(): void {
    for (const { handle, base } of this.members) {
      Atomics.store(this.ctrl, base + L.SEQ, STOP);
      Atomics.notify(this.ctrl, base + L.SEQ);
      handle.terminate();
    }
    this.members.length = 0;
  }

  /** Test hook (`injectWorkerFault`): worker i of the live ones. */
  member(i: number): Member | undefined {
    return this.alive()[i];
  }
}

function kernelFailed(kernel: string, cause: unknown): AdError {
  return new AdError("UnsupportedOp", `the wasm kernel ${kernel} failed on the calling thread: ${cause instanceof Error ? cause.message : describe(cause)}`, { op: kernel });
}

let pool: Pool | undefined;

/** A call split among the calling thread and `workers` workers (see `Pool.run`). */
export interface PoolRun {
  readonly workers: number;
  run(fn: number | Attached, parts: readonly (readonly number[])[], call: (args: readonly number[]) => number, afterPart?: (p: number) => void): number;
  /** Wakes the sleeping workers now (they spin for a call a while), so a split call soon after finds them awake. */
  wake(): void;
  /** A module's place in the pool's library, so workers can run its one function; undefined when the library is full. */
  attach(bytes: Uint8Array): Attached | undefined;
}

/**
 * The pool for `target`, with `threads − 1` live workers started (on first use, and to replace dead
 * ones); undefined for one thread. Workers beyond the current count stay asleep until needed again.
 */
export function poolFor(target: PoolTarget): PoolRun | undefined {
  if (deaths >= MAX_DEATHS) stopThreads();
  if (threads <= 1 || deaths >= MAX_DEATHS) return undefined;
  if (pool !== undefined && pool.target !== target) stopThreads();
  const p = (pool ??= new Pool(target));
  if (p.abandoned) return undefined;
  p.prune();
  p.grow(threads - 1);
  const members = p.ready(threads - 1);
  if (members.length === 0) return undefined;
  return {
    workers: members.length,
    run: (fn, parts, call, afterPart) => p.run(members, fn, parts, call, afterPart),
    wake: () => members.forEach(({ base }) => Atomics.notify(p.ctrl, base + L.SEQ)),
    attach: (bytes) => p.attach(bytes),
  };
}

/** Whether the pool on `target`'s memory gave up on a worker inside a kernel: the memory must not be used again. */
export function abandoned(target: PoolTarget): boolean {
  return pool?.target === target && pool.abandoned;
}

/**
 * Sets how many threads the wasm kernels use (1: only the calling thread), at most the machine's
 * hardware threads (a larger n uses that many: `getThreads()` says how many). Lowering it leaves the
 * extra workers asleep; raising it starts more at the next call big enough to split.
 */
export function setThreads(n: number): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > MAX_THREADS) {
    throw new AdError("InvalidArgument", `setThreads: n must be an integer in [1, ${MAX_THREADS}], got ${describe(n)}`, { op: "setThreads", got: describe(n) });
  }
  threads = Math.min(n, cap);
  deaths = 0;
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

/** How many worker threads are alive now (0 before the first split call or after `stopThreads`). */
export function runningWorkers(): number {
  return pool?.alive().length ?? 0;
}

/**
 * How many of them have come up and take calls. In a browser a worker starts while the page's own
 * code yields, so the first calls after `setThreads` may run without it.
 */
export function readyWorkers(): number {
  return pool?.ready().length ?? 0;
}

/** @internal Tests: the cap on `setThreads` (default: the hardware threads), so a 2-core machine can test 4-way splits. */
export function setThreadCap(n?: number): void {
  cap = n ?? Math.max(1, cores);
  threads = Math.min(threads, cap);
}

/**
 * @internal Tests: live worker i's next claimed call throws inside the kernel, exits the thread or
 * hangs; or `terminate` ends the worker now, as a crash would (the pool learns of it by itself).
 */
export function injectWorkerFault(i: number, fault: Fault | "terminate"): void {
  const m = pool?.member(i);
  if (pool === undefined || m === undefined) throw new Error(`no live worker ${i}`);
  if (fault === "terminate") m.handle.terminate();
  else Atomics.store(pool.ctrl, m.base + L.FAULT, FAULTS[fault]);
}

/** @internal Tests: whether an injected fault is still waiting for a worker to claim a call. */
export function faultPending(): boolean {
  const p = pool;
  return p?.alive().some((m) => Atomics.load(p.ctrl, m.base + L.FAULT) !== 0) ?? false;
}

/** @internal Tests: workers seen dead since the last `setThreads`. */
export function workerDeaths(): number {
  return deaths;
}
