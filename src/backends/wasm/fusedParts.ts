/**
 * A fused kernel's call (./fused.ts) split among the calling thread and the pool's workers
 * (pool.ts): the loop's whole vectors are cut into contiguous ranges, a few per thread, and the
 * threads run the kernel over the ranges they claim, the module attached to the pool so the workers can run it.
 * A vector's arithmetic does not depend on where the cut falls, so the stored results are the one
 * thread's bits. A sum is not added up in parts (that would change its order): its kernel is emitted
 * `storing` (./fusedKernels.ts), the parts store the values, the last one masked, and the calling
 * thread adds them with `sumRows` (./reduceKernels.ts), whose accumulators and order are the
 * one-thread fused kernel's own — so the total is bit-identical too.
 */
import type { FusedProgram } from "../fused.js";
import { poolFor, type PoolRun } from "./pool.js";
import { reduceName } from "./reduceKernels.js";
import { PARTS_PER_THREAD } from "./split.js";
import type { KernelFn, WasmRuntime } from "./runtime.js";
import { isCostly } from "./elementwise.js";
import type { Dtype } from "./elementwiseKernels.js";
import { ARGC } from "./worker.js";

/**
 * From this much work (elements × op weight, where an IEEE op weighs 1 and a polynomial one 8) a
 * fused call is split: about 0.3 ms on one thread, several times what waking the workers costs.
 * Cheaper loops are bound by the staging copies on the calling thread and gain nothing.
 */
export const MIN_SPLIT_WORK = 1 << 18;

/** A compiled kernel and the bytes of its module (what the workers compile). */
export interface FusedModule {
  readonly fn: KernelFn;
  readonly bytes: Uint8Array;
}

/** The pool to split `program`'s call over `n` elements on, or undefined when it runs on one thread. */
export function fusedPool(rt: WasmRuntime, program: FusedProgram, n: number, minSplitWork: number): PoolRun | undefined {
  const work = n * program.ops.reduce((w, op) => w + (isCostly(op.name) ? 8 : 1), 0);
  // A part's arguments (the inputs, out, full, tail, mask) travel in the worker's ARGC words.
  if (work < minSplitWork || program.inputs + 4 > ARGC || rt.poolTarget === undefined) return undefined;
  const pool = poolFor(rt.poolTarget);
  // Woken now, the workers come up while this thread stages the inputs.
  pool?.wake();
  return pool;
}

/** A fused call: the inputs' addresses (a splat input's is not advanced), where results go, and the loop's vectors. */
export interface FusedCall {
  readonly at: readonly number[];
  readonly splat: readonly boolean[];
  readonly out: number;
  /** Whole vectors, then (a sum's) one masked last vector. */
  readonly full: number;
  readonly tail: boolean;
  readonly mask: number;
}

/**
 * Runs `call` split over `pool`: `kernel` stores the values (for a sum, the `storing` kernel, whose
 * total then goes to `sumAt` as one double). Returns the kernel's flag (the parts' OR). Where the pool
 * cannot take the module (its library is full) the one part runs on this thread.
 */
export function splitFused(rt: WasmRuntime, pool: PoolRun, kernel: FusedModule, call: FusedCall, dtype: Dtype, sumAt?: number): number {
  const attached = pool.attach(kernel.bytes);
  const parts = attached === undefined ? 1 : Math.max(1, Math.min((pool.workers + 1) * PARTS_PER_THREAD, call.full));
  const args: number[][] = [];
  for (let p = 0; p < parts; p++) {
    const [start, end] = [Math.floor((p * call.full) / parts), Math.floor(((p + 1) * call.full) / parts)];
    const last = p === parts - 1 && call.tail ? 1 : 0;
    args.push([...call.at.map((a, j) => (call.splat[j] ? a : a + start * 16)), call.out + start * 16, end - start, last, call.mask]);
  }
  const run = (a: readonly number[]) => kernel.fn(...a) | 0;
  const flag = attached === undefined || parts === 1 ? run(args[0]) : pool.run(attached, args, run);
  if (sumAt !== undefined) (rt.named[reduceName("sumRows", dtype)] as KernelFn)(call.out, sumAt, 1, call.full + (call.tail ? 1 : 0), 0);
  return flag;
}
