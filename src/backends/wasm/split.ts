/**
 * Splitting one kernel call among the calling thread and the ready workers (pool.ts): the work is a
 * range [0, count) of independent units (C's row or column panels, packed panels, vectors of an
 * elementwise op); each thread takes a contiguous part. The parts write disjoint outputs, and no
 * unit's arithmetic depends on the split, so results are bit-identical for any thread count.
 */
import { AdError } from "../../errors.js";
import { poolFor } from "./pool.js";
import type { WasmRuntime } from "./runtime.js";

/**
 * Runs kernel `name` over [0, count): `argsFor(start, end)` gives a part's arguments. Returns the
 * bitwise OR of the parts' i32 results (kernel flags). `afterOwnPart(end)` runs on this thread once
 * its own part [0, end) is done, while the workers may still run theirs.
 */
export function split(
  rt: WasmRuntime,
  name: string,
  count: number,
  wanted: boolean,
  argsFor: (start: number, end: number) => number[],
  afterOwnPart?: (end: number) => void,
): number {
  const kernel = rt.named[name] as ((...args: number[]) => unknown) | undefined;
  if (kernel === undefined) throw new AdError("UnsupportedOp", `the wasm module has no kernel ${name}`, { op: name }); // a driver's bug
  const call = (args: readonly number[]): number => {
    const result = kernel(...args);
    return typeof result === "number" ? result | 0 : 0;
  };
  const pool = wanted && rt.poolTarget !== undefined ? poolFor(rt.poolTarget) : undefined;
  const parts = pool === undefined ? 1 : Math.min(pool.workers + 1, count);
  if (pool === undefined || parts < 2) {
    const result = call(argsFor(0, count));
    afterOwnPart?.(count);
    return result;
  }
  const ranges: number[][] = [];
  for (let p = 0; p < parts; p++) ranges.push(argsFor(Math.floor((p * count) / parts), Math.floor(((p + 1) * count) / parts)));
  const own = Math.floor(count / parts);
  return pool.run(rt.poolTarget?.names.indexOf(name) ?? -1, ranges, call, afterOwnPart && (() => afterOwnPart(own)));
}
