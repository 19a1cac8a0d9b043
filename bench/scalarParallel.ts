/**
 * `npm run bench:scalar:parallel` (also part of `npm run bench`): an ensemble of 64 two-body
 * systems, each integrated by leapfrog for 300 steps, and the gradient of a loss on its final state
 * with respect to its 5 parameters — `parallelGradient` on 1 and on 2 workers, beside the same 64
 * `gradient` calls in a loop on the calling thread, interleaved round by round. Also: the first
 * call (workers started, their script loaded), the resident memory each extra worker adds, the
 * load average while it ran, and a check that the gradients are bit-identical across worker counts
 * and to the loop's.
 *
 * Writes the "scalar-parallel" section of bench/RESULTS.md; `--quick` runs 3 rounds and writes nothing.
 */
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { gradient, parallelGradient, stopScalarWorkers, type MultivariateFn } from "../src/index.js";
import { fmtMs, machineDescription, summarize, table, writeResultsSection, type Timing } from "./harness.js";

const quick = process.argv.includes("--quick");
const MEMBERS = 64;

/**
 * One member: a two-body orbit (p = [μ, x, y, vx, vy]) by kick-drift-kick leapfrog, and the squared
 * distance of its final position from (1, 0). Self-contained, as a function run on workers must be.
 */
const twoBody: MultivariateFn = (p, S) => {
  const steps = 300;
  const dt = 0.01;
  const mu = p[0];
  let x = p[1];
  let y = p[2];
  let vx = p[3];
  let vy = p[4];
  const accel = (x: typeof mu, y: typeof mu) => {
    const r2 = S.add(S.mul(x, x), S.mul(y, y));
    const k = S.div(S.neg(mu), S.mul(r2, S.sqrt(r2)));
    return [S.mul(k, x), S.mul(k, y)];
  };
  let [ax, ay] = accel(x, y);
  for (let i = 0; i < steps; i++) {
    vx = S.add(vx, S.mul(0.5 * dt, ax));
    vy = S.add(vy, S.mul(0.5 * dt, ay));
    x = S.add(x, S.mul(dt, vx));
    y = S.add(y, S.mul(dt, vy));
    [ax, ay] = accel(x, y);
    vx = S.add(vx, S.mul(0.5 * dt, ax));
    vy = S.add(vy, S.mul(0.5 * dt, ay));
  }
  return S.add(S.pow(S.sub(x, 1), 2), S.mul(y, y));
};

/** 64 systems near a circular orbit, from a fixed sequence (no Math.random: the same ensemble every run). */
const ensemble = Array.from({ length: MEMBERS }, (_, i) => {
  const t = (i + 1) / MEMBERS;
  return [1 + 0.5 * t, 1 + 0.1 * Math.sin(7 * t), 0.05 * Math.cos(5 * t), 0.1 * Math.sin(3 * t), 1 + 0.2 * Math.cos(11 * t)];
});

const gc = (globalThis as { gc?: () => void }).gc;
const rss = () => {
  gc?.();
  return process.memoryUsage().rss;
};

const loop = () => ensemble.map((x) => Float64Array.from(gradient(twoBody, x)));
const onWorkers = (workers: number) => parallelGradient(twoBody, ensemble, { workers });

// The first call: workers started and their script imported, then the work.
const rssBefore = rss();
let t0 = performance.now();
const first = await onWorkers(1);
const firstMs = performance.now() - t0;
const rssOne = rss();
t0 = performance.now();
const firstTwo = await onWorkers(2);
const secondWorkerMs = performance.now() - t0;
const rssTwo = rss();

const reference = loop();
const sameBits = (a: Float64Array[], b: Float64Array[]) =>
  a.every((g, i) => Buffer.from(g.buffer, g.byteOffset, g.byteLength).equals(Buffer.from(b[i].buffer, b[i].byteOffset, b[i].byteLength)));
const identical = sameBits(first, reference) && sameBits(firstTwo, reference);

const rounds = quick ? 3 : 15;
const warmup = quick ? 1 : 3;
/**
 * Each thread of this process: [ns on a CPU, ns runnable but waiting for one] (Linux's
 * /proc/self/task/<tid>/schedstat), or undefined where there is no such file.
 */
function threadClocks(): Map<string, [number, number]> | undefined {
  try {
    const clocks = new Map<string, [number, number]>();
    for (const tid of readdirSync("/proc/self/task")) {
      try {
        const [run, wait] = readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ").map(Number);
        clocks.set(tid, [run, wait]);
      } catch {
        // the thread ended between the listing and the read
      }
    }
    return clocks;
  } catch {
    return undefined;
  }
}

type Key = "loop" | "one" | "two";
const keys: readonly Key[] = ["loop", "one", "two"];
/** Per case: wall ms; CPU ms of all threads; CPU ms of the busiest thread; ms the threads waited for a CPU. */
const wall = { loop: [] as number[], one: [] as number[], two: [] as number[] };
const cpu = { loop: [] as number[], one: [] as number[], two: [] as number[] };
const busiest = { loop: [] as number[], one: [] as number[], two: [] as number[] };
const waited = { loop: [] as number[], one: [] as number[], two: [] as number[] };
const load: number[] = [];
const timed = async (key: Key, run: () => unknown) => {
  const clocks0 = threadClocks();
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await run();
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  const clocks1 = threadClocks();
  wall[key].push(t1 - t0);
  cpu[key].push((c.user + c.system) / 1000);
  if (clocks0 !== undefined && clocks1 !== undefined) {
    let most = 0;
    let wait = 0;
    for (const [tid, [run1, wait1]] of clocks1) {
      const [run0, wait0] = clocks0.get(tid) ?? [0, 0];
      most = Math.max(most, run1 - run0);
      wait += wait1 - wait0;
    }
    busiest[key].push(most / 1e6);
    waited[key].push(wait / 1e6);
  }
  return out;
};
for (let r = -warmup; r < rounds; r++) {
  await timed("loop", loop);
  const one = (await timed("one", () => onWorkers(1))) as Float64Array[];
  const two = (await timed("two", () => onWorkers(2))) as Float64Array[];
  if (!sameBits(one, reference) || !sameBits(two, reference)) throw new Error("parallelGradient's gradients differ from the loop's");
  if (r < 0) for (const k of keys) for (const xs of [wall, cpu, busiest, waited]) xs[k].pop();
  else load.push(loadavg()[0]);
}
stopScalarWorkers();

const cases = [
  ["gradient in a loop, calling thread", "loop"],
  ["parallelGradient, 1 worker", "one"],
  ["parallelGradient, 2 workers", "two"],
] as const;
const timings: Timing[] = cases.map(([name, key]) => summarize(name, wall[key]));
const median = (xs: number[]) => (xs.length === 0 ? NaN : summarize("", xs).median);
const ratio = (a: number[], b: number[]) => median(a) / median(b);
const perThread = busiest.two.length > 0;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const body = [
  `Machine: ${machineDescription()}. Date: ${new Date().toISOString().slice(0, 10)}.${quick ? " (quick run)" : ""}`,
  `Load average (1 min) over the timed rounds: ${Math.min(...load).toFixed(2)}–${Math.max(...load).toFixed(2)} on ${availableParallelism()} hardware threads.`,
  "",
  `${MEMBERS} two-body systems, leapfrog for 300 steps each, ∇ of a final-state loss w.r.t. the 5 parameters of each (${rounds} rounds, interleaved, ms per ensemble):`,
  "",
  table(
    ["case", "min", "median", "max", "CPU, all threads", "CPU, busiest thread", "waiting for a CPU"],
    timings.map((t, i) => {
      const k = cases[i][1];
      return [t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max), fmtMs(median(cpu[k])), perThread ? fmtMs(median(busiest[k])) : "–", perThread ? fmtMs(median(waited[k])) : "–"];
    }),
  ),
  "",
  "(The last three columns are medians too: CPU time from getrusage, per thread and runqueue waits from /proc/self/task/*/schedstat.)",
  "",
  `- 2 workers vs 1: **${ratio(wall.one, wall.two).toFixed(2)}×** by median wall time, ${(timings[1].min / timings[2].min).toFixed(2)}× by min (target ≥ 1.8× on 2 cores); 2 workers vs the loop: ${ratio(wall.loop, wall.two).toFixed(2)}×; 1 worker vs the loop: ${ratio(wall.loop, wall.one).toFixed(2)}×.`,
  `- CPU time of all threads, 2 workers ÷ 1 worker: ${ratio(cpu.two, cpu.one).toFixed(2)} (1.00: the split itself costs nothing).` +
    (perThread
      ? ` The busiest thread's CPU time, 1 worker ÷ 2 workers: ${ratio(busiest.one, busiest.two).toFixed(2)}× — the speed-up the split allows where both cores are free (the wall time cannot beat the busiest thread); the wall-time ratio differs from it by what the machine's other work took from each case (the waits).`
      : ""),
  `- First call (1 worker started, its script imported, then the ensemble): ${fmtMs(firstMs)} ms; the call that started the second worker: ${fmtMs(secondWorkerMs)} ms.`,
  `- Resident memory: +${mb(rssOne - rssBefore)} MB with the first worker, +${mb(rssTwo - rssOne)} MB for the second (process RSS after a GC, so it includes each worker's V8 heap and the tapes it grew).`,
  `- Gradients bit-identical to the loop's on 1 and on 2 workers, every round: ${identical ? "yes" : "NO"}.`,
].join("\n");

console.log(body);
if (!quick) writeResultsSection("scalar-parallel", "Scalar gradients on worker threads (npm run bench:scalar:parallel)", body);
