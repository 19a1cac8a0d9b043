/**
 * A focused A/B of the jit's fused-kernel code generation on the wasm backend (issue 16 item 3):
 * the chain f + gradient at n = 1e5 and the whole jitted Adam step on the MLP, each jitted with the
 * fused groups compiled to wasm SIMD (the default) against the same program with the groups as
 * generated JS loops (compiled while the backend's `compileFused` is withheld: the code before this
 * change), beside the hand-written loop, jax-js jit and eager. Short interleaved rounds; read ratios.
 *
 *   npm run build && node --expose-gc dist/bench/fusedCodegen.js [rounds] [chain|step|both]
 */
import { backendKernels } from "../src/backends/backend.js";
import { adam, applyUpdates } from "../src/optim/index.js";
import { setBackend, setThreads, tensor, valueAndGrad, type Tensor } from "../src/tensor/index.js";
import { mlpLoss, mlpParams } from "./rivals/adjoint.js";
import { timeInterleaved, type Case } from "./harness.js";
import { RIVALS } from "./rivals/index.js";
import type { Prepared, Rival } from "./rivals/rival.js";
import { chainData, MLP_SIZES, mlpData } from "./workloads/data.js";

const rounds = Number(process.argv[2] ?? 11);
const which = process.argv[3] ?? "both";
const wasm = backendKernels("wasm") as { compileFused?: unknown };

/** `prepare` and its first (compiling) call with the wasm codegen withheld: its fused groups are JS loops. */
function withJsLoops(prepare: () => Prepared): Prepared {
  const saved = wasm.compileFused;
  wasm.compileFused = undefined;
  try {
    const p = prepare();
    p.step();
    return p;
  } finally {
    wasm.compileFused = saved;
  }
}

async function load(name: string): Promise<Rival> {
  const entry = RIVALS.find((r) => r.name === name);
  const rival = await entry?.load();
  if (rival === undefined || typeof rival === "string") throw new Error(`${name}: ${rival}`);
  return rival;
}

const ratios = (timings: ReturnType<typeof timeInterleaved>, base: string) => {
  const b = timings.find((t) => t.name === base);
  for (const t of timings) {
    const r = (x: number, y: number) => (x / y).toFixed(2);
    console.log(`| ${t.name} | ${t.min.toFixed(2)} | ${t.median.toFixed(2)} | ${t.max.toFixed(2)} | ${t.samples} | ${b ? `${r(t.min, b.min)} / ${r(t.median, b.median)}` : "–"} |`);
  }
};

if (which !== "step") await chainRows();
if (which !== "chain") await stepRows();

async function chainRows(): Promise<void> {
  const chain = chainData(100_000);
  const [jitted, eager, plain, jax] = await Promise.all(["adjoint (wasm), jit", "adjoint (wasm)", "plain JS", "jax-js jit"].map(load));
  const chainCases: Case[] = [
    { name: "adjoint (wasm), jit, wasm SIMD fused", run: (jitted.chain?.(chain) as Prepared).step },
    { name: "adjoint (wasm), jit, JS fused loops", run: withJsLoops(() => jitted.chain?.(chain) as Prepared).step },
    { name: "plain JS (hand-written loop)", run: (plain.chain?.(chain) as Prepared).step },
    { name: "jax-js jit", run: (jax.chain?.(chain) as Prepared).step },
    { name: "adjoint (wasm), eager", run: (eager.chain?.(chain) as Prepared).step },
  ];
  console.log("chain f + grad, n = 1e5 (ms): case | min | median | max | samples | ÷ hand loop (min / median)");
  ratios(timeInterleaved(chainCases, { rounds, warmup: 3, minMs: 5 }), "plain JS (hand-written loop)");
}

async function stepRows(): Promise<void> {
  const mlp = mlpData(7, MLP_SIZES);
  const step = await load("adjoint (wasm), jit whole step");
  /** The same step eager: valueAndGrad, the functional Adam update, the new parameters. */
  function eagerStep(): () => number {
    const x = tensor(mlp.x, { shape: [mlp.sizes.batch, mlp.sizes.inputs] });
    const labels = tensor(mlp.labels, { shape: [mlp.sizes.batch, mlp.sizes.classes] });
    const opt = adam({ lr: 1e-4 });
    let params = mlpParams(mlp);
    let state = opt.init(params);
    return () => {
      setBackend("wasm");
      setThreads(1);
      const [value, grads] = valueAndGrad((p: typeof params) => mlpLoss(x, labels, p))(params) as [Tensor, typeof params];
      const { updates, state: next } = opt.update(grads, state, params);
      [params, state] = [applyUpdates(params, updates), next];
      return value.item();
    };
  }
  const stepCases: Case[] = [
    { name: "jit whole step, wasm SIMD fused", run: (step.mlp?.(mlp) as Prepared).step },
    { name: "jit whole step, JS fused loops", run: withJsLoops(() => step.mlp?.(mlp) as Prepared).step },
    { name: "eager whole step", run: eagerStep() },
  ];
  console.log("\nMLP whole Adam step (ms): case | min | median | max | samples | ÷ wasm SIMD fused");
  ratios(timeInterleaved(stepCases, { rounds, warmup: 3 }), "jit whole step, wasm SIMD fused");
}
