/**
 * `npm run bench:tensor`: adjoint's tensor engine against TensorFlow.js on its pure-JS CPU backend
 * (tfjs-backend-cpu) and against plain JavaScript. Every case runs in one process on the same seeded
 * inputs, interleaved round by round after warm-up (bench/harness.ts); times are min/median/max.
 *
 * 1. matmul, 512×512 float32: adjoint's `matmul`, `tf.matMul` + `dataSync()` (so the product is really
 *    computed), and a hand-written i-k-j triple loop over Float32Array. ms, GFLOPS = 2n³/t, ÷ tfjs.
 * 2. MLP step, 784-256-10, relu, log-softmax cross-entropy against one-hot labels, batch 128, float32:
 *    the loss and its gradient with respect to w1, b1, w2, b2. adjoint JAX style (`valueAndGrad` over a
 *    `{ w1, b1, w2, b2 }` tree) and PyTorch style (`loss.backward()`); tfjs with `tf.valueAndGrads`
 *    inside `tf.tidy`, loss and gradients read with `dataSync()`. Before anything is timed, every
 *    case's loss and gradients are compared with the first case's and the run throws if they differ
 *    (a benchmark of a wrong result is worthless). Steps/s and time ÷ tfjs.
 * 3. Memory: 10,000 PyTorch-style training steps of a 32-64-10 MLP (batch 16; `requireGrad` leaves,
 *    `loss.backward()`, an SGD update under `noGrad`, `zeroGrad`). heapUsed after warm-up and gc, the
 *    largest value sampled every 500 steps (garbage included), and after gc at each quarter of the
 *    run. The claim: a flat heap, because backward releases each step's graph.
 *
 * Writes the "Tensor" section of bench/RESULTS.md; `--quick` is a short smoke run that writes nothing.
 * Needs `node --expose-gc` (the npm script passes it).
 *
 * Rivals are the entries of `RIVALS`. Each loads its library lazily and implements the workloads it
 * can (`matmul`, `mlp`); one that is not installed is reported and skipped. Adding
 * @tensorflow/tfjs-backend-wasm is one entry, `{ name: "tfjs-wasm", load: tfjs("wasm", () =>
 * import("@tensorflow/tfjs-backend-wasm")) }`; @jax-js/jax is one entry with its own `matmul` and `mlp`.
 */
import {
  add,
  availableBackends,
  logSoftmax,
  matmul,
  mul,
  noGrad,
  relu,
  rng,
  setBackend,
  sub,
  sum,
  tensor,
  valueAndGrad,
  type BackendName,
  type Rng,
  type Tensor,
} from "../src/tensor/index.js";
import type * as TF from "@tensorflow/tfjs"; // types only: the library itself is imported when its rival loads
import { consumeSink, fmtMs, machineDescription, table, timeInterleaved, writeResultsSection, type Timing } from "./harness.js";

const quick = process.argv.includes("--quick");
const collect = (globalThis as { gc?: () => void }).gc;
if (collect === undefined) throw new Error("bench/tensor needs node --expose-gc (npm run bench:tensor passes it)");
const gc = (): void => {
  collect();
  collect();
};

// ── The workloads, as the plain float32 arrays every library starts from ─────────────────────────────

const MATMUL_N = 512;
const MLP = { inputs: 784, hidden: 256, classes: 10, batch: 128 } as const;

const PARAMS = ["w1", "b1", "w2", "b2"] as const;
type ParamName = (typeof PARAMS)[number];
type Params<T> = Readonly<Record<ParamName, T>>;

interface MlpData {
  readonly x: Float32Array; // [batch, inputs], row-major
  readonly labels: Float32Array; // one-hot [batch, classes]
  readonly params: Params<Float32Array>; // w1 [inputs, hidden], b1 [hidden], w2 [hidden, classes], b2 [classes]
}

interface MlpResult {
  readonly loss: number;
  readonly grads: Params<Float32Array>;
}

/** One library's side of the benchmarks; a workload it leaves out is skipped for it. */
interface Rival {
  /** Prepares C = A·B for n×n row-major A and B; the returned function computes C once and forces it. */
  readonly matmul?: (a: Float32Array, b: Float32Array, n: number) => () => number;
  /** Prepares the MLP: `step` computes the loss and every gradient; `result` does the same and returns them. */
  readonly mlp?: (data: MlpData) => { readonly step: () => number; readonly result: () => MlpResult };
}

interface RivalEntry {
  readonly name: string;
  /** Loads the library (a dynamic import); null when it is not installed. */
  readonly load: () => Promise<Rival | null>;
}

function normals(g: Rng, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = g.normal() * scale;
  return out;
}

function oneHotRows(g: Rng, rows: number, classes: number): Float32Array {
  const out = new Float32Array(rows * classes);
  for (let r = 0; r < rows; r++) out[r * classes + g.int(0, classes)] = 1;
  return out;
}

function mlpData(seed: number, sizes: { inputs: number; hidden: number; classes: number; batch: number }): MlpData {
  const g = rng(seed);
  const { inputs, hidden, classes, batch } = sizes;
  return {
    x: normals(g, batch * inputs, 1),
    labels: oneHotRows(g, batch, classes),
    // He initialisation, so the hidden layer and the logits are O(1) and the loss is not saturated.
    params: {
      w1: normals(g, inputs * hidden, Math.sqrt(2 / inputs)),
      b1: normals(g, hidden, 0.1),
      w2: normals(g, hidden * classes, Math.sqrt(2 / hidden)),
      b2: normals(g, classes, 0.1),
    },
  };
}

// ── adjoint ──────────────────────────────────────────────────────────────────────────────────────────

/** Mean cross-entropy of softmax(relu(x·w1 + b1)·w2 + b2) against one-hot labels. */
function mlpLoss(x: Tensor, labels: Tensor, p: Params<Tensor>): Tensor {
  const logits = add(matmul(relu(add(matmul(x, p.w1), p.b1)), p.w2), p.b2);
  return mul(sum(mul(labels, logSoftmax(logits))), -1 / x.shape[0]);
}

function adjointParams(data: MlpData, inputs: number, hidden: number, classes: number): Params<Tensor> {
  const { w1, b1, w2, b2 } = data.params;
  return {
    w1: tensor(w1, { shape: [inputs, hidden] }),
    b1: tensor(b1),
    w2: tensor(w2, { shape: [hidden, classes] }),
    b2: tensor(b2),
  };
}

function adjointInputs(data: MlpData): { x: Tensor; labels: Tensor; params: Params<Tensor> } {
  const { inputs, hidden, classes, batch } = MLP;
  return {
    x: tensor(data.x, { shape: [batch, inputs] }),
    labels: tensor(data.labels, { shape: [batch, classes] }),
    params: adjointParams(data, inputs, hidden, classes),
  };
}

function arraysOf(ts: Params<Tensor | null>): Params<Float32Array> {
  const out = {} as Record<ParamName, Float32Array>;
  for (const k of PARAMS) {
    const t = ts[k];
    if (t === null) throw new Error(`adjoint: no gradient for ${k}`);
    out[k] = Float32Array.from(t.data());
  }
  return out;
}

/**
 * adjoint on one of its backends, JAX style (`valueAndGrad` over the parameter tree) or PyTorch style
 * (`requireGrad` leaves, `loss.backward()`, `.grad`). The backend is a global setting, so every run
 * selects its own first; null when this engine lacks the backend.
 */
function adjoint(backend: BackendName, style: "valueAndGrad" | "backward"): () => Promise<Rival | null> {
  return async () => {
    if (!availableBackends().includes(backend)) return null;
    const on = <R>(fn: () => R): R => {
      setBackend(backend);
      return fn();
    };
    const matmulCase = (a: Float32Array, b: Float32Array, n: number) => {
      const ta = tensor(a, { shape: [n, n] });
      const tb = tensor(b, { shape: [n, n] });
      return () => on(() => matmul(ta, tb).at(0, 0));
    };
    const mlpJax = (data: MlpData) => {
      const { x, labels, params } = adjointInputs(data);
      const valueAndGrads = valueAndGrad((p: Params<Tensor>) => mlpLoss(x, labels, p));
      const run = () => on(() => valueAndGrads(params) as [Tensor, Params<Tensor>]);
      return {
        step: () => {
          const [loss, grads] = run();
          return loss.item() + grads.b2.at(0);
        },
        result: () => {
          const [loss, grads] = run();
          return { loss: loss.item(), grads: arraysOf(grads) };
        },
      };
    };
    const mlpTorch = (data: MlpData) => {
      const { x, labels, params } = adjointInputs(data);
      for (const k of PARAMS) params[k].requireGrad();
      const run = () =>
        on(() => {
          for (const k of PARAMS) params[k].zeroGrad();
          const loss = mlpLoss(x, labels, params);
          loss.backward();
          return loss.item();
        });
      return {
        step: () => run() + (params.b2.grad as Tensor).at(0),
        result: () => {
          const loss = run();
          return { loss, grads: arraysOf({ w1: params.w1.grad, b1: params.b1.grad, w2: params.w2.grad, b2: params.b2.grad }) };
        },
      };
    };
    // The PyTorch-style entry only adds an MLP row: its matmul is the same call as the JAX-style one's.
    return style === "valueAndGrad" ? { matmul: matmulCase, mlp: mlpJax } : { mlp: mlpTorch };
  };
}

// ── TensorFlow.js ────────────────────────────────────────────────────────────────────────────────────

type Tf = typeof TF;

/**
 * TensorFlow.js on one backend. `register` imports the backend's package when it is not bundled with
 * @tensorflow/tfjs (cpu and webgl are). tfjs's backend is global, so every run first switches to its
 * own — synchronous once the backend is initialised — which lets several tfjs backends be interleaved
 * (tfjs then moves each input's data to the active backend on first use).
 */
function tfjs(backend: string, register: () => Promise<unknown> = async () => undefined): () => Promise<Rival | null> {
  return async () => {
    let tf: Tf;
    try {
      tf = await import("@tensorflow/tfjs");
      await register();
    } catch {
      return null;
    }
    if (!(await tf.setBackend(backend))) return null;
    await tf.ready();
    const use = () => {
      if (tf.getBackend() !== backend) void tf.setBackend(backend);
      if (tf.getBackend() !== backend) throw new Error(`tfjs: could not switch to the ${backend} backend`);
    };
    return {
      matmul: (a, b, n) => {
        use();
        const ta = tf.tensor2d(a, [n, n]);
        const tb = tf.tensor2d(b, [n, n]);
        return () => {
          use();
          const c = tf.matMul(ta, tb);
          const first = c.dataSync()[0];
          c.dispose();
          return first;
        };
      },
      mlp: (data) => {
        use();
        const { inputs, hidden, classes, batch } = MLP;
        const x = tf.tensor2d(data.x, [batch, inputs]);
        const labels = tf.tensor2d(data.labels, [batch, classes]);
        const { w1, b1, w2, b2 } = data.params;
        const params = [tf.tensor2d(w1, [inputs, hidden]), tf.tensor1d(b1), tf.tensor2d(w2, [hidden, classes]), tf.tensor1d(b2)];
        // The same formula as mlpLoss, op for op.
        const loss = (pw1: TF.Tensor, pb1: TF.Tensor, pw2: TF.Tensor, pb2: TF.Tensor) => {
          const hiddenLayer = tf.relu(tf.add(tf.matMul(x, pw1 as TF.Tensor2D), pb1)) as TF.Tensor2D;
          const logits = tf.add(tf.matMul(hiddenLayer, pw2 as TF.Tensor2D), pb2);
          return tf.mul(tf.sum(tf.mul(labels, tf.logSoftmax(logits))), -1 / batch) as TF.Scalar;
        };
        const valueAndGrads = tf.valueAndGrads(loss);
        return {
          step: () => {
            use();
            return tf.tidy(() => {
              const { value, grads } = valueAndGrads(params);
              let s = value.dataSync()[0];
              for (const g of grads) s += g.dataSync()[0];
              return s;
            });
          },
          result: () => {
            use();
            const tensorsBefore = tf.memory().numTensors;
            let result: MlpResult | null = null;
            tf.tidy(() => {
              const { value, grads } = valueAndGrads(params);
              const arrays = grads.map((g) => Float32Array.from(g.dataSync()));
              result = { loss: value.dataSync()[0], grads: { w1: arrays[0], b1: arrays[1], w2: arrays[2], b2: arrays[3] } };
            });
            if (result === null) throw new Error("tfjs: no result");
            if (tf.memory().numTensors !== tensorsBefore) throw new Error(`tfjs: ${tf.memory().numTensors - tensorsBefore} tensors outlive tf.tidy`);
            return result;
          },
        };
      },
    };
  };
}

// ── Plain JavaScript ─────────────────────────────────────────────────────────────────────────────────

/** C = A·B, i-k-j order: the inner loop walks a row of B and a row of C, both contiguous. */
function matmulIkj(a: Float32Array, b: Float32Array, n: number): Float32Array {
  const c = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    const rowC = i * n;
    for (let k = 0; k < n; k++) {
      const aik = a[rowC + k];
      const rowB = k * n;
      for (let j = 0; j < n; j++) c[rowC + j] += aik * b[rowB + j];
    }
  }
  return c;
}

const plainJs: Rival = {
  matmul: (a, b, n) => () => matmulIkj(a, b, n)[0],
};

// ── The rivals; the first with an `mlp` is the reference the others are checked against ──────────────

const REFERENCE = "tfjs-cpu"; // the ratio columns divide by this rival's median

const RIVALS: readonly RivalEntry[] = [
  { name: "adjoint (wasm)", load: adjoint("wasm", "valueAndGrad") },
  { name: "adjoint (wasm), .backward()", load: adjoint("wasm", "backward") },
  { name: "adjoint (cpu)", load: adjoint("cpu", "valueAndGrad") },
  { name: "tfjs-cpu", load: tfjs("cpu") },
  { name: "plain JS i-k-j loop", load: async () => plainJs },
];

// ── 1. matmul ────────────────────────────────────────────────────────────────────────────────────────

function medianOf(timings: readonly Timing[], name: string): number {
  const t = timings.find((x) => x.name === name);
  return t === undefined ? NaN : t.median;
}

const ratio = (x: number) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : "–");

function matmulBench(rivals: readonly (readonly [string, Rival])[]): { rows: string[][]; timings: Timing[] } {
  const n = MATMUL_N;
  const g = rng(1);
  const a = normals(g, n * n, 1);
  const b = normals(g, n * n, 1);
  const cases = rivals.flatMap(([name, r]) => (r.matmul === undefined ? [] : [{ name, run: r.matmul(a, b, n) }]));
  // Same product from everyone (float32 rounding aside) before timing.
  const expected = matmulIkj(a, b, n)[0];
  for (const c of cases) {
    const got = c.run();
    if (!(Math.abs(got - expected) <= 1e-3 * Math.max(1, Math.abs(expected)))) throw new Error(`matmul: ${c.name} gives C[0,0] = ${got}, the reference loop ${expected}`);
  }
  const timings = timeInterleaved(cases, quick ? { rounds: 2, warmup: 1 } : { rounds: 9, warmup: 3 });
  const reference = medianOf(timings, REFERENCE);
  const flops = 2 * n ** 3;
  const rows = timings.map((t) => [t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max), (flops / (t.median * 1e6)).toFixed(2), ratio(t.median / reference)]);
  return { rows, timings };
}

// ── 2. MLP value and gradient ────────────────────────────────────────────────────────────────────────

function maxAbs(xs: Float32Array): number {
  let m = 0;
  for (let i = 0; i < xs.length; i++) m = Math.max(m, Math.abs(xs[i]));
  return m;
}

function maxAbsDiff(xs: Float32Array, ys: Float32Array): number {
  if (xs.length !== ys.length) return Infinity;
  let m = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = Math.abs(xs[i] - ys[i]);
    m = d > m || Number.isNaN(d) ? d : m;
  }
  return m;
}

/** Throws unless `got` matches `want`: loss to 1e-4 relative, each gradient to 1e-4 of its largest element. */
function checkAgreement(name: string, got: MlpResult, referenceName: string, want: MlpResult): string {
  const lossRel = Math.abs(got.loss - want.loss) / Math.abs(want.loss);
  if (!(lossRel <= 1e-4)) throw new Error(`MLP: ${name} gives loss ${got.loss}, ${referenceName} ${want.loss} (relative difference ${lossRel.toExponential(2)})`);
  const parts: string[] = [];
  for (const k of PARAMS) {
    const diff = maxAbsDiff(got.grads[k], want.grads[k]);
    const scale = maxAbs(want.grads[k]);
    if (!(diff <= 1e-4 * Math.max(scale, 1e-6))) {
      throw new Error(`MLP: ${name}'s gradient of ${k} differs from ${referenceName}'s by up to ${diff.toExponential(2)} (largest element ${scale.toExponential(2)})`);
    }
    parts.push(`d${k} ${diff.toExponential(1)} (largest element ${scale.toExponential(1)})`);
  }
  return `${name} vs ${referenceName}: loss ${lossRel.toExponential(1)} relative; gradients, largest absolute difference: ${parts.join(", ")}`;
}

function mlpBench(rivals: readonly (readonly [string, Rival])[]): { rows: string[][]; agreement: string[]; timings: Timing[]; loss: number } {
  const data = mlpData(2, MLP);
  const prepared = rivals.flatMap(([name, r]) => (r.mlp === undefined ? [] : [{ name, ...r.mlp(data) }]));
  const [first, ...others] = prepared;
  const want = first.result();
  const agreement = others.map((p) => checkAgreement(p.name, p.result(), first.name, want));
  const timings = timeInterleaved(
    prepared.map((p) => ({ name: p.name, run: p.step })),
    quick ? { rounds: 2, warmup: 1 } : { rounds: 15, warmup: 3 },
  );
  const reference = medianOf(timings, REFERENCE);
  const rows = timings.map((t) => [t.name, fmtMs(t.min), fmtMs(t.median), fmtMs(t.max), (1000 / t.median).toFixed(1), ratio(t.median / reference)]);
  return { rows, agreement, timings, loss: want.loss };
}

// ── 3. Memory over a long training loop ──────────────────────────────────────────────────────────────

/** Bytes: the JS heap, and memory outside it (typed-array storage, the wasm backend's scratch memory). */
interface Usage {
  readonly heapUsed: number;
  readonly external: number;
}

function usage(): Usage {
  const { heapUsed, external } = process.memoryUsage();
  return { heapUsed, external };
}

interface MemoryReport {
  readonly backend: BackendName;
  readonly steps: number;
  readonly warmup: number;
  readonly sampleEvery: number;
  readonly start: Usage;
  /** The largest values sampled every `sampleEvery` steps, without gc (young garbage included). */
  readonly max: Usage;
  /** After gc at each quarter of the run; the last is the end. */
  readonly retained: readonly (readonly [step: number, usage: Usage])[];
  readonly msPerStep: number;
  readonly lossBefore: number;
  readonly lossAfter: number;
}

function memoryBench(steps: number, sampleEvery: number, warmup: number): MemoryReport {
  const sizes = { inputs: 32, hidden: 64, classes: 10, batch: 16 };
  // A fixed pool of batches, cycled, with labels that depend on the input so there is something to learn.
  const g = rng(3);
  const teacher = normals(g, sizes.inputs * sizes.classes, 1);
  const batches = Array.from({ length: 16 }, () => {
    const x = normals(g, sizes.batch * sizes.inputs, 1);
    const y = new Float32Array(sizes.batch * sizes.classes);
    for (let r = 0; r < sizes.batch; r++) {
      let best = 0;
      let bestScore = -Infinity;
      for (let c = 0; c < sizes.classes; c++) {
        let s = 0;
        for (let i = 0; i < sizes.inputs; i++) s += x[r * sizes.inputs + i] * teacher[i * sizes.classes + c];
        if (s > bestScore) [best, bestScore] = [c, s];
      }
      y[r * sizes.classes + best] = 1;
    }
    return { x: tensor(x, { shape: [sizes.batch, sizes.inputs] }), labels: tensor(y, { shape: [sizes.batch, sizes.classes] }) };
  });
  const backend = availableBackends()[0]; // the default: the fastest this engine has
  setBackend(backend);
  const params = adjointParams(mlpData(4, sizes), sizes.inputs, sizes.hidden, sizes.classes);
  for (const k of PARAMS) params[k].requireGrad();
  const lr = 0.05;
  const step = (i: number): number => {
    const { x, labels } = batches[i % batches.length];
    const loss = mlpLoss(x, labels, params);
    loss.backward();
    noGrad(() => {
      for (const k of PARAMS) {
        const p = params[k];
        p.assign(sub(p, mul(p.grad as Tensor, lr)));
        p.zeroGrad();
      }
    });
    return loss.item();
  };
  const meanLoss = (from: number, count: number) => {
    let s = 0;
    for (let i = 0; i < count; i++) s += step(from + i);
    return s / count;
  };
  const lossBefore = meanLoss(0, 100);
  for (let i = 100; i < warmup; i++) step(i); // V8 tiers up and fills its caches in here
  gc();
  const start = usage();
  let max = start;
  const retained: [number, Usage][] = [];
  let ms = 0;
  for (let i = 1; i <= steps; i++) {
    const t0 = performance.now();
    step(warmup + i);
    ms += performance.now() - t0;
    if (i % sampleEvery === 0) {
      const now = usage();
      max = { heapUsed: Math.max(max.heapUsed, now.heapUsed), external: Math.max(max.external, now.external) };
    }
    if (i % (steps / 4) === 0) {
      gc();
      retained.push([i, usage()]);
    }
  }
  return { backend, steps, warmup, sampleEvery, start, max, retained, msPerStep: ms / steps, lossBefore, lossAfter: meanLoss(warmup + steps + 1, 100) };
}

// ── Run, print, write ────────────────────────────────────────────────────────────────────────────────

const loaded: (readonly [string, Rival])[] = [];
const missing: string[] = [];
for (const entry of RIVALS) {
  const rival = await entry.load();
  if (rival === null) missing.push(entry.name);
  else loaded.push([entry.name, rival]);
}

const began = performance.now();
const mm = matmulBench(loaded);
const mlp = mlpBench(loaded);
const mem = memoryBench(quick ? 1000 : 10_000, quick ? 100 : 500, quick ? 200 : 1000);
const seconds = (performance.now() - began) / 1000;

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MB`;
const kb = (bytes: number) => `${bytes >= 0 ? "+" : "−"}${(Math.abs(bytes) / 1024).toFixed(0)} KB`;
const [halfStep] = mem.retained[1];
const memoryRow = (label: string, key: keyof Usage): string[] => {
  const end = mem.retained[mem.retained.length - 1][1][key];
  const half = mem.retained[1][1][key];
  return [label, mb(mem.start[key]), mb(mem.max[key]), ...mem.retained.map(([, u]) => mb(u[key])), kb(end - mem.start[key]), kb(end - half)];
};

const report = [
  `Machine: ${machineDescription()}. Date: ${new Date().toISOString().slice(0, 10)}.${quick ? " (quick run)" : ""} Whole run: ${seconds.toFixed(0)} s.`,
  ...(missing.length > 0 ? ["", `Not installed, skipped: ${missing.join(", ")}.`] : []),
  "",
  `### matmul, ${MATMUL_N}×${MATMUL_N} float32`,
  "",
  "Times in ms per product; GFLOPS = 2n³ / median.",
  "",
  table(["case", "min", "median", "max", "GFLOPS", `÷ ${REFERENCE}`], mm.rows),
  "",
  `### MLP ${MLP.inputs}-${MLP.hidden}-${MLP.classes}, batch ${MLP.batch}: loss and gradient of all weights and biases`,
  "",
  `Times in ms per step (forward + backward); the loss at these inputs is ${mlp.loss.toFixed(4)}.`,
  "",
  table(["case", "min", "median", "max", "steps/s", `÷ ${REFERENCE}`], mlp.rows),
  "",
  "Checked before timing:",
  "",
  ...mlp.agreement.map((line) => `- ${line}`),
  "",
  "### Memory: a long training loop",
  "",
  `${mem.steps.toLocaleString("en-US")} PyTorch-style steps of a 32-64-10 MLP, batch 16, after ${mem.warmup.toLocaleString("en-US")} warm-up steps ` +
    `on the ${mem.backend} backend (${fmtMs(mem.msPerStep)} ms per step; mean loss ${mem.lossBefore.toFixed(3)} over the first 100 steps, ${mem.lossAfter.toFixed(3)} over 100 after the run). ` +
    "`heapUsed` is the JS heap (tensor objects, graph nodes); `external` is memory outside it (typed-array storage, the wasm scratch memory).",
  "",
  table(
    [
      "",
      "start (after gc)",
      `max (every ${mem.sampleEvery} steps, no gc)`,
      ...mem.retained.map(([step]) => `after gc at ${step.toLocaleString("en-US")}`),
      "end − start",
      `end − ${halfStep.toLocaleString("en-US")}`,
    ],
    [memoryRow("heapUsed", "heapUsed"), memoryRow("external", "external")],
  ),
  "",
  "### Reading",
  "",
  reading(),
].join("\n");

/**
 * The reading of the numbers. The figures come from this run; the explanations (and the profile shares,
 * from a separate `--cpu-prof` probe of the MLP step) describe the code as of 2026-12-01 — revise them
 * when the kernels change.
 */
function reading(): string {
  const t = (timings: readonly Timing[], name: string) => medianOf(timings, name);
  const x = (v: number) => (v >= 10 ? v.toFixed(0) : v.toFixed(1));
  const wasmMm = t(mm.timings, "adjoint (wasm)");
  const gflops = (2 * MATMUL_N ** 3) / (wasmMm * 1e6);
  const heapEnd = mem.retained[mem.retained.length - 1][1];
  const heapHalf = mem.retained[1][1];
  return [
    `**matmul.** adjoint's default backend, wasm, reaches ${gflops.toFixed(0)} GFLOPS on one core: ${x(t(mm.timings, REFERENCE) / wasmMm)}× faster than ` +
      `tfjs-cpu and ${x(t(mm.timings, "plain JS i-k-j loop") / wasmMm)}× the plain loop. It is a generated WebAssembly SIMD kernel (4×8 register tiles ` +
      "over packed panels, relaxed-SIMD FMA where the engine has it). Every other row is scalar JavaScript: tfjs-cpu is a 48-blocked " +
      "i-j-k loop, and adjoint's cpu backend (the reference the wasm kernels are tested against) is the same i-k-j loop as the plain " +
      `row (${(t(mm.timings, "adjoint (cpu)") / t(mm.timings, "plain JS i-k-j loop")).toFixed(2)}× its time). tfjs-cpu is the pure-JS baseline; the fair rival ` +
      "for the wasm row is tfjs-backend-wasm (issue 4).",
    "",
    `**MLP step.** On wasm, ${fmtMs(t(mlp.timings, "adjoint (wasm)"))} ms per step, ${x(t(mlp.timings, REFERENCE) / t(mlp.timings, "adjoint (wasm)"))}× faster than tfjs-cpu. ` +
      `adjoint's cpu backend takes ${(t(mlp.timings, "adjoint (cpu)") / t(mlp.timings, REFERENCE)).toFixed(2)}× tfjs-cpu's time. Both libraries do the same two ` +
      `big products: x·w1 and xᵀ·g for dw1, ${((MLP.batch * MLP.inputs * MLP.hidden) / 1e6).toFixed(1)} M multiply-adds each; the matmul VJP builds no ` +
      "cotangent for the data x, which needs none. In a `--cpu-prof` profile of the wasm step (2026-12-01): the SIMD kernel about 40%, " +
      "the JavaScript around it (packing panels, copying C out) about 20%, the elementwise and reduction loops about 22%, allocation " +
      "and GC about 5%. The elementwise loops have no call per element (each primitive gets its own copy of the loop with its scalar " +
      "function inlined, src/backends/cpu/kernels/specialize.ts); what remains of their cost is mostly first writes to freshly " +
      "allocated output arrays — plain JS writing a new Float32Array costs the same here. JAX style and PyTorch style run the same " +
      `primitives (medians ${fmtMs(t(mlp.timings, "adjoint (wasm)"))} and ${fmtMs(t(mlp.timings, "adjoint (wasm), .backward()"))} ms).`,
    "",
    `**Memory.** Over ${mem.steps.toLocaleString("en-US")} steps the retained JS heap moved ${kb(heapEnd.heapUsed - mem.start.heapUsed)} ` +
      `(${kb(heapEnd.heapUsed - heapHalf.heapUsed)} in the second half). External memory moved ${kb(heapEnd.external - mem.start.external)}; ` +
      "it holds the tensor storage and the wasm scratch memory, which is grown once and reused. So memory is flat: backward releases " +
      "each step's graph, and the update under `noGrad` records nothing. The sampled maxima are garbage waiting for the next " +
      "collection, not retained memory. What drift remains is V8's own (compiled code, feedback): in a 60,000-step probe on the cpu " +
      "backend it levelled off at about 0.35 MB above the start.",
  ].join("\n");
}

console.log(report);
if (consumeSink() === 42.4242) console.log(""); // keep the sink alive

if (!quick) {
  writeResultsSection("tensor", "Tensor (npm run bench:tensor)", report);
  console.log("\nwritten to bench/RESULTS.md");
}
