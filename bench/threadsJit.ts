/**
 * A focused A/B of the jit on 1 and 2 threads (issue 20 item 2, issue 16's fused groups on threads):
 * the jitted chain f + gradient at n = 1e5 (its fused groups split among threads), the jitted MLP
 * 784-256-10 value and gradients at batch 128 and a two-head network (their small products of one
 * level side by side: `parallelBranches` on and off), on one thread and on two, interleaved round by
 * round. Short runs; read the ratios with the machine's load average, printed beside them.
 *
 * Then the MLP step sustained, as a training loop runs it: each configuration alone, `steps`
 * back-to-back steps after 300 of warm-up, every step timed (the interleaved rounds above start
 * each sample with caches and the pool's workers cold from the other cases: what a step costs
 * between other work, not in a loop of steps).
 *
 *   npm run build && node --expose-gc dist/bench/threadsJit.js [rounds] [steps]
 */
import { loadavg } from "node:os";
import { jit, type JitOptions } from "../src/jit/index.js";
import { add, matmul, mul, randn, rng, setBackend, setThreads, sum, tanh, tensor, valueAndGrad, type Tensor } from "../src/tensor/index.js";
import { timeInterleaved, type Case } from "./harness.js";
import { chainValue, mlpLoss, mlpParams } from "./rivals/adjoint.js";
import { chainData, MLP_SIZES, mlpData } from "./workloads/data.js";

const rounds = Number(process.argv[2] ?? 15);
const steps = Number(process.argv[3] ?? 2000);

type Params = Record<string, Tensor>;

/** One jitted value-and-gradient step of `loss` on `threads`, returning a number that depends on every gradient. */
function stepOf(loss: (p: Params) => Tensor, params: Params, threads: number, options?: JitOptions): () => number {
  const f = jit(valueAndGrad(loss), options);
  return () => {
    setBackend("wasm");
    setThreads(threads);
    const [value, grads] = f(params) as [Tensor, Params];
    return Object.values(grads).reduce((s, g) => s + g.data()[0], value.item());
  };
}

const chain = chainData(100_000);
const chainLoss = (p: Params) => chainValue(p.x);
const chainParams = { x: tensor(chain.x) };
const mlp = mlpData(7, MLP_SIZES);
const x = tensor(mlp.x, { shape: [MLP_SIZES.batch, MLP_SIZES.inputs] });
const labels = tensor(mlp.labels, { shape: [MLP_SIZES.batch, MLP_SIZES.classes] });
const mlpStep = (p: Params) => mlpLoss(x, labels, p as never);
const params = mlpParams(mlp) as unknown as Params;
// Two heads on one trunk: [128, 256] → 256 → heads of 64 and 64 (every product below the panel-split size).
const r = rng(3);
const hx = randn([128, 256], { rng: r });
const heads: Params = { w: mul(randn([256, 256], { rng: r }), 0.05), a: mul(randn([256, 64], { rng: r }), 0.05), b: mul(randn([256, 64], { rng: r }), 0.05) };
const twoHeads = (p: Params) => {
  const h = tanh(matmul(hx, p.w));
  return add(sum(tanh(matmul(h, p.a))), sum(mul(matmul(h, p.b), 0.5)));
};

const off = { parallelBranches: false };
const cases: Case[] = [
  { name: "chain f + grad, 1 thread", run: stepOf(chainLoss, chainParams, 1) },
  { name: "chain f + grad, 2 threads", run: stepOf(chainLoss, chainParams, 2) },
  { name: "MLP value + grads, 1 thread", run: stepOf(mlpStep, params, 1) },
  { name: "MLP value + grads, 2 threads, branches off", run: stepOf(mlpStep, params, 2, off) },
  { name: "MLP value + grads, 2 threads, branches on", run: stepOf(mlpStep, params, 2) },
  { name: "two heads value + grads, 1 thread", run: stepOf(twoHeads, heads, 1) },
  { name: "two heads value + grads, 2 threads, branches off", run: stepOf(twoHeads, heads, 2, off) },
  { name: "two heads value + grads, 2 threads, branches on", run: stepOf(twoHeads, heads, 2) },
];
const before = loadavg();
const timings = timeInterleaved(cases, { rounds, warmup: 3, minMs: 5 });
const after = loadavg();
console.log(`load average (1 min) ${before[0].toFixed(1)} before, ${after[0].toFixed(1)} after; ms: case | min | median | max | samples | ÷ the 1-thread row (min / median)`);
let base = timings[0];
for (const t of timings) {
  if (t.name.endsWith("1 thread")) base = t;
  const ratio = `${(base.min / t.min).toFixed(2)}× / ${(base.median / t.median).toFixed(2)}×`;
  console.log(`| ${t.name} | ${t.min.toFixed(2)} | ${t.median.toFixed(2)} | ${t.max.toFixed(2)} | ${t.samples} | ${ratio} |`);
}

/** `steps` steps of `run` back to back after 300 of warm-up: per-step ms (min, median, 90th percentile, max). */
function sustained(run: () => number): { min: number; median: number; p90: number; max: number } {
  for (let i = 0; i < 300; i++) run();
  const times: number[] = [];
  for (let i = 0; i < steps; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  return { min: times[0], median: at(0.5), p90: at(0.9), max: times[times.length - 1] };
}
const loadBefore = loadavg()[0];
const mlpSustained = [1, 2].map((threads) => ({ threads, ...sustained(stepOf(mlpStep, params, threads)) }));
console.log(
  `\nMLP value + grads sustained (${steps} steps after 300 warm-up, each configuration alone); load average (1 min) ${loadBefore.toFixed(1)} before, ${loadavg()[0].toFixed(1)} after`,
);
console.log("| threads | min ms | median ms | p90 ms | max ms | steps/s (median) |");
for (const t of mlpSustained)
  console.log(`| ${t.threads} | ${t.min.toFixed(2)} | ${t.median.toFixed(2)} | ${t.p90.toFixed(2)} | ${t.max.toFixed(2)} | ${(1000 / t.median).toFixed(0)} |`);
