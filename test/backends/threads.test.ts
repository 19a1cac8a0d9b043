/**
 * The worker pool: a product split among threads gives exactly the single-threaded bits (each C
 * element belongs to one thread and is summed in the same order), on random shapes, dtypes, views and
 * thread counts; the work is cut into several parts per thread, claimed as the threads go; setThreads validates, caps at the hardware threads and stops workers; a process
 * that used the pool exits by itself; a worker that dies or throws (before or inside a kernel) costs
 * no hang and no bit; trimMemory gives the scratch memory back.
 */
import { execFileSync } from "node:child_process";
import { availableParallelism } from "node:os";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { capThreadsForFile } from "../support/threadCap.js";
import { simdAvailable } from "../../src/backends/wasm/features.js";
import { faultPending, getThreads, injectWorkerFault, poolFor, runningWorkers, setThreadCap, setThreads, stopThreads, workerDeaths } from "../../src/backends/wasm/pool.js";
import { trimMemory, wasmRuntime, type WasmRuntime } from "../../src/backends/wasm/runtime.js";
import { PARTS_PER_THREAD, split } from "../../src/backends/wasm/split.js";
import { cos, exp, randn, rng, sin, transpose, type Tensor } from "../../src/tensor/index.js";
import { errorCode, thrown } from "../support/errorCode.js";
import { wasmMatmul } from "../support/kernels.js";

// Up to 4 threads even on a 2-core machine: the splits, not the speed, are under test.
capThreadsForFile();
const yieldToEvents = () => new Promise((resolve) => setTimeout(resolve, 50));
/** Yields until the workers' exit events have brought the live count down to `count` (5 s at most). */
async function untilLive(count: number): Promise<void> {
  for (let i = 0; i < 100 && runningWorkers() > count; i++) await yieldToEvents();
}

const bits = (t: Tensor): number[] => Array.from(t.data());

describe.runIf(simdAvailable)("threads", () => {
  it.each([2, 3, 4])("a product split %i ways equals the single-threaded one, bit for bit (property)", (threads) => {
    setThreads(threads);
    const dim = fc.oneof(fc.constantFrom(1, 3, 4, 5, 8, 9), fc.integer({ min: 10, max: 90 }));
    fc.assert(
      fc.property(
        fc.record({ m: dim, k: dim, n: dim, batch: fc.constantFrom(1, 2), ta: fc.boolean(), dtype: fc.constantFrom("float32" as const, "float64" as const), seed: fc.integer() }),
        ({ m, k, n, batch, ta, dtype, seed }) => {
          const r = rng(seed);
          const a = ta ? transpose(randn([batch, k, m], { rng: r, dtype })) : randn([batch, m, k], { rng: r, dtype });
          const b = randn([k, n], { rng: r, dtype });
          const one = wasmMatmul(a, b, [batch], 0, Infinity); // never split
          const many = wasmMatmul(a, b, [batch], 0, 0); // always split
          expect(bits(many)).toEqual(bits(one));
        },
      ),
      { numRuns: 40 },
    );
    // Large enough that the packing of both operands is split too; and one with more column panels
    // than row panels but enough of those to split by rows.
    for (const dtype of ["float32", "float64"] as const) {
      for (const [m, k, n] of [
        [300, 257, 301],
        [64, 40, 300],
      ]) {
        const r = rng(threads);
        const a = randn([m, k], { rng: r, dtype });
        const b = transpose(randn([n, k], { rng: r, dtype }));
        const split = bits(wasmMatmul(a, b, [], 0, 0));
        setThreads(1);
        expect(split).toEqual(bits(wasmMatmul(a, b, [], 0, 0)));
        setThreads(threads);
      }
    }
    wasmMatmul(randn([64, 64]), randn([64, 64]), [], 0, 0);
    expect(runningWorkers()).toBe(threads - 1);
  });

  it("a large transcendental op split among threads equals the single-threaded one, flags from the workers' parts included", () => {
    const n = 300_007;
    const x = randn([n], { rng: rng(5) });
    // Huge arguments (past the kernels' exact range reduction) only near the end, in a worker's part:
    // the worker's flag must bring them back to the reference's Math.sin.
    for (let i = n - 100; i < n; i += 7) (x.storage as Float32Array)[i] = 1e30 * (1 + i / n);
    setThreads(1);
    const one = [sin(x), cos(x), exp(x)].map(bits);
    setThreads(3);
    expect([sin(x), cos(x), exp(x)].map(bits)).toEqual(one);
    expect(bits(sin(x)).slice(n - 100)).toEqual(Array.from((x.storage as Float32Array).slice(n - 100), (v) => Math.fround(Math.sin(v))));
  });

  it("setThreads validates its argument and uses at most the hardware threads; workers start on demand, sleep when unused, stop on stopThreads", () => {
    for (const bad of [0, -1, 1.5, NaN, Infinity, "2", 257, undefined]) expect(errorCode(() => setThreads(bad as never))).toBe("InvalidArgument");
    setThreadCap();
    setThreads(64);
    expect(getThreads()).toBe(Math.min(64, availableParallelism()));
    setThreadCap(4);
    stopThreads();
    expect(runningWorkers()).toBe(0);
    setThreads(3);
    expect(getThreads()).toBe(3);
    expect(runningWorkers()).toBe(0); // nothing started before a call needs it
    const [a, b] = [randn([64, 64]), randn([64, 64])];
    const c = bits(wasmMatmul(a, b, [], 0, 0));
    expect(runningWorkers()).toBe(2);
    setThreads(2); // fewer: the extra worker sleeps
    expect(bits(wasmMatmul(a, b, [], 0, 0))).toEqual(c);
    expect(runningWorkers()).toBe(2);
    stopThreads();
    expect(runningWorkers()).toBe(0);
    expect(bits(wasmMatmul(a, b, [], 0, 0))).toEqual(c); // started again
    expect(runningWorkers()).toBe(1);
  });

  it("a script that ran threaded products exits on its own, with the right result", () => {
    const script = `
      import { matmul, randn, rng, setThreads, sum } from "adjoint/tensor";
      setThreads(2);
      const r = rng(3);
      const a = randn([300, 300], { rng: r }), b = randn([300, 300], { rng: r });
      const c = matmul(a, b);
      setThreads(1);
      const d = matmul(a, b);
      const [x, y] = [c.data(), d.data()];
      console.log(JSON.stringify({ same: x.every((v, i) => Object.is(v, y[i])) }));
    `;
    const root = new URL("../..", import.meta.url);
    const out = execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd: root, encoding: "utf8", timeout: 30000 });
    expect(JSON.parse(out.trim())).toEqual({ same: true });
    const keepsWorkers = script.replace("setThreads(1);\n      const d = matmul(a, b);", "const d = c;");
    expect(JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", keepsWorkers], { cwd: root, encoding: "utf8", timeout: 30000 }).trim())).toEqual({ same: true });
  });
});

/** Packs a 160×8 float32 matrix (40 panels of 4 rows) held in the wasm memory with `run`, returning the packed bits. */
function packWith(run: (rt: WasmRuntime, args: (q0: number, q1: number) => number[]) => void): number[] {
  const rt = wasmRuntime();
  if (rt === undefined) throw new Error("no wasm runtime");
  const src = rt.arena.scratchBase;
  const dst = src + 160 * 8 * 4;
  if (!rt.reserve(dst + 160 * 8 * 4)) throw new Error("no room");
  const heap = new Float32Array(rt.memory.buffer);
  for (let i = 0; i < 160 * 8; i++) heap[src / 4 + i] = Math.fround(Math.sin(i) * 100);
  heap.fill(NaN, dst / 4, dst / 4 + 160 * 8);
  run(rt, (q0, q1) => [src, 8, 1, 160, 8, dst, q0, q1, 40]);
  return Array.from(new Float32Array(rt.memory.buffer, dst, 160 * 8));
}

describe.runIf(simdAvailable)("threads: parts claimed as the threads go", () => {
  it("split cuts the work into PARTS_PER_THREAD parts per thread; afterPart runs once per part on the calling thread, the parts tiling the range", () => {
    setThreads(1);
    const one = packWith((rt, args) => split(rt, "packF32x4", 40, true, args));
    for (const threads of [2, 3, 4]) {
      setThreads(threads);
      const ranges: [number, number][] = [];
      const bits = packWith((rt, args) => split(rt, "packF32x4", 40, true, args, (q0, q1) => ranges.push([q0, q1])));
      expect(bits).toEqual(one);
      expect(ranges.length).toBe(threads * PARTS_PER_THREAD);
      const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
      sorted.forEach(([q0, q1], p) => {
        expect(q0).toBe(p === 0 ? 0 : sorted[p - 1][1]);
        expect(q1).toBeGreaterThan(q0);
      });
      expect(sorted[sorted.length - 1][1]).toBe(40);
    }
  });

  it("a call with more parts than the queue holds runs in batches: every part once, the same bits", () => {
    setThreads(1);
    const one = packWith((rt, args) => split(rt, "packF32x4", 40, true, args));
    setThreads(3);
    const seen: number[] = [];
    const bits = packWith((rt, args) => {
      const pool = rt.poolTarget === undefined ? undefined : poolFor(rt.poolTarget);
      if (pool === undefined) throw new Error("no pool");
      const kernel = rt.named.packF32x4 as (...a: number[]) => void;
      // 40 one-panel parts, each packed twice (the same bits), 80 parts in all.
      const parts = Array.from({ length: 80 }, (_, p) => args(p % 40, (p % 40) + 1));
      pool.run(
        rt.poolTarget?.names.indexOf("packF32x4") ?? -1,
        parts,
        (a) => (kernel(...a), 0),
        (p) => seen.push(p),
      );
    });
    expect(bits).toEqual(one);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, p) => p));
  });
});

describe.runIf(simdAvailable)("threads: dead and failing workers", () => {
  const r = rng(11);
  const [a, b] = [randn([96, 80], { rng: r }), randn([80, 72], { rng: r })];
  const expected = bits(wasmMatmul(a, b, [], 0, Infinity)); // one thread
  const product = () => bits(wasmMatmul(a, b, [], 0, 0)); // split among all threads

  /** Products until the fault injected into a worker has fired (a part nobody claimed in time goes to the caller instead), each exact. */
  function runUntilFired(): void {
    for (let i = 0; i < 200 && faultPending(); i++) expect(product()).toEqual(expected);
    expect(faultPending()).toBe(false);
    expect(product()).toEqual(expected);
  }

  it("a worker terminated between calls: the next products are exact, the worker is replaced", async () => {
    stopThreads();
    setThreads(3);
    expect(product()).toEqual(expected);
    injectWorkerFault(1, "terminate");
    expect(product()).toEqual(expected); // its part is taken over (or, if it died inside the kernel, redone)
    await untilLive(1); // the exit event arrives
    expect(runningWorkers()).toBe(1);
    expect(product()).toEqual(expected);
    expect(runningWorkers()).toBe(2);
  });

  it("a worker whose kernel throws: its part is run again on the calling thread, and the worker stays", () => {
    stopThreads();
    setThreads(3);
    expect(product()).toEqual(expected);
    injectWorkerFault(0, "throw");
    runUntilFired();
    expect(workerDeaths()).toBe(0);
    expect(runningWorkers()).toBe(2);
  });

  it.each(["exit", "hang"] as const)(
    "a worker that dies or hangs inside a kernel (%s): the product is exact, the memory and pool are replaced",
    async (fault) => {
      stopThreads();
      setThreads(3);
      expect(product()).toEqual(expected);
      const rt = wasmRuntime();
      injectWorkerFault(1, fault);
      runUntilFired(); // waits out the stall bound once (about 2 s), then runs the part itself
      expect(workerDeaths()).toBe(1);
      expect(wasmRuntime()).not.toBe(rt); // a fresh memory: nothing the stalled thread writes late can reach it
      await yieldToEvents();
      expect(product()).toEqual(expected);
      expect(runningWorkers()).toBe(2);
    },
    60_000,
  );

  it("workers that keep dying: the kernels go on the calling thread, the survivors stop, until setThreads", async () => {
    setThreads(2);
    for (let round = 0; round < 10; round++) {
      expect(product()).toEqual(expected);
      if (runningWorkers() > 0) injectWorkerFault(0, "terminate");
      await untilLive(0);
    }
    expect(workerDeaths()).toBe(8);
    expect(product()).toEqual(expected);
    expect(runningWorkers()).toBe(0);
    setThreads(2);
    expect(product()).toEqual(expected);
    expect(runningWorkers()).toBe(1);
  });

  it("a kernel that fails on the workers and on the calling thread: an AdError naming the kernel", () => {
    setThreads(3);
    const rt = wasmRuntime();
    if (rt === undefined) throw new Error("no wasm runtime");
    // A packing call whose source lies past the end of memory traps on every thread.
    const past = rt.memory.buffer.byteLength;
    const e = thrown(() => split(rt, "packF32x4", 12, true, (q0, q1) => [past, 1, 1, 48, 8, 0, q0, q1, 12]));
    expect(e.code).toBe("UnsupportedOp");
    expect(e.details.op).toBe("packF32x4");
    expect(product()).toEqual(expected); // the pool is still usable
  });
});

describe.runIf(simdAvailable)("trimMemory", () => {
  it("drops the scratch memory at its high-water mark and the workers; the next call starts small", () => {
    setThreads(2);
    const r = rng(4);
    const [a, b] = [randn([512, 512], { rng: r }), randn([512, 512], { rng: r })];
    const c = bits(wasmMatmul(a, b, [], 0, 0));
    const grown = wasmRuntime()?.memory.buffer.byteLength ?? 0;
    expect(grown).toBeGreaterThanOrEqual(5 * 512 * 512 * 4); // A, B, C and both staging copies
    expect(trimMemory()).toBe(grown);
    expect(runningWorkers()).toBe(0);
    expect(trimMemory()).toBe(0);
    wasmMatmul(randn([32, 32], { rng: r }), randn([32, 32], { rng: r }), [], 0, 0);
    expect(wasmRuntime()?.memory.buffer.byteLength).toBe(16 * 65536);
    expect(bits(wasmMatmul(a, b, [], 0, 0))).toEqual(c);
  });

  it("gives the memory back to the operating system (RSS, in a fresh process)", () => {
    const script = `
      import { matmul, randn, rng, setThreads, trimMemory } from "adjoint/tensor";
      setThreads(2);
      const r = rng(1);
      const c = matmul(randn([1024, 1024], { rng: r }), randn([1024, 1024], { rng: r }));
      gc();
      const before = process.memoryUsage().rss;
      const freed = trimMemory();
      // The memory is unmapped once the workers sharing it have exited and it is collected.
      let drop = 0;
      for (let i = 0; i < 50 && drop < freed; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        gc();
        drop = before - process.memoryUsage().rss;
      }
      console.log(JSON.stringify({ freed, drop, size: c.size }));
    `;
    const root = new URL("../..", import.meta.url);
    const out = execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { cwd: root, encoding: "utf8", timeout: 60000 });
    const { freed, drop } = JSON.parse(out.trim()) as { freed: number; drop: number };
    expect(freed).toBeGreaterThanOrEqual(5 * 1024 * 1024 * 4);
    expect(drop).toBeGreaterThanOrEqual(freed); // the one worker's own exit gives back far less (~8 MB)
  }, 60_000);
});
