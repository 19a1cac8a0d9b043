/**
 * Memory over a long training loop: 10,000 PyTorch-style steps of a 32-64-10 MLP (batch 16;
 * `requireGrad` leaves, `loss.backward()`, an SGD update under `noGrad`, `zeroGrad`) on adjoint's
 * default backend. heapUsed and external after warm-up and gc, their largest values sampled every
 * `sampleEvery` steps (garbage included), and after gc at each quarter of the run. The claim: a flat
 * heap, because backward releases each step's graph.
 */
import { availableBackends, mul, noGrad, rng, setBackend, sub, tensor, type BackendName, type Tensor } from "../../src/tensor/index.js";
import { mlpLoss, mlpParams } from "../rivals/adjoint.js";
import { MLP_PARAMS } from "../rivals/rival.js";
import { fmtMs, table } from "../harness.js";
import { mlpData, normals } from "./data.js";

/** Bytes: the JS heap, and memory outside it (typed-array storage, the wasm backend's scratch memory). */
export interface Usage {
  readonly heapUsed: number;
  readonly external: number;
}

function usage(): Usage {
  const { heapUsed, external } = process.memoryUsage();
  return { heapUsed, external };
}

export interface MemoryReport {
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

export function memoryBench(steps: number, sampleEvery: number, warmup: number, gc: () => void): MemoryReport {
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
  const params = mlpParams(mlpData(4, sizes));
  for (const k of MLP_PARAMS) params[k].requireGrad();
  const lr = 0.05;
  const step = (i: number): number => {
    const { x, labels } = batches[i % batches.length];
    const loss = mlpLoss(x, labels, params);
    loss.backward();
    noGrad(() => {
      for (const k of MLP_PARAMS) {
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

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(2)} MB`;
const kb = (bytes: number) => `${bytes >= 0 ? "+" : "−"}${(Math.abs(bytes) / 1024).toFixed(0)} KB`;

/** The memory section: what ran, the table, and what it shows. */
export function memorySection(mem: MemoryReport): string[] {
  const [halfStep, half] = mem.retained[1];
  const end = mem.retained[mem.retained.length - 1][1];
  const row = (label: string, key: keyof Usage): string[] => [
    label,
    mb(mem.start[key]),
    mb(mem.max[key]),
    ...mem.retained.map(([, u]) => mb(u[key])),
    kb(end[key] - mem.start[key]),
    kb(end[key] - half[key]),
  ];
  const header = [
    "",
    "start (after gc)",
    `max (every ${mem.sampleEvery} steps, no gc)`,
    ...mem.retained.map(([step]) => `after gc at ${step.toLocaleString("en-US")}`),
    "end − start",
    `end − ${halfStep.toLocaleString("en-US")}`,
  ];
  return [
    `${mem.steps.toLocaleString("en-US")} PyTorch-style steps of a 32-64-10 MLP, batch 16, after ${mem.warmup.toLocaleString("en-US")} warm-up steps ` +
      `on the ${mem.backend} backend (${fmtMs(mem.msPerStep)} ms per step; mean loss ${mem.lossBefore.toFixed(3)} over the first 100 steps, ${mem.lossAfter.toFixed(3)} over 100 after the run). ` +
      "`heapUsed` is the JS heap (tensor objects, graph nodes); `external` is memory outside it (typed-array storage, the wasm scratch memory, and in this process the other libraries' WebAssembly memories too).",
    "",
    table(header, [row("heapUsed", "heapUsed"), row("external", "external")]),
    "",
    `Over ${mem.steps.toLocaleString("en-US")} steps the retained JS heap moved ${kb(end.heapUsed - mem.start.heapUsed)} ` +
      `(${kb(end.heapUsed - half.heapUsed)} in the second half) and external memory ${kb(end.external - mem.start.external)}. ` +
      "The sampled maxima include garbage not yet collected; the after-gc columns are what stays.",
  ];
}
