/**
 * A focused A/B of the jit's matmul epilogues and wasm-resident buffers (issue 16, items 1–3): the
 * jitted MLP value + gradients and the jitted CNN value + gradients, each as compiled now against
 * the same program compiled with the wasm backend's `compileEpilogue` and `allocateResident`
 * withheld (the code before this change), beside eager and jax-js jit; and the whole jitted Adam
 * step on the MLP, now and before. Short interleaved rounds on one thread; read ratios.
 *
 *   npm run build && node --expose-gc dist/bench/epilogue.js [rounds] [mlp|cnn|both] [cpu|wall]
 */
import { backendKernels } from "../src/backends/backend.js";
import { copiedIntoWasm } from "../src/backends/wasm/runtime.js";
import { setBackend, setThreads } from "../src/tensor/index.js";
import { summarize, timeInterleaved, type Case, type Timing } from "./harness.js";
import { RIVALS } from "./rivals/index.js";
import type { Prepared, Rival } from "./rivals/rival.js";
import { cnnData, MLP_SIZES, mlpData } from "./workloads/data.js";

const rounds = Number(process.argv[2] ?? 11);
const which = process.argv[3] ?? "both";
/** "wall" (the harness's clock) or "cpu" (this process's CPU time, steadier on a loaded machine). */
const clock = process.argv[4] ?? "cpu";

async function load(name: string): Promise<Rival> {
  const entry = RIVALS.find((r) => r.name === name);
  const rival = await entry?.load();
  if (rival === undefined || typeof rival === "string") throw new Error(`${name}: ${rival}`);
  return rival;
}

/**
 * Like the harness's `timeInterleaved`, but each sample is the process's CPU time (user + system,
 * `process.cpuUsage`) per run rather than wall time: on a machine shared with other processes the
 * time this process waits for a core does not count, only what it runs (its GC included).
 */
function cpuInterleaved(cases: readonly Case[], minMs: number): Timing[] {
  let sink = 0;
  for (let w = 0; w < 3; w++) for (const c of cases) sink += c.run();
  const samples = cases.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    cases.forEach((c, i) => {
      let reps = 0;
      const t0 = process.cpuUsage();
      let ms = 0;
      do {
        sink += c.run();
        reps++;
        const t = process.cpuUsage(t0);
        ms = (t.user + t.system) / 1000;
      } while (ms < minMs);
      samples[i].push(ms / reps);
    });
  }
  if (Number.isNaN(sink)) console.log("(sink)");
  return cases.map((c, i) => summarize(c.name, samples[i]));
}

function report(title: string, cases: Case[], base: string, minMs: number): void {
  const timings = clock === "cpu" ? cpuInterleaved(cases, minMs) : timeInterleaved(cases, { rounds, warmup: 3, minMs });
  const b = timings.find((t) => t.name === base);
  console.log(`${title} (${clock === "cpu" ? "CPU ms" : "ms"}): case | min | median | max | samples | ÷ ${base} (min / median) | bytes copied into wasm memory per step`);
  for (const [i, t] of timings.entries()) {
    const r = (x: number, y: number) => (x / y).toFixed(2);
    // The runtime's counter over one more step (jax-js has its own memory: not counted).
    const before = copiedIntoWasm();
    cases[i].run();
    const copied = t.name.startsWith("jax") ? "–" : String(copiedIntoWasm() - before);
    console.log(`| ${t.name} | ${t.min.toFixed(2)} | ${t.median.toFixed(2)} | ${t.max.toFixed(2)} | ${t.samples} | ${b ? `${r(t.min, b.min)} / ${r(t.median, b.median)}` : "–"} | ${copied} |`);
  }
}

const wasm = backendKernels("wasm") as { compileEpilogue?: unknown; allocateResident?: unknown };

/**
 * `prepare` and its first (compiling) call with the wasm epilogues and resident storage withheld:
 * products and groups apart, every buffer in JS memory and copied into the wasm memory per kernel,
 * as before this change.
 */
function asBefore(prepare: () => Prepared): Prepared {
  const saved = { ...wasm };
  wasm.compileEpilogue = undefined;
  wasm.allocateResident = undefined;
  try {
    const p = prepare();
    p.step();
    return p;
  } finally {
    wasm.compileEpilogue = saved.compileEpilogue;
    wasm.allocateResident = saved.allocateResident;
  }
}

setBackend("wasm");
setThreads(1);
const [jitted, eager, jax, wholeStep] = await Promise.all(["adjoint (wasm), jit", "adjoint (wasm)", "jax-js jit", "adjoint (wasm), jit whole step"].map(load));
if (which !== "cnn") {
  const mlp = mlpData(2, MLP_SIZES);
  report(
    "MLP 784-256-10 value + gradients, batch 128",
    [
      { name: "adjoint jit", run: (jitted.mlp?.(mlp) as Prepared).step },
      { name: "adjoint jit, before", run: asBefore(() => jitted.mlp?.(mlp) as Prepared).step },
      { name: "adjoint eager", run: (eager.mlp?.(mlp) as Prepared).step },
      { name: "jax-js jit", run: (jax.mlp?.(mlp) as Prepared).step },
      { name: "adjoint jit whole Adam step", run: (wholeStep.mlp?.(mlp) as Prepared).step },
      { name: "adjoint jit whole Adam step, before", run: asBefore(() => wholeStep.mlp?.(mlp) as Prepared).step },
    ],
    "adjoint jit",
    5,
  );
}
if (which !== "mlp") {
  const cnn = cnnData(5, { batch: 64, side: 28, filters: 32, kernel: 3, classes: 10 });
  report(
    "CNN value + gradients, batch 64",
    [
      { name: "adjoint jit", run: (jitted.cnn?.(cnn) as Prepared).step },
      { name: "adjoint jit, before", run: asBefore(() => jitted.cnn?.(cnn) as Prepared).step },
      { name: "adjoint eager", run: (eager.cnn?.(cnn) as Prepared).step },
      { name: "jax-js jit", run: (jax.cnn?.(cnn) as Prepared).step },
    ],
    "adjoint jit",
    0,
  );
}
