/**
 * `npm run bench:parallel`: data-parallel training steps (adjoint/parallel) beside one thread, in one
 * process, interleaved round by round: the MLP 784-256-10 at batch 128 and the CNN of bench/tensor.ts
 * at batch 64 (float32, the seeded inputs of bench/workloads/data.ts). A step is the loss and the
 * gradients of all weights, then an SGD update in place (`assign`, once, on the calling thread). Rows:
 * - `jit, 1 thread`: `jit(valueAndGrad(loss))` on the calling thread, kernel pool at 1 thread;
 * - `jit, pool 2 threads`: the same with the wasm kernel pool at 2 threads (today's way to use 2 cores);
 * - `dataParallel, 1 worker` and `2 workers`: the step on worker threads, one shard each, then the
 *   all-reduce. The target ratio is 2 workers ÷ 1 worker in steps/s (issue 20: MLP ≥ 1.8×, CNN ≥ 1.7×).
 * Memory per extra worker: the process's resident set (after a collection) grown by starting and
 * warming 1 worker, then 2 more (the second group's growth less the first's is one worker's).
 * The machine's load average is printed with the results: on a shared machine it decides the ratios.
 * The CPU time per step of all threads together (process.cpuUsage) is printed too: it is the work a
 * step costs whatever the load, so 2 workers' CPU time beside 1 worker's is the parallel overhead.
 * On Linux it is also split by thread (threadTimes.ts): the calling thread, the row's worker threads,
 * and the engine's helper threads (V8's concurrent garbage collection and compilers), which take
 * cores from the workers.
 *
 * Writes the "parallel" section of bench/RESULTS.md; `--quick` is a short smoke run that writes nothing.
 */
import { loadavg } from "node:os";
import { dataParallel, share, type DataParallelStep } from "../src/parallel/index.js";
import { jit } from "../src/jit/index.js";
import { mul, noGrad, setThreads, sub, tensor, valueAndGrad, type Tensor } from "../src/tensor/index.js";
import { fmtMs, machineDescription, summarize, table, writeResultsSection, type Timing } from "./harness.js";
import { threadDelta, threadTimes } from "./threadTimes.js";
import { cnnLoss, mlpLoss } from "./rivals/adjoint.js";
import { cnnGeometry, type CnnSizes } from "./rivals/rival.js";
import { cnnData, MLP_SIZES, mlpData } from "./workloads/data.js";

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 2 : 9;
const WARMUP = quick ? 1 : 2;
/**
 * Each row first runs steps for this long: a worker is a fresh engine whose code V8 is still
 * compiling (TurboFan, on the helper threads the workers share the cores with) for hundreds of
 * steps, two workers twice as much; a training run's steps/s is the steady state's.
 */
const SETTLE_MS = quick ? 0 : 3000;
const CNN: CnnSizes = { batch: 64, side: 28, filters: 32, kernel: 3, classes: 10 };
const LR = 0.01;

type Params = Record<string, Tensor>;
type Batch = [Tensor, Tensor];

interface Workload {
  readonly name: string;
  readonly params: () => Params;
  readonly batch: Batch;
  readonly loss: (p: Params, b: Batch) => Tensor;
  /** Steps per timed sample. */
  readonly steps: number;
}

const mlp = mlpData(2, MLP_SIZES);
const cnn = cnnData(5, CNN);
const { inputs, hidden, classes } = MLP_SIZES;
const features = cnnGeometry(CNN).features;

const WORKLOADS: Workload[] = [
  {
    name: `MLP ${inputs}-${hidden}-${classes}, batch ${MLP_SIZES.batch}`,
    params: () => ({
      w1: tensor(mlp.params.w1, { shape: [inputs, hidden] }),
      b1: tensor(mlp.params.b1),
      w2: tensor(mlp.params.w2, { shape: [hidden, classes] }),
      b2: tensor(mlp.params.b2),
    }),
    batch: [tensor(mlp.x, { shape: [MLP_SIZES.batch, inputs] }), tensor(mlp.labels, { shape: [MLP_SIZES.batch, classes] })],
    loss: (p, [x, y]) => mlpLoss(x, y, p as never),
    steps: 5,
  },
  {
    name: `CNN (conv 3×3 ×${CNN.filters}, pool, dense), batch ${CNN.batch}`,
    params: () => ({
      wc: tensor(cnn.params.wc, { shape: [CNN.filters, 1, CNN.kernel, CNN.kernel] }),
      bc: tensor(cnn.params.bc),
      wd: tensor(cnn.params.wd, { shape: [features, CNN.classes] }),
      bd: tensor(cnn.params.bd),
    }),
    batch: [tensor(cnn.x, { shape: [CNN.batch, 1, CNN.side, CNN.side] }), tensor(cnn.labels, { shape: [CNN.batch, CNN.classes] })],
    loss: (p, [x, y]) => cnnLoss(x, y, p as never),
    steps: 2,
  },
];

function sgd(params: Params, grads: Params): void {
  noGrad(() => {
    for (const k of Object.keys(params)) params[k].assign(sub(params[k], mul(grads[k], LR)));
  });
}

interface Row {
  readonly name: string;
  readonly step: () => Promise<number>;
  readonly close?: () => void;
  /** The row's own worker threads' ids. */
  readonly workers?: readonly number[];
}

/** The threads the process starts with besides the calling thread: the engine's helpers. */
const helperThreads = new Set([...threadTimes().keys()].filter((t) => t !== process.pid));

function jitRow(w: Workload, threads: number): Row {
  const params = w.params();
  const f = jit(valueAndGrad(w.loss));
  return {
    name: threads === 1 ? "jit, 1 thread" : `jit, pool ${threads} threads`,
    step: () => {
      setThreads(threads);
      const [loss, grads] = f(params, w.batch) as [Tensor, Params];
      sgd(params, grads);
      return Promise.resolve(loss.item());
    },
  };
}

const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error("bench/parallel needs node --expose-gc (npm run bench:parallel passes it)");

/** The resident set after a full collection on this thread (the workers' heaps are their own, and counted). */
function rss(): number {
  collect?.();
  collect?.();
  return process.memoryUsage().rss;
}

async function parallelRow(w: Workload, workers: number): Promise<Row & { readonly rss: number }> {
  const params = Object.fromEntries(Object.entries(w.params()).map(([k, t]) => [k, share(t)]));
  const threadsBefore = new Set(threadTimes().keys());
  const before = rss();
  const dp: DataParallelStep<Params, Batch, unknown> = dataParallel(valueAndGrad(w.loss), { workers });
  const step = async () => {
    setThreads(1);
    const [loss, grads] = (await dp(params as never, w.batch)) as [Tensor, Params];
    sgd(params, grads);
    return loss.item();
  };
  for (let i = 0; i < 3; i++) await step();
  const mine = [...threadTimes().keys()].filter((t) => !threadsBefore.has(t));
  return { name: `dataParallel, ${workers} worker${workers > 1 ? "s" : ""}`, step, close: () => dp.close(), rss: rss() - before, workers: mine };
}

/** CPU ms per step of one row's timed rounds, by kind of thread. */
interface ThreadSplit {
  calling: number;
  workers: number[];
  helpers: number;
  other: number;
}

/** Wall-clock timings, the median CPU time per step of all the process's threads together, and its split by thread. */
async function time(rows: readonly Row[], steps: number): Promise<{ timings: Timing[]; cpu: number[]; split: ThreadSplit[] }> {
  const samples = rows.map(() => [] as number[]);
  const cpu = rows.map(() => [] as number[]);
  const split = rows.map((row): ThreadSplit => ({ calling: 0, workers: (row.workers ?? []).map(() => 0), helpers: 0, other: 0 }));
  for (const row of rows) for (const t0 = performance.now(); performance.now() - t0 < SETTLE_MS;) await row.step();
  for (let r = 0; r < WARMUP + ROUNDS; r++) {
    for (const [i, row] of rows.entries()) {
      const k0 = threadTimes();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) await row.step();
      const t1 = performance.now();
      const c = process.cpuUsage(c0);
      const k = threadDelta(k0, threadTimes());
      if (r < WARMUP) continue;
      samples[i].push((t1 - t0) / steps);
      cpu[i].push((c.user + c.system) / 1000 / steps);
      const per = (ms: number) => ms / steps / ROUNDS;
      for (const [tid, ms] of k) {
        const worker = row.workers?.indexOf(tid) ?? -1;
        if (tid === process.pid) split[i].calling += per(ms);
        else if (worker >= 0) split[i].workers[worker] += per(ms);
        else if (helperThreads.has(tid)) split[i].helpers += per(ms);
        else split[i].other += per(ms);
      }
    }
  }
  return { timings: rows.map((row, i) => summarize(row.name, samples[i])), cpu: cpu.map((xs, i) => summarize(rows[i].name, xs).median), split };
}

const MB = 1024 * 1024;
const sections: string[] = [];
const load = [loadavg()[0]];
for (const w of WORKLOADS) {
  const one = await parallelRow(w, 1);
  const two = await parallelRow(w, 2);
  const rows = [jitRow(w, 1), jitRow(w, 2), one, two];
  const { timings, cpu, split } = await time(rows, w.steps);
  for (const r of rows) r.close?.();
  load.push(loadavg()[0]);
  const median = (name: string) => timings.find((t) => t.name === name)?.median ?? NaN;
  const ratio = median(one.name) / median(two.name);
  sections.push(
    `### ${w.name}: training step (value, gradients, SGD in place)`,
    "",
    table(
      ["case", "min ms", "median ms", "max ms", "steps/s (median)", "CPU ms per step, all threads (median)"],
      timings.map((t, i) => [t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max), (1000 / t.median).toFixed(1), fmtMs(cpu[i])]),
    ),
    "",
    `2 workers ÷ 1 worker: **${ratio.toFixed(2)}×** steps/s; 2 workers ÷ jit on 1 thread: ${(median("jit, 1 thread") / median(two.name)).toFixed(2)}×; ` +
      `÷ jit with a 2-thread pool: ${(median("jit, pool 2 threads") / median(two.name)).toFixed(2)}×.`,
    `Resident memory after starting and warming the workers: 1 worker +${(one.rss / MB).toFixed(1)} MB, 2 workers +${(two.rss / MB).toFixed(1)} MB ` +
      `(≈ ${((two.rss - one.rss) / MB).toFixed(1)} MB per extra worker).`,
    "",
  );
  if (helperThreads.size > 0)
    sections.push(
      `CPU ms per step by thread (all timed rounds; /proc/self/task, 10 ms ticks). Engine helpers: the ${helperThreads.size} threads the process starts with (V8's concurrent garbage collection and compilers):`,
      "",
      table(
        ["case", "calling thread", "worker threads (each)", "engine helpers", "other threads"],
        split.map((t, i) => [rows[i].name, fmtMs(t.calling), t.workers.map(fmtMs).join(", ") || "–", fmtMs(t.helpers), fmtMs(t.other)]),
      ),
      "",
    );
  console.log(sections.slice(-12).join("\n"));
}

const body = [
  `Machine: ${machineDescription()}. Date: ${new Date().toISOString().slice(0, 10)}. 1-minute load average: ${load.map((l) => l.toFixed(2)).join(" → ")} (before, after each workload).${quick ? " (quick run)" : ""}`,
  "",
  `${ROUNDS} interleaved rounds after ${WARMUP} of warm-up; a sample is the mean of a few steps. Float32.`,
  "",
  ...sections,
].join("\n");
if (!quick) writeResultsSection("parallel", "Data-parallel gradients (npm run bench:parallel)", body);
console.log(body);
