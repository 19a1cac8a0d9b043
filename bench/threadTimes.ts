/**
 * CPU time per thread of this process, from Linux's /proc/self/task (empty elsewhere): what lets a
 * benchmark say which threads a step's CPU time went to — the calling thread, worker threads, or the
 * engine's own helpers (V8's garbage-collection and compiler threads, started with the process).
 * Resolution is the kernel's clock tick (10 ms), so it is read over many steps.
 */
import { readdirSync, readFileSync } from "node:fs";

/** CPU milliseconds (user + system) so far, by thread id. */
export function threadTimes(): Map<number, number> {
  const out = new Map<number, number>();
  let tids: string[];
  try {
    tids = readdirSync("/proc/self/task");
  } catch {
    return out;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, "utf8");
      // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      out.set(Number(tid), ((Number(fields[11]) + Number(fields[12])) * 1000) / 100);
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/** Each thread's CPU milliseconds between two readings (threads that started in between count from 0). */
export function threadDelta(before: Map<number, number>, after: Map<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [tid, ms] of after) out.set(tid, ms - (before.get(tid) ?? 0));
  return out;
}
