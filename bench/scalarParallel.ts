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
const samples = { loop: [] as number[], one: [] as number[], two: [] as number[] };
/** CPU time of the whole process (every thread) per case: what the machine's load cannot inflate. */
const cpu = { loop: [] as number[], one: [] as number[], two: [] as number[] };
const load: number[] = [];
const timed = async (wall: number[], busy: number[], run: () => unknown) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await run();
  const t1 = performance.now();
  const c = process.cpuUsage(c0);
  wall.push(t1 - t0);
  busy.push((c.user + c.system) / 1000);
  return out;
};
for (let r = -warmup; r < rounds; r++) {
  await timed(samples.loop, cpu.loop, loop);
  const one = (await timed(samples.one, cpu.one, () => onWorkers(1))) as Float64Array[];
  const two = (await timed(samples.two, cpu.two, () => onWorkers(2))) as Float64Array[];
  if (!sameBits(one, reference) || !sameBits(two, reference)) throw new Error("parallelGradient's gradients differ from the loop's");
  if (r < 0) for (const xs of [...Object.values(samples), ...Object.values(cpu)]) xs.pop();
  else load.push(loadavg()[0]);
}
stopScalarWorkers();

const cases = [
  ["gradient in a loop, calling thread", "loop"],
  ["parallelGradient, 1 worker", "one"],
  ["parallelGradient, 2 workers", "two"],
] as const;
const timings: Timing[] = cases.map(([name, key]) => summarize(name, samples[key]));
const busy: Timing[] = cases.map(([name, key]) => summarize(name, cpu[key]));
const ratio = (a: number[], b: number[]) => summarize("", a).median / summarize("", b).median;
const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
const body = [
  `Machine: ${machineDescription()}. Date: ${new Date().toISOString().slice(0, 10)}.${quick ? " (quick run)" : ""}`,
  `Load average (1 min) over the timed rounds: ${Math.min(...load).toFixed(2)}–${Math.max(...load).toFixed(2)} on ${availableParallelism()} hardware threads.`,
  "",
  `${MEMBERS} two-body systems, leapfrog for 300 steps each, ∇ of a final-state loss w.r.t. the 5 parameters of each (${rounds} rounds, interleaved, ms per ensemble):`,
  "",
  table(
    ["case", "min", "median", "max", "CPU ms (median, all threads)"],
    timings.map((t, i) => [t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max), fmtMs(busy[i].median)]),
  ),
  "",
  `- 2 workers vs 1: **${ratio(samples.one, samples.two).toFixed(2)}×** by median wall time, ${(timings[1].min / timings[2].min).toFixed(2)}× by min (target ≥ 1.8× on 2 cores); 2 workers vs the loop: ${ratio(samples.loop, samples.two).toFixed(2)}×; 1 worker vs the loop: ${ratio(samples.loop, samples.one).toFixed(2)}×.`,
  `- CPU time per ensemble, 2 workers ÷ 1 worker: ${(busy[2].median / busy[1].median).toFixed(2)} (1.00 would mean the split itself costs nothing; the wall-time ratio is then what the cores the machine leaves free allow).`,
  `- First call (1 worker started, its script imported, then the ensemble): ${fmtMs(firstMs)} ms; the call that started the second worker: ${fmtMs(secondWorkerMs)} ms.`,
  `- Resident memory: +${mb(rssOne - rssBefore)} MB with the first worker, +${mb(rssTwo - rssOne)} MB for the second (process RSS after a GC, so it includes each worker's V8 heap and the tapes it grew).`,
  `- Gradients bit-identical to the loop's on 1 and on 2 workers, every round: ${identical ? "yes" : "NO"}.`,
].join("\n");

console.log(body);
if (!quick) writeResultsSection("scalar-parallel", "Scalar gradients on worker threads (npm run bench:scalar:parallel)", body);
