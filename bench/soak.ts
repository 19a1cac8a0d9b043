/**
 * `npm run bench:soak`: memory over a long training run. 20,000 steps of a 256-128-10 MLP (batch
 * 64) with Adam, PyTorch style as in demo/train.ts (`Sequential`, `crossEntropy`, `loss.backward()`,
 * `opt.step()`, `opt.zeroGrad()`), on synthetic labelled data through a shuffling `DataLoader`, on the
 * default backend and thread count (the first layer's products are large enough to be split among
 * the worker threads). Every 1,000 steps, after gc: the JS heap (used and held), external memory and
 * the process's RSS. The claim: memory is flat — backward frees each step's graph, the optimiser's
 * state is allocated once, and the wasm scratch memory stops at its high-water mark after the first
 * step (the judgement is below, at `measures`).
 *
 * Writes the "Soak" section of bench/RESULTS.md; `--quick` runs 2,000 steps and writes nothing.
 * Needs `node --expose-gc` (the npm script passes it).
 */
import { crossEntropy, DataLoader, Linear, ReLU, Sequential } from "../src/nn/index.js";
import { Adam } from "../src/optim/index.js";
import { getBackend, getThreads, rng, tensor, type Tensor } from "../src/tensor/index.js";
import { machineDescription, table, writeResultsSection } from "./harness.js";
import { normals } from "./workloads/data.js";

const quick = process.argv.includes("--quick");
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error("bench/soak needs node --expose-gc (npm run bench:soak passes it)");

const STEPS = quick ? 2000 : 20_000;
const EVERY = quick ? 200 : 1000;
const SIZES = { inputs: 256, hidden: 128, classes: 10, batch: 64, samples: 4096 };

/** Inputs with labels a linear teacher gives them, so the loss has something to fall to. */
function dataset(): [Tensor, Tensor] {
  const g = rng(7);
  const { inputs, classes, samples } = SIZES;
  const x = normals(g, samples * inputs, 1);
  const teacher = normals(g, inputs * classes, 1);
  const labels = new Int32Array(samples);
  for (let s = 0; s < samples; s++) {
    let best = -Infinity;
    for (let c = 0; c < classes; c++) {
      let score = 0;
      for (let i = 0; i < inputs; i++) score += x[s * inputs + i] * teacher[i * classes + c];
      if (score > best) [best, labels[s]] = [score, c];
    }
  }
  return [tensor(x, { shape: [samples, inputs] }), tensor(labels, { dtype: "int32" })];
}

interface Sample {
  readonly step: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly rss: number;
  /** Mean loss over the steps since the previous sample. */
  readonly loss: number;
  readonly msPerStep: number;
}

const g = rng(1);
const model = new Sequential(new Linear(SIZES.inputs, SIZES.hidden, { rng: g }), new ReLU(), new Linear(SIZES.hidden, SIZES.classes, { rng: g }));
const opt = new Adam(model.parameters(), { lr: 1e-3 });
const loader = new DataLoader(dataset(), { batchSize: SIZES.batch, shuffle: true, seed: 2, dropLast: true });

const samples: Sample[] = [];
const started = performance.now();
let [step, lossSum, since, t0] = [0, 0, 0, performance.now()];
while (step < STEPS) {
  for (const [x, y] of loader) {
    const loss = crossEntropy(model.forward(x), y);
    loss.backward();
    opt.step();
    opt.zeroGrad();
    lossSum += loss.item();
    since++;
    if (++step % EVERY === 0) {
      const ms = (performance.now() - t0) / since;
      collect();
      collect();
      const { heapUsed, heapTotal, external, rss } = process.memoryUsage();
      samples.push({ step, heapUsed, heapTotal, external, rss, loss: lossSum / since, msPerStep: ms });
      [lossSum, since, t0] = [0, 0, performance.now()];
    }
    if (step === STEPS) break;
  }
}
const seconds = (performance.now() - started) / 1000;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MB`;
const delta = (bytes: number) => `${bytes >= 0 ? "+" : "−"}${(Math.abs(bytes) / 2 ** 20).toFixed(2)} MB`;
const [first, last] = [samples[0], samples[samples.length - 1]];
/**
 * Growth from the first sample to the last, judged on what a leak would move: live JS objects
 * (heapUsed), typed arrays and wasm memory (external), and RSS beyond V8's heap pages. heapTotal is
 * left out of the judgement: the collector sizes its young generation to the allocation rate, so it
 * (and RSS with it) moves by tens of MB with no live data behind it.
 */
const measures = {
  heapUsed: (s: Sample) => s.heapUsed,
  external: (s: Sample) => s.external,
  "rss − heapTotal": (s: Sample) => s.rss - s.heapTotal,
};
const BARS: Record<keyof typeof measures, number> = { heapUsed: 1 << 20, external: 1 << 20, "rss − heapTotal": 8 << 20 };
const verdicts = (Object.keys(measures) as (keyof typeof measures)[]).map((key) => {
  const growth = measures[key](last) - measures[key](first);
  return { flat: growth <= BARS[key], text: `${key} ${delta(growth)} (bar ${mb(BARS[key])})` };
});
const report = [
  `Machine: ${machineDescription()}. Date: ${new Date().toISOString().slice(0, 10)}.${quick ? " (quick run)" : ""}`,
  "",
  `${STEPS.toLocaleString("en-US")} Adam steps of a ${SIZES.inputs}-${SIZES.hidden}-${SIZES.classes} MLP (batch ${SIZES.batch}, ${SIZES.samples} synthetic samples, shuffled each epoch) ` +
    `on the ${getBackend()} backend, ${getThreads()} thread(s): ${seconds.toFixed(0)} s. After gc every ${EVERY.toLocaleString("en-US")} steps: ` +
    "`heapUsed` (live JS objects: tensors, graph nodes), `heapTotal` (the pages V8 holds for them), `external` (typed-array storage, the wasm scratch memory), `rss` (the whole process, worker threads included).",
  "",
  table(
    ["step", "heapUsed", "heapTotal", "external", "rss", "mean loss", "ms per step"],
    samples.map((s) => [s.step.toLocaleString("en-US"), mb(s.heapUsed), mb(s.heapTotal), mb(s.external), mb(s.rss), s.loss.toExponential(2), s.msPerStep.toFixed(2)]),
  ),
  "",
  `Growth from step ${first.step.toLocaleString("en-US")} to ${last.step.toLocaleString("en-US")}: ${verdicts.map((v) => v.text).join(", ")}; ` +
    `rss itself ${delta(last.rss - first.rss)}, heapTotal ${delta(last.heapTotal - first.heapTotal)} (V8 sizes its young generation to the allocation rate: pages, not live data). ` +
    (verdicts.every((v) => v.flat) ? "Memory is flat." : "Memory grows: see the columns above."),
].join("\n");

console.log(report);
if (!quick) {
  writeResultsSection("soak", "Soak (npm run bench:soak)", report);
  console.log("\nwritten to bench/RESULTS.md");
}
