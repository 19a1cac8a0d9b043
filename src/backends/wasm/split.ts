/**
 * Splitting one kernel call among the calling thread and the ready workers (pool.ts): the work is a
 * range [0, count) of independent units (C's row or column panels, packed panels, vectors of an
 * elementwise op), cut into PARTS_PER_THREAD contiguous parts per thread that the threads claim as
 * they go (a worker that wakes late does fewer). The parts write disjoint outputs, and no unit's
 * arithmetic depends on the split, so results are bit-identical for any thread count.
 */
import { AdError } from "../../errors.js";
import { poolFor } from "./pool.js";
import type { WasmRuntime } from "./runtime.js";

/**
 * Parts per thread: enough that the calling thread can take over most of a late worker's share, few
 * enough that each part stays a long run of the kernel (a gemm part reads all of packed B).
 */
export const PARTS_PER_THREAD = 4;

/**
 * Runs kernel `name` over [0, count): `argsFor(start, end)` gives a part's arguments. Returns the
 * bitwise OR of the parts' i32 results (kernel flags). `afterPart(start, end)` runs on this thread
 * once for every part: right after this thread ran it (while the workers may still run theirs), or
 * once a worker's part is collected.
 */
export function split(
  rt: WasmRuntime,
  name: string,
  count: number,
  wanted: boolean,
  argsFor: (start: number, end: number) => number[],
  afterPart?: (start: number, end: number) => void,
): number {
  const kernel = rt.named[name] as ((...args: number[]) => unknown) | undefined;
  if (kernel === undefined) throw new AdError("UnsupportedOp", `the wasm module has no kernel ${name}`, { op: name }); // a driver's bug
  const call = (args: readonly number[]): number => {
    const result = kernel(...args);
    return typeof result === "number" ? result | 0 : 0;
  };
  const pool = wanted && rt.poolTarget !== undefined ? poolFor(rt.poolTarget) : undefined;
  const parts = pool === undefined ? 1 : Math.min((pool.workers + 1) * PARTS_PER_THREAD, count);
  if (pool === undefined || parts < 2) {
    const result = call(argsFor(0, count));
    afterPart?.(0, count);
    return result;
  }
  const bound = (p: number) => Math.floor((p * count) / parts);
  const ranges: number[][] = [];
  for (let p = 0; p < parts; p++) ranges.push(argsFor(bound(p), bound(p + 1)));
  return pool.run(rt.poolTarget?.names.indexOf(name) ?? -1, ranges, call, afterPart && ((p) => afterPart(bound(p), bound(p + 1))));
}
