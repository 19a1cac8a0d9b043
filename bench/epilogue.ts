/**
 * A focused A/B of the jit's matmul epilogues and wasm-resident buffers (issue 16, items 1–3): the
 * jitted MLP value + gradients and the jitted CNN value + gradients, each as compiled now against
 * the same program compiled with the wasm backend's `compileEpilogue` and `allocateResident`
 * withheld (the code before this change), beside eager and jax-js jit. Short interleaved rounds on
 * one thread; read ratios.
 *
 *   npm run build && node --expose-gc dist/bench/epilogue.js [rounds] [mlp|cnn|both]
 */
import { backendKernels } from "../src/backends/backend.js";
import { setBackend, setThreads } from "../src/tensor/index.js";
import { timeInterleaved, type Case } from "./harness.js";
import { RIVALS } from "./rivals/index.js";
import type { Prepared, Rival } from "./rivals/rival.js";
import { cnnData, MLP_SIZES, mlpData } from "./workloads/data.js";

const rounds = Number(process.argv[2] ?? 11);
const which = process.argv[3] ?? "both";

async function load(name: string): Promise<Rival> {
  const entry = RIVALS.find((r) => r.name === name);
  const rival = await entry?.load();
  if (rival === undefined || typeof rival === "string") throw new Error(`${name}: ${rival}`);
  return rival;
}

function report(title: string, cases: Case[], base: string, minMs: number): void {
  const timings = timeInterleaved(cases, { rounds, warmup: 3, minMs });
  const b = timings.find((t) => t.name === base);
  console.log(`${title} (ms): case | min | median | max | samples | ÷ ${base} (min / median)`);
  for (const t of timings) {
    const r = (x: number, y: number) => (x / y).toFixed(2);
    console.log(`| ${t.name} | ${t.min.toFixed(2)} | ${t.median.toFixed(2)} | ${t.max.toFixed(2)} | ${t.samples} | ${b ? `${r(t.min, b.min)} / ${r(t.median, b.median)}` : "–"} |`);
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
const [jitted, eager, jax] = await Promise.all(["adjoint (wasm), jit", "adjoint (wasm)", "jax-js jit"].map(load));
if (which !== "cnn") {
  const mlp = mlpData(2, MLP_SIZES);
  report(
    "MLP 784-256-10 value + gradients, batch 128",
    [
      { name: "adjoint jit", run: (jitted.mlp?.(mlp) as Prepared).step },
      { name: "adjoint jit, before", run: asBefore(() => jitted.mlp?.(mlp) as Prepared).step },
      { name: "adjoint eager", run: (eager.mlp?.(mlp) as Prepared).step },
      { name: "jax-js jit", run: (jax.mlp?.(mlp) as Prepared).step },
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
