/**
 * For a test file that needs worker threads on any machine: caps the wasm pool at 4 threads for the
 * file (CI has 2 cores; the tests ask for 2–3 threads explicitly) and restores the cap and the
 * thread count the file found when it ends.
 */
import { afterAll, beforeAll } from "vitest";
import { getThreads, setThreadCap, setThreads } from "../../src/backends/wasm/pool.js";

export function capThreadsForFile(cap = 4): void {
  const initial = getThreads();
  beforeAll(() => setThreadCap(cap));
  afterAll(() => {
    setThreadCap();
    setThreads(initial);
  });
}
