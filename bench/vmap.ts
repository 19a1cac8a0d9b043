/**
 * `npm run bench:vmap` (also part of `npm run bench`): per-example gradients of the MLP 784-256-10 at
 * batch 128 by `vmap(grad(loss), { inAxes: [null, 0, 0] })`, eager and under `jit` (without and with
 * the previous call's gradients donated, so the call writes into their storage), against the batch
 * gradient of the same loss (eager and jitted), on the wasm backend with one thread, interleaved round
 * by round. Beside them, the floor the per-example gradients cannot beat: their first layer alone is
 * 128 × 784 × 256 float32 (103 MB), so two more rows write that many bytes with `fill`, once into a
 * fresh Float32Array (what every call's output is without donation: the kernel maps and zeroes new
 * pages as it touches them) and once into an array written before (memory bandwidth alone).
 *
 * Writes the "vmap" section of bench/RESULTS.md; `--quick` runs 3 rounds and writes nothing.
 */
import { loadavg } from "node:os";
import { jit } from "../src/jit/index.js";
import { add, grad, logSoftmax, matmul, mul, relu, setBackend, setThreads, sum, tensor, vmap, type Tensor } from "../src/tensor/index.js";
import { consumeSink, fmtMs, machineDescription, table, timeInterleaved, writeResultsSection, type Case, type Timing } from "./harness.js";
import { MLP_SIZES, mlpData } from "./workloads/data.js";

const quick = process.argv.includes("--quick");
setBackend("wasm");
setThreads(1);

const { inputs, hidden, classes, batch } = MLP_SIZES;
const data = mlpData(2, MLP_SIZES);
const x = tensor(data.x, { shape: [batch, inputs] });
const labels = tensor(data.labels, { shape: [batch, classes] });
const params = {
  w1: tensor(data.params.w1, { shape: [inputs, hidden] }),
  b1: tensor(data.params.b1, { shape: [hidden] }),
  w2: tensor(data.params.w2, { shape: [hidden, classes] }),
  b2: tensor(data.params.b2, { shape: [classes] }),
};
type Params = typeof params;

/** Cross-entropy summed over the rows of x (one example under vmap, where x is a vector). */
const lossSum = (p: Params, xs: Tensor, ys: Tensor): Tensor => mul(sum(mul(ys, logSoftmax(add(matmul(relu(add(matmul(xs, p.w1), p.b1)), p.w2), p.b2)))), -1);
/** Each gradient function gives the parameters' pytree: one gradient per parameter. */
type Gradients = (p: Params, xs: Tensor, ys: Tensor) => Params;
const batchGradient = grad(lossSum) as Gradients;
const batchGradientJit = jit(batchGradient);
const perExample = vmap(grad(lossSum), { inAxes: [null, 0, 0] }) as Gradients;
const perExampleJit = jit(perExample);
/** The previous call's gradients donated (and not read): each call writes into their storage. */
const perExampleDonating = jit((p: Params, xs: Tensor, ys: Tensor, _previous: Params) => perExample(p, xs, ys), { donate: [3] });
let previous = perExampleDonating(params, x, labels, perExample(params, x, labels));

/** One element of each gradient, read so that the work is observable (a full read would copy 103 MB). */
const touch = (g: Params): number => g.w1.at(...(new Array(g.w1.rank).fill(0) as [number])) + g.b2.at(...(new Array(g.b2.rank).fill(0) as [number]));

// The per-example gradients sum to the batch gradient: checked once, so the rows time the right thing.
const summed = sum(perExample(params, x, labels).w1, 0).data();
const whole = batchGradient(params, x, labels).w1.data();
let worst = 0;
for (let i = 0; i < whole.length; i++) worst = Math.max(worst, Math.abs(summed[i] - whole[i]));
if (!(worst < 1e-3)) throw new Error(`vmap(grad) summed over the batch differs from grad by ${worst}`);

// The compile time of jit(vmap(grad)): its first call (trace, optimise, code generation and one run).
const compileStart = performance.now();
touch(perExampleJit(params, x, labels));
const firstCallMs = performance.now() - compileStart;

const floorSize = batch * inputs * hidden;
const written = new Float32Array(floorSize);
const batchCases: Case[] = [
  { name: "batch gradient, grad(loss)", run: () => touch(batchGradient(params, x, labels)) },
  { name: "batch gradient, jit(grad(loss))", run: () => touch(batchGradientJit(params, x, labels)) },
];
// Two groups, each interleaved with the batch gradients: the cases that allocate nothing large per
// call, then those that make 103 MB of fresh memory per call, whose garbage and page faults would
// otherwise land in the first group's rounds too.
const steady: Case[] = [
  ...batchCases,
  { name: "per-example, jit(vmap(grad(loss))), previous result donated", run: () => touch((previous = perExampleDonating(params, x, labels, previous))) },
  { name: "floor: fill a 103 MB Float32Array written before", run: () => written.fill(written[0] + 1)[floorSize - 1] },
];
const fresh: Case[] = [
  ...batchCases,
  { name: "per-example, vmap(grad(loss))", run: () => touch(perExample(params, x, labels)) },
  { name: "per-example, jit(vmap(grad(loss)))", run: () => touch(perExampleJit(params, x, labels)) },
  { name: "floor: fill a fresh 103 MB Float32Array", run: () => new Float32Array(floorSize).fill(1)[floorSize - 1] },
];
const options = quick ? { rounds: 3, warmup: 1 } : { rounds: 15, warmup: 3 };
const ratio = (t: Timing, of: Timing): string => `${(t.min / of.min).toFixed(1)}× / ${(t.median / of.median).toFixed(1)}×`;
/** One group's table: each case against the two batch gradients timed in the same rounds. */
const group = (cases: readonly Case[]): string => {
  // The garbage made before (the check above, the other group) is collected before the rounds start.
  (globalThis as { gc?: () => void }).gc?.();
  const timings = timeInterleaved(cases, options);
  const rows = timings.map((t) => [t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max), ratio(t, timings[0]), ratio(t, timings[1])]);
  return table(["case", "min", "median", "max", "÷ batch gradient (min / median)", "÷ jitted batch gradient (min / median)"], rows);
};
const loadBefore = loadavg()[0];
const [steadyTable, freshTable] = [group(steady), group(fresh)];
const body = [
  `Machine: ${machineDescription()}. Date: ${new Date().toISOString().slice(0, 10)}. Load average (1 min) before / after: ${loadBefore.toFixed(2)} / ${loadavg()[0].toFixed(2)}.${quick ? " (quick run)" : ""}`,
  "",
  `MLP ${inputs}-${hidden}-${classes}, batch ${batch}, wasm backend, one thread: the gradient of all weights and biases, for the batch and per example (the first layer's per-example gradient is ${batch} × ${inputs} × ${hidden} float32, ${((floorSize * 4) / 1e6).toFixed(0)} MB). Interleaved rounds, ms, in two groups.`,
  "",
  "Nothing large allocated per call (the per-example gradients written into the storage of the previous call's, donated):",
  "",
  steadyTable,
  "",
  `A fresh ${((floorSize * 4) / 1e6).toFixed(0)} MB result per call:`,
  "",
  freshTable,
  "",
  `Compile time of jit(vmap(grad(loss))), its first call on a fresh jit (trace, optimise, code generation and one run): ${fmtMs(firstCallMs)} ms.`,
].join("\n");
console.log(body);
console.log(`(sink ${consumeSink() > 0 ? "kept" : "empty"})`);
if (!quick) writeResultsSection("vmap", "Per-example gradients (npm run bench:vmap)", body);
