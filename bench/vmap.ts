/**
 * `npm run bench:vmap` (also part of `npm run bench`): per-example gradients of the MLP 784-256-10 at
 * batch 128 by `vmap(grad(loss), { inAxes: [null, 0, 0] })`, eager and under `jit`, against the batch
 * gradient of the same loss, on the wasm backend with one thread, interleaved round by round. Beside
 * them, the floor the per-example gradients cannot beat: their first layer alone is 128 × 784 × 256
 * float32 (103 MB), so two more rows write that many bytes with `fill`, once into a fresh
 * Float32Array (what every call's output is: the kernel maps and zeroes new pages as it touches
 * them) and once into an array written before (memory bandwidth alone).
 *
 * Writes the "vmap" section of bench/RESULTS.md; `--quick` runs 3 rounds and writes nothing.
 */
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
const perExample = vmap(grad(lossSum), { inAxes: [null, 0, 0] }) as Gradients;
const perExampleJit = jit(perExample) as Gradients;

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
const cases: Case[] = [
  { name: "batch gradient, grad(loss)", run: () => touch(batchGradient(params, x, labels)) },
  { name: "per-example, vmap(grad(loss))", run: () => touch(perExample(params, x, labels)) },
  { name: "per-example, jit(vmap(grad(loss)))", run: () => touch(perExampleJit(params, x, labels)) },
  { name: "floor: fill a fresh 103 MB Float32Array", run: () => new Float32Array(floorSize).fill(1)[floorSize - 1] },
  { name: "floor: fill a 103 MB Float32Array written before", run: () => written.fill(written[0] + 1)[floorSize - 1] },
];
const timings = timeInterleaved(cases, quick ? { rounds: 3, warmup: 1 } : { rounds: 15, warmup: 3 });
const [base, fresh] = [timings[0], timings[3]];
const ratio = (t: Timing, of: Timing): string => `${(t.min / of.min).toFixed(1)}× / ${(t.median / of.median).toFixed(1)}×`;
const rows = timings.map((t) => [t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max), ratio(t, base), ratio(t, fresh)]);
const body = [
  `Machine: ${machineDescription()}. Date: ${new Date().toISOString().slice(0, 10)}.${quick ? " (quick run)" : ""}`,
  "",
  `MLP ${inputs}-${hidden}-${classes}, batch ${batch}, wasm backend, one thread: the gradient of all weights and biases, for the batch and per example (the first layer's per-example gradient is ${batch} × ${inputs} × ${hidden} float32, ${((floorSize * 4) / 1e6).toFixed(0)} MB). Interleaved rounds, ms.`,
  "",
  table(["case", "min", "median", "max", "÷ batch gradient (min / median)", "÷ fresh 103 MB fill (min / median)"], rows),
  "",
  `Compile time of jit(vmap(grad(loss))), its first call on a fresh jit (trace, optimise, code generation and one run): ${fmtMs(firstCallMs)} ms.`,
].join("\n");
console.log(body);
console.log(`(sink ${consumeSink() > 0 ? "kept" : "empty"})`);
if (!quick) writeResultsSection("vmap", "Per-example gradients (npm run bench:vmap)", body);
