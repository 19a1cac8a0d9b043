/**
 * `npm run demo:gpt`: trains a character-level GPT (gptModel.ts) on demo/data/shakespeare.txt, with a
 * progress bar and the loss printed every --log-every steps; then prints a sample drawn with
 * temperature from a seeded key, and writes out/gpt.png (the loss curves) and out/gpt.safetensors
 * (the parameters; its metadata holds the config, the vocabulary, and `checkLoss`: the trained
 * model's loss on the text's first `context` + 1 characters, to check a reload against).
 *
 * The training step is the pure function `(params, optState, batch) → [loss, logits, params,
 * optState]` with gradient clipping then the functional AdamW, compiled whole by `jit` with the
 * parameters and optimiser state donated, as `npm start` does; `--eager` runs it uncompiled. Both
 * files are rewritten at every log, so a long run that is stopped keeps its last checkpoint, and
 * `--init FILE` starts a run from such a checkpoint's parameters (with a fresh optimiser and schedule).
 *
 * Flags: --layers N, --heads N, --width N, --context N, --steps N, --batch N, --lr X, --clip X,
 * --seed N, --log-every N, --eval-batches N, --sample N (characters), --temperature X, --text FILE,
 * --init FILE, --out DIR, --eager, --device cpu|webgpu, --backend wasm|cpu, --threads N.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { AdError } from "../src/errors.js";
import { jit } from "../src/jit/index.js";
import { crossEntropy, loadFile, saveFile, type ParameterTree } from "../src/nn/index.js";
import { adamw, applyUpdates, chain, clipByGlobalNorm, tabulated, warmupCosine } from "../src/optim/index.js";
import * as T from "../src/tensor/index.js";
import type { Tensor } from "../src/tensor/index.js";
import { chartPng } from "./chart.js";
import { DEVICES, hostStateDict, selectDevice, type DeviceName } from "./device.js";
import { Gpt } from "./gptModel.js";
import { sample, tokenize, uniforms, windows } from "./gptText.js";
import { ProgressBar } from "./progress.js";

const { values: flags } = parseArgs({
  options: {
    "layers": { type: "string", default: "4" },
    "heads": { type: "string", default: "4" },
    "width": { type: "string", default: "128" },
    "context": { type: "string", default: "64" },
    "steps": { type: "string", default: "1500" },
    "batch": { type: "string", default: "16" },
    "lr": { type: "string", default: "0.003" },
    "clip": { type: "string", default: "1" },
    "seed": { type: "string", default: "1" },
    "log-every": { type: "string", default: "100" },
    "eval-batches": { type: "string", default: "8" },
    "sample": { type: "string", default: "400" },
    "temperature": { type: "string", default: "0.8" },
    "text": { type: "string" },
    "init": { type: "string" },
    "out": { type: "string", default: "out" },
    "eager": { type: "boolean", default: false },
    "device": { type: "string", default: "cpu" },
    "backend": { type: "string" },
    "threads": { type: "string" },
  },
});

function fail(message: string): never {
  console.error(`npm run demo:gpt: ${message}`);
  process.exit(2);
}
const int = (name: string) => {
  const v = flags[name as keyof typeof flags] as string;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a positive integer, got ${v}`);
  return n;
};
const positive = (name: string) => {
  const v = flags[name as keyof typeof flags] as string;
  const x = Number(v);
  if (!(x > 0)) fail(`--${name} must be a positive number, got ${v}`);
  return x;
};

const [layers, heads, width, context, steps, batch, seed, logEvery, evalBatches, sampleLength] = [
  "layers",
  "heads",
  "width",
  "context",
  "steps",
  "batch",
  "seed",
  "log-every",
  "eval-batches",
  "sample",
].map(int);
const [lr, clip, temperature] = ["lr", "clip", "temperature"].map(positive);
if (width % heads !== 0) fail(`--heads ${heads} must divide --width ${width}`);
if (flags.backend !== undefined) T.setBackend(flags.backend as T.BackendName);
if (flags.threads !== undefined) T.setThreads(int("threads"));
if (!(DEVICES as readonly string[]).includes(flags.device)) fail(`--device must be cpu or webgpu, got ${flags.device}`);
const { device, note } = await selectDevice(flags.device as DeviceName);

// ── Data: characters as int32 tokens; the last tenth held out ───────────────────────────────────
// From dist/demo (npm run) or demo/ (a TypeScript runner), the text sits in the source tree's demo/data.
const textPath =
  flags.text ??
  [new URL("../../demo/data/shakespeare.txt", import.meta.url), new URL("./data/shakespeare.txt", import.meta.url)].map((u) => fileURLToPath(u)).find((p) => existsSync(p));
if (textPath === undefined || !existsSync(textPath)) fail(`no text at ${textPath ?? "demo/data/shakespeare.txt"}`);
const text = readFileSync(textPath, "utf8");
const { vocab, tokenOf, tokens } = tokenize(text);
const heldOutStart = Math.floor(tokens.length * 0.9);
if (heldOutStart < context + 1 || tokens.length - heldOutStart < context + 1) fail(`the text (${tokens.length} characters) is too short for --context ${context}`);

/** `batch` random windows from [from, to): inputs [batch, context] and their next characters. */
const windowsOf = (nextUniform: () => number, from: number, to: number) => windows(tokens, batch, context, nextUniform, from, to);

// ── Model and step ───────────────────────────────────────────────────────────────────────────
const config = { vocab: vocab.length, layers, heads, width, context };
const model = new Gpt(config, T.rng(seed));
if (flags.init !== undefined) {
  const { tensors, metadata } = await loadFile(flags.init).catch((e: unknown) => fail(e instanceof AdError ? e.message : String(e)));
  if (metadata.config !== JSON.stringify(config) || metadata.vocab !== JSON.stringify(vocab.join(""))) {
    fail(`--init ${flags.init} holds a model of config ${metadata.config ?? "?"}, not ${JSON.stringify(config)} over this text's vocabulary`);
  }
  model.loadStateDict(tensors);
  console.log(`\nstarting from ${flags.init} (${metadata.steps} steps trained)`);
}
const parameterCount = model.parameters().reduce((n, p) => n + p.size, 0);
const warmupSteps = Math.min(100, Math.floor(steps / 10));
// Clipping tames the loss spikes a high learning rate brings early on.
const opt = chain(clipByGlobalNorm(clip), adamw({ lr: tabulated(warmupCosine(lr, { warmupSteps, totalSteps: steps, minLr: lr / 10 }), steps) }));
// Copies on the device: the jitted step donates, and so reuses, its inputs' storage.
let params = T.noGrad(() => mapTree(model.parameterTree(), (t) => T.mul(t, 1).to(device)));
let optState = opt.init(params);

function mapTree(tree: ParameterTree, f: (t: Tensor) => Tensor): ParameterTree {
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [k, v instanceof T.Tensor ? f(v) : mapTree(v, f)]));
}

/** The mean next-character cross-entropy of `params` on inputs x [B, L] with targets y [B, L], and the logits. */
function lossAndLogits(p: ParameterTree, x: Tensor, y: Tensor): [Tensor, Tensor] {
  const logits = model.call(p, x);
  const rows = x.shape[0] * x.shape[1];
  return [crossEntropy(T.reshape(logits, [rows, vocab.length]), T.reshape(y, [rows])), logits];
}

function trainStep(p: ParameterTree, s: unknown[], [x, y]: readonly [Tensor, Tensor]): [Tensor, Tensor, ParameterTree, unknown[]] {
  const [[loss, logits], grads] = T.valueAndGrad((q: ParameterTree) => lossAndLogits(q, x, y), { hasAux: true })(p) as [[Tensor, Tensor], ParameterTree];
  const { updates, state: next } = opt.update(grads, s, p);
  return [loss, logits, applyUpdates(p, updates), next];
}
const mode = flags.eager || device !== "cpu" ? "eager" : "jit";
const runStep = mode === "eager" ? trainStep : jit(trainStep, { donate: [0, 1] });
const heldOutLossOf = (p: ParameterTree, x: Tensor, y: Tensor) => T.noGrad(() => lossAndLogits(p, x, y)[0]);
const runHeldOut = mode === "eager" ? heldOutLossOf : jit(heldOutLossOf);

// Training batches come from one stream; the held-out loss is the mean over a fixed set of batches
// of the last tenth (one batch's loss wanders by ±0.1), from a stream of their own.
const nextUniform = uniforms(seed);
const nextHeldOut = uniforms(seed + 1);
const heldOutSet = Array.from({ length: evalBatches }, () => windowsOf(nextHeldOut, heldOutStart, tokens.length).map((t) => t.to(device)));

console.log(`\nadjoint trains a character-level GPT (${parameterCount.toLocaleString("en")} parameters) on ${textPath.split(/[\\/]/).pop()}`);
console.log(
  `  ${layers} layers, ${heads} heads, width ${width}, context ${context}, vocabulary ${vocab.length}; ${steps} steps of batch ${batch}, AdamW lr ${lr} (warmup, cosine), device ${note}, ${T.getBackend() === "wasm" ? T.getThreads() : 1} thread(s), seed ${seed}, ${mode === "jit" ? "jitted steps" : "eager steps"}\n`,
);

/** The share of positions whose most likely next character is the right one. */
async function accuracy(logits: Tensor, y: Tensor): Promise<number> {
  const predicted = await T.argmax(logits, -1).read();
  const truth = y.data();
  let right = 0;
  for (let i = 0; i < truth.length; i++) if (predicted[i] === truth[i]) right++;
  return right / truth.length;
}

// ── Checkpoints: the parameters (safetensors) and the loss curves (PNG) so far ───────────────
const trainCurve: [number, number][] = [];
const heldOutCurve: [number, number][] = [];
const pngPath = join(flags.out, "gpt.png");
const modelPath = join(flags.out, "gpt.safetensors");
// From the step's own parameter tree, not the module's: a reload of the saved file must reproduce it.
const probe = (from: number) => T.tensor(tokens.slice(from, from + context), { dtype: "int32", shape: [1, context] }).to(device);

async function checkpoint(step: number): Promise<void> {
  const checkLoss = (await T.noGrad(() => lossAndLogits(params, probe(0), probe(1))[0]).read())[0];
  mkdirSync(flags.out, { recursive: true });
  const series = [
    { label: "train", color: "#1f77b4", points: trainCurve },
    { label: "held out", color: "#d62728", points: heldOutCurve },
  ];
  writeFileSync(pngPath, chartPng([{ title: "loss, nats per character", xLabel: "step", xMin: 0, series, yMin: 0 }]));
  await saveFile(modelPath, await hostStateDict(params), {
    model: "gpt",
    config: JSON.stringify(config),
    vocab: JSON.stringify(vocab.join("")),
    steps: String(step),
    checkLoss: String(checkLoss),
    framework: "adjoint",
  });
}

// ── Training ─────────────────────────────────────────────────────────────────────────────────
const trainStart = performance.now();
let [timedSteps, timedSeconds] = [0, 0];
let bar = new ProgressBar(`steps`, Math.min(logEvery, steps));
let [sum, right, seen] = [0, 0, 0];
for (let step = 1; step <= steps; step++) {
  const [x, y] = windowsOf(nextUniform, 0, heldOutStart);
  const t0 = performance.now();
  const [loss, logits, nextParams, nextState] = runStep(params, optState, [x.to(device), y.to(device)]);
  [params, optState] = [nextParams, nextState];
  const value = (await loss.read())[0];
  // Steady state only: the first call compiles under jit.
  if (step > 1) [timedSteps, timedSeconds] = [timedSteps + 1, timedSeconds + (performance.now() - t0) / 1000];
  [sum, right, seen] = [sum + value, right + (await accuracy(logits, y)), seen + 1];
  bar.update(seen, { loss: sum / seen, accuracy: right / seen });
  if (step % logEvery === 0 || step === steps) {
    bar.finish({ loss: sum / seen, accuracy: right / seen });
    let heldOut = 0;
    for (const [hx, hy] of heldOutSet) heldOut += (await runHeldOut(params, hx, hy).read())[0] / evalBatches;
    const seconds = (performance.now() - trainStart) / 1000;
    trainCurve.push([step, sum / seen]);
    heldOutCurve.push([step, heldOut]);
    await checkpoint(step);
    console.log(`  step ${step}: train loss ${(sum / seen).toFixed(4)}  held-out loss ${heldOut.toFixed(4)}  (${seconds.toFixed(0)} s)`);
    [sum, right, seen] = [0, 0, 0];
    bar = new ProgressBar(`steps`, Math.min(logEvery, steps - step));
  }
}
const trainSeconds = (performance.now() - trainStart) / 1000;
model.loadStateDict({ ...model.stateDict(), ...(await hostStateDict(params)) });

// ── Sample: temperature sampling, one character at a time, from a seeded key ─────────────────
model.eval();
const generated = await sample((indices) => model.forward(indices), config, tokenOf.get("\n") ?? 0, sampleLength, temperature, seed);
const sampleText = generated.map((t) => vocab[t]).join("");
console.log(`\nsample (temperature ${temperature}, key ${seed}):\n${"─".repeat(60)}\n${sampleText}\n${"─".repeat(60)}`);

// ── Results ──────────────────────────────────────────────────────────────────────────────────
const tokensPerSecond = (timedSteps * batch * context) / timedSeconds;
console.log(
  `\n${steps} steps in ${trainSeconds.toFixed(1)} s; ${mode}: ${timedSteps > 0 ? Math.round(tokensPerSecond) : "–"} tokens/s (${timedSteps} steps after the first${mode === "jit" ? ", whose call compiled the step" : ""})`,
);
console.log(`  wrote ${pngPath} and ${modelPath}\n`);
